#!/usr/bin/env bash
# Runs the demo: a real WordPress behind the sidecar, a receiver that prints
# each webhook as it arrives, and a scripted editorial flow in which a
# publish is blocked by a validation action, then allowed.
#
# Needs the WordPress packages (bash .ci/install-deps.sh, as root) and the
# ports 8080 (Caddy), 8081 (WordPress), 9000 (receiver) and 2019 (Caddy's
# admin API) free on 127.0.0.1. DEMO_KEEP=1 leaves everything running
# afterwards and prints how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for port in 8080 8081 9000 2019; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: port $port on 127.0.0.1 is in use; stop what listens there (a demo left running with DEMO_KEEP=1?) and run again" >&2
    exit 1
  fi
done

demo_dir=$(mktemp -d /tmp/cms-webhooks-demo.XXXXXX)
# Caddy keeps its data, the delivery queue included, in the demo folder, so
# runs do not share deliveries with each other or with another Caddy.
export XDG_DATA_HOME="$demo_dir/data" XDG_CONFIG_HOME="$demo_dir/config"
pids=()
cleanup() {
  if [ "${DEMO_KEEP:-}" = 1 ]; then
    echo "Left running (DEMO_KEEP=1): Caddy on 127.0.0.1:8080, WordPress on 127.0.0.1:8081, receiver on 127.0.0.1:9000."
    echo "Files, logs and the delivery queue: $demo_dir"
    echo "Stop it with: kill ${pids[*]}; bash $root/integration/wordpress/stop.sh $demo_dir/wp"
    return
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$root/integration/wordpress/stop.sh" "$demo_dir/wp" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Building bin/caddy from xcaddy.json (a few minutes the first time)"
go run ./internal/buildcaddy -o bin/caddy
go build -o bin/demoreceiver ./internal/demoreceiver

step "Starting WordPress on 127.0.0.1:8081, behind the sidecar on 127.0.0.1:8080"
WP_DIR="$demo_dir/wp" WP_PORT=8081 WP_URL=http://127.0.0.1:8080 bash integration/wordpress/start.sh

step "Starting the receiver on 127.0.0.1:9000 (its output is the indented part below)"
# The receiver writes through sed, and $! is the receiver itself, so that
# cleanup stops it.
bin/demoreceiver -addr 127.0.0.1:9000 > >(sed -u 's/^/    receiver | /') 2>&1 &
pids+=($!)

step "Starting Caddy with caddyfile-examples/wordpress.Caddyfile"
export SEARCH_WEBHOOK_USER=search SEARCH_WEBHOOK_PASSWORD=demo-secret
export LEGAL_WEBHOOK_URL=http://127.0.0.1:9000/validate/excerpt
bin/caddy run --config caddyfile-examples/wordpress.Caddyfile --adapter caddyfile >"$demo_dir/caddy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -fs -o /dev/null http://127.0.0.1:8080/wp-json/ && break; sleep 0.2; done

contributor=$(grep ^contributor: "$demo_dir/wp/creds.txt")
editor=$(grep ^editor: "$demo_dir/wp/creds.txt")
api=http://127.0.0.1:8080/wp-json/wp/v2

# call USER METHOD PATH [JSON]: prints the status and the interesting members.
call() {
  local user=$1 method=$2 path=$3 body=${4:-}
  local args=(-s -u "$user" -X "$method" -o "$demo_dir/answer.json" -w '%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  local status
  status=$(curl "${args[@]}" "$api$path")
  echo "HTTP $status $(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print({k: d[k] for k in ("id","status","code","message") if k in d})' "$demo_dir/answer.json" 2>/dev/null || head -c 200 "$demo_dir/answer.json")"
}

if ! curl -fs -o /dev/null http://127.0.0.1:8080/wp-json/; then
  echo "demo: Caddy did not start; its log:" >&2
  cat "$demo_dir/caddy.log" >&2
  exit 1
fi

step "The contributor writes a draft (event handler: item:added)"
call "$contributor" POST /posts '{"title":"Spring launch","content":"<p>We launch in March.</p>","status":"draft"}'
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$demo_dir/answer.json")
sleep 0.5

step "The contributor submits it for review: draft -> pending (submit action)"
call "$contributor" POST "/posts/$id" '{"status":"pending"}'
sleep 0.5

step "The editor publishes without an excerpt: the validation action blocks it with 409"
call "$editor" POST "/posts/$id" '{"status":"publish"}'
echo "WordPress still shows: $(curl -s -u "$editor" "http://127.0.0.1:8081/wp-json/wp/v2/posts/$id?context=edit" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
sleep 0.5

step "The editor adds an excerpt and publishes again: allowed"
call "$editor" POST "/posts/$id" '{"status":"publish","excerpt":"Our spring launch, in short."}'
sleep 1

step "Done. Caddy's log is in $demo_dir/caddy.log"
