#!/bin/bash
# kernel_scan_bench.sh - cal_kernel_scan (through kernel_dump) against what
# people run by hand: `ip -j -d link show` + `ip -j addr` in every
# namespace.  Builds NS namespaces (default 50) of PAIRS veth pairs each
# (default 10; each pair's peer sits in the next namespace, so every
# namespace holds 2*PAIRS interfaces and every veth needs an nsid lookup),
# times ROUNDS rounds of both, reports kernel_dump's peak RSS, checks that
# every veth peer was resolved, and deletes the namespaces whatever happens.
#   tests/tools/kernel_scan_bench.sh build/tests/tools/kernel_dump
# Needs root.  Namespaces are named nlt-bench-N.
set -u
KD=${1:?usage: kernel_scan_bench.sh PATH/TO/kernel_dump}
NS=${NS:-50}
PAIRS=${PAIRS:-10}
ROUNDS=${ROUNDS:-3}
P=nlt-bench
OUTJSON=$(mktemp /tmp/nlt-bench.XXXXXX)

cleanup() {
	for i in $(seq 0 $((NS - 1))); do ip netns del "$P-$i" 2>/dev/null; done
	rm -f "$OUTJSON"
}
trap cleanup EXIT INT TERM

for i in $(seq 0 $((NS - 1))); do ip netns add "$P-$i" || exit 1; done
for i in $(seq 0 $((NS - 1))); do
	j=$(((i + 1) % NS))
	{
		echo "link set lo up"
		for k in $(seq 0 $((PAIRS - 1))); do
			echo "link add v$i-$k type veth peer name p$i-$k netns $P-$j"
			echo "addr add 10.$((i % 250)).$k.1/24 dev v$i-$k"
			echo "link set v$i-$k up"
		done
	} | ip -n "$P-$i" -batch - || exit 1
done
total=0
for i in $(seq 0 $((NS - 1))); do total=$((total + $(ip -n "$P-$i" -o link | wc -l))); done
echo "interfaces: $total in $NS namespaces"

now() { date +%s.%N; }
t0=$(now)
for _ in $(seq "$ROUNDS"); do
	for i in $(seq 0 $((NS - 1))); do
		ip -n "$P-$i" -j -d link show >/dev/null
		ip -n "$P-$i" -j addr >/dev/null
	done
done
t1=$(now)
for _ in $(seq "$ROUNDS"); do "$KD" -c >"$OUTJSON" || exit 1; done
t2=$(now)
ip_s=$(echo "($t1 - $t0) / $ROUNDS" | bc -l)
kd_s=$(echo "($t2 - $t1) / $ROUNDS" | bc -l)
printf 'ip -j -d link + ip -j addr, every namespace: %.3f s\n' "$ip_s"
printf 'kernel_dump (whole machine):                 %.3f s (%.2fx)\n' "$kd_s" \
	"$(echo "$kd_s / $ip_s" | bc -l)"
/usr/bin/time -f 'kernel_dump peak RSS: %M KiB' "$KD" -c >/dev/null
/usr/bin/python3 - "$OUTJSON" "$P" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
ns = [n for n in d["namespaces"] if n["name"].startswith(sys.argv[2] + "-")]
links = [l for n in ns for l in n["links"]]
bad = [l["name"] for l in links if l["kind"] == "veth" and not l["veth"]["peer_netns"]]
print(f"scanned {len(ns)} bench namespaces, {len(links)} links, "
      f"unresolved veth peers: {len(bad)}, section errors: {len(d['errors'])}")
sys.exit(1 if bad or len(ns) == 0 else 0)
PYEOF
