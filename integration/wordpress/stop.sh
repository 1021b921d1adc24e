#!/usr/bin/env bash
# Stop a WordPress started by start.sh: php -S (and its forked workers) and MariaDB, by the pid
# files in WP_DIR. Usage: stop.sh WP_DIR (or WP_DIR in the environment). Safe to run twice.
set -uo pipefail

DIR=${1:-${WP_DIR:-}}
[ -n "$DIR" ] || { echo "usage: stop.sh WP_DIR" >&2; exit 2; }
[ -d "$DIR" ] || { echo "stop.sh: folder not found: $DIR" >&2; exit 1; }
DIR=$(cd "$DIR" && pwd)
TIMEOUT=${WP_STOP_TIMEOUT:-20}

pid_from() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

# Succeed when PID is alive and its command line contains WORD, so a reused pid is never killed.
matches_cmdline() {
  local pid=$1 word=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$word"
}

children() { pgrep -P "$1" 2>/dev/null || true; }

# Succeed when PID is alive and not a zombie waiting to be reaped.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != "Z" ]
}

pids=()
php_pid=$(pid_from "$DIR/php.pid")
if matches_cmdline "$php_pid" "$DIR/router.php"; then
  for child in $(children "$php_pid"); do
    matches_cmdline "$child" "$DIR/router.php" && pids+=("$child")
  done
  pids+=("$php_pid")
fi
db_pid=$(pid_from "$DIR/mariadb.pid")
if matches_cmdline "$db_pid" "--datadir=$DIR/db"; then
  pids+=("$db_pid")
fi

if [ "${#pids[@]}" -eq 0 ]; then
  echo "stop.sh: nothing running for $DIR"
  rm -f "$DIR/php.pid" "$DIR/mariadb.pid" "$DIR/mysql.sock"
  exit 0
fi

kill -TERM "${pids[@]}" 2>/dev/null || true

end=$(( $(date +%s) + TIMEOUT ))
while :; do
  left=()
  for pid in "${pids[@]}"; do running "$pid" && left+=("$pid"); done
  [ "${#left[@]}" -eq 0 ] && break
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "stop.sh: still running after ${TIMEOUT}s, sending KILL: ${left[*]}" >&2
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.5
    break
  fi
  sleep 0.1
done

rm -f "$DIR/php.pid" "$DIR/mariadb.pid" "$DIR/mysql.sock"
echo "stop.sh: stopped ${pids[*]} ($DIR)"
