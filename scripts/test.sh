#!/usr/bin/env bash
# Runs every test: vet, the unit tests with the race detector, then the
# integration tests, which build the Caddy binary from xcaddy.json once and
# drive it over real sockets against a real WordPress and real receivers.
# The WordPress packages must be installed first (.ci/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== unit tests"
go test -race -count=1 ./dispatch/... ./caddymodule/...

echo "== build bin/caddy from xcaddy.json"
go run ./internal/buildcaddy -o bin/caddy

echo "== integration tests"
CADDY_BIN="$PWD/bin/caddy" go test -count=1 -timeout 20m ./integration/...
