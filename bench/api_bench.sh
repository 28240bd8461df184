#!/bin/sh
# api_bench.sh [BUILD_DIR] - throughput and latency of `calipso serve` on the
# simulated cloud: wrk (2 threads, 64 connections, 30 s each) against
#   GET /inventory?env_name=sim&id=<a VM>
#   GET /cliques?env_name=sim&id=<a VM>
# with a valid X-Auth-Token, printing requests/s and the p50/p99 latency of
# each as wrk saw them, and the p99 bucket of the server's own request
# histogram (/metrics).  Target (issue 7): > 10,000 requests/s and p99 <
# 10 ms on 2 cores.
#
# Everything happens in a temporary directory (database, access log, server
# output), removed at the end; the server listens on 127.0.0.1 only, on a
# free port.  Environment: SIM_HOSTS, SIM_VMS, SIM_NETWORKS (default 50,
# 1000, 50), DURATION (default 30s), THREADS (server threads, default the
# server's own), CONNECTIONS (default 64).
set -eu

BUILD=${1:-build}
CALIPSO=$BUILD/src/cli/calipso
SIM_HOSTS=${SIM_HOSTS:-50}
SIM_VMS=${SIM_VMS:-1000}
SIM_NETWORKS=${SIM_NETWORKS:-50}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-64}

[ -x "$CALIPSO" ] || { echo "$0: $CALIPSO is not built" >&2; exit 2; }
command -v wrk >/dev/null || { echo "$0: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "$0: curl is not installed" >&2; exit 2; }

dir=$(mktemp -d /tmp/sv-bench-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

db=$dir/bench.db
echo "simulated cloud: $SIM_HOSTS hosts, $SIM_VMS VMs, $SIM_NETWORKS networks"
"$CALIPSO" --db "$db" sim --hosts "$SIM_HOSTS" --vms "$SIM_VMS" --networks "$SIM_NETWORKS" \
	--env sim >/dev/null
printf 'bench-password\n' | "$CALIPSO" --db "$db" user add bench --role admin >/dev/null
vm=$("$CALIPSO" --db "$db" --env sim --json show --type instance --limit 1 |
	sed -n 's/^ *"id": "\([^"]*\)".*/\1/p' | head -1)
[ -n "$vm" ] || { echo "$0: no VM in the simulated cloud" >&2; exit 1; }

set -- --db "$db" serve --listen 127.0.0.1:0 --access-log "$dir/access.log" --no-scheduler
[ -n "${THREADS:-}" ] && set -- "$@" --threads "$THREADS"
: >"$dir/serve.out"
"$CALIPSO" "$@" >>"$dir/serve.out" 2>"$dir/serve.err" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/serve.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "$0: the server did not start:" >&2; cat "$dir/serve.err" >&2; exit 1; }
base=http://127.0.0.1:$port
token=$(curl -sf -X POST "$base/auth/tokens" -H 'Content-Type: application/json' \
	-d '{"auth":{"methods":["credentials"],"credentials":{"username":"bench","password":"bench-password"}}}' |
	sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "$0: cannot log in" >&2; exit 1; }

echo "server: $base ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before)"
for path in "/inventory?env_name=sim&id=$vm" "/cliques?env_name=sim&id=$vm"; do
	bytes=$(curl -sf -H "X-Auth-Token: $token" "$base$path" | wc -c)
	out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-Auth-Token: $token" "$base$path")
	rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
	p50=$(echo "$out" | sed -n 's/^ *50% *\([0-9.]*[a-z]*\)/\1/p')
	p99=$(echo "$out" | sed -n 's/^ *99% *\([0-9.]*[a-z]*\)/\1/p')
	errors=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\)/\1/p')
	# The server's own view (from the URI to the answer queued): the
	# smallest histogram bucket holding 99% of this route's requests.
	route=${path%%\?*}
	server99=$(curl -sf -H "X-Auth-Token: $token" "$base/metrics" | awk -v r="$route" '
		index($0, "calipso_http_request_duration_seconds_bucket{route=\"" r "\",method=\"GET\"") == 1 {
			le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
			n++; bound[n] = le; cum[n] = $NF
		}
		END {
			total = cum[n]
			for (i = 1; i <= n; i++) if (cum[i] >= 0.99 * total) { print bound[i] * 1000 "ms"; exit }
		}')
	printf '%-12s %8s req/s  p50 %-8s p99 %-8s server p99 <= %-7s (%s bytes per answer%s)\n' \
		"$route" "$rps" "$p50" "$p99" "$server99" "$bytes" "${errors:+, $errors non-2xx}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
