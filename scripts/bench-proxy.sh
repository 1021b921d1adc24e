#!/usr/bin/env bash
# Load test: requests per second and latency of Caddy with cms_webhooks
# against plain reverse_proxy, side by side, on loopback. Needs bin/caddy
# (go run ./internal/buildcaddy) and wrk (Debian package wrk).
#
# Every server is a Caddy on 127.0.0.1: an upstream that answers like
# WordPress with `respond`, a receiver that answers 204, a plain proxy, and
# proxies with cms_webhooks whose event handler fires on item:saved from a
# file queue, one waiting for each commit and one committing in the
# background. wrk then sends, for DURATION each (default 10s), non-authoring
# GETs and 8 KB JSON post updates to both proxies.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}

command -v wrk >/dev/null || { echo "bench-proxy: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x bin/caddy ] || { echo "bench-proxy: bin/caddy is missing (go run ./internal/buildcaddy)" >&2; exit 1; }

dir=$(mktemp -d /tmp/cms-webhooks-bench.XXXXXX)
pids=()
trap '[ -n "${BENCH_KEEP:-}" ] || kill "${pids[@]}" 2>/dev/null || true' EXIT

content=$(head -c 6000 /dev/zero | tr '\0' 'x')
post="{\"id\":{http.request.uri.path.4},\"status\":\"draft\",\"type\":\"post\",\"slug\":\"spring-launch\",\"title\":{\"raw\":\"Spring launch\"},\"content\":{\"raw\":\"$content\"}}"
printf '%s' "$post" > "$dir/post.json"
# Each update goes to one of 1,000 posts, as many editors' saves do; the
# deliveries of one post are sent one at a time, in order.
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '"'"'{"title":"Spring launch","content":"%s"}'"'"'\nrequest = function() return wrk.format(nil, "/wp-json/wp/v2/posts/" .. math.random(1, 1000)) end\n' \
  "$(head -c 8100 /dev/zero | tr '\0' 'y')" > "$dir/update.lua"
frontpage=$(head -c 1024 /dev/zero | tr '\0' 'z')

cat > "$dir/Caddyfile" <<CADDY
{
	admin 127.0.0.1:28019
	auto_https off
	persist_config off
}
http://127.0.0.1:28081 {
	header Content-Type application/json
	respond /wp-json/wp/v2/posts/* 200 {
		body "$(sed 's/"/\\"/g' "$dir/post.json")"
	}
	respond "$frontpage"
}
http://127.0.0.1:28090 {
	respond 204
}
http://127.0.0.1:28082 {
	reverse_proxy 127.0.0.1:28081
}
http://127.0.0.1:28083 {
	cms_webhooks {
		delivery {
			queue file $dir/queue.db
			commit wait
		}
		event_handler indexer {
			events item:saved
			url http://127.0.0.1:28090/indexer
		}
	}
	reverse_proxy 127.0.0.1:28081
}
http://127.0.0.1:28084 {
	cms_webhooks {
		delivery {
			queue file $dir/queue-background.db
			commit background
		}
		event_handler indexer-background {
			events item:saved
			url http://127.0.0.1:28090/indexer
		}
	}
	reverse_proxy 127.0.0.1:28081
}
CADDY
XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" bin/caddy run --config "$dir/Caddyfile" --adapter caddyfile >"$dir/caddy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -fs -o /dev/null http://127.0.0.1:28083/ && break; sleep 0.2; done

run() {
  local name=$1 url=$2; shift 2
  local out
  out=$(wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$url")
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

echo "wrk -t2 -c$connections -d$duration on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
run "GET / plain reverse_proxy" http://127.0.0.1:28082/
run "GET / with cms_webhooks" http://127.0.0.1:28083/
run "8 KB update plain reverse_proxy" http://127.0.0.1:28082/wp-json/wp/v2/posts/5 -s "$dir/update.lua"
run "8 KB update, commit wait" http://127.0.0.1:28083/wp-json/wp/v2/posts/5 -s "$dir/update.lua"
run "8 KB update, commit background" http://127.0.0.1:28084/wp-json/wp/v2/posts/5 -s "$dir/update.lua"
sleep 2
pending=$(curl -s 'http://127.0.0.1:28019/cms_webhooks/deliveries?state=pending&limit=1000000' | grep -o '"id"' | wc -l)
echo "deliveries still pending 2 s after the run: $pending"
