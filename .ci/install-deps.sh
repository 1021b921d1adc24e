#!/usr/bin/env bash
# Install the Debian packages the integration tests need (WordPress, PHP, MariaDB, curl).
# Idempotent: installs only what is missing, and does nothing when all is present.
# Runs as root on Debian 12 without a TTY. It uses apt-get as configured on the machine.
set -euo pipefail

PACKAGES=(wordpress php-cli php-mysql php-curl php-xml php-mbstring mariadb-server curl)

export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get install)" >&2
  exit 1
fi

# A package counts as present only when dpkg reports it fully installed.
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present (${PACKAGES[*]})"
  exit 0
fi

# The wordpress package pulls in apache2, whose postinst would start it on port 80.
# A policy-rc.d that exits 101 makes invoke-rc.d deny every service start.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  echo "install-deps: wrote /usr/sbin/policy-rc.d (exit 101)"
fi

echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"

for pkg in "${missing[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
    echo "install-deps: $pkg is still not installed after apt-get install; see the apt output above" >&2
    exit 1
  fi
done
echo "install-deps: done"
