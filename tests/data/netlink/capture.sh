#!/bin/sh
# Recreates the captured rtnetlink dumps of this folder.  Run as root from
# the repository root, with nl_capture built:
#   tests/data/netlink/capture.sh build/tests/tools/nl_capture
# It creates two namespaces, nlt-cap-a and nlt-cap-b, fills them with the
# devices below, dumps each with nl_capture into a/ and b/, and deletes
# both namespaces whatever happens.  The kernel of the capture was 6.18
# (no dummy or bond driver there: see make_handmade.py for those).
set -eu
CAP=$(realpath "$1")
OUT=$(dirname "$(realpath "$0")")
A=nlt-cap-a
B=nlt-cap-b

cleanup() {
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
cleanup
ip netns add "$A"
ip netns add "$B"
a() { ip -n "$A" "$@"; }

a link set lo up
# A veth pair across the namespaces (peer ifindex and nsid), and one
# inside A (peer in the same namespace: no IFLA_LINK_NETNSID).
a link add nlt-x0 address 02:00:00:00:0a:01 type veth \
	peer name nlt-x1 address 02:00:00:00:0b:01 netns "$B"
a link add nlt-va address 02:00:00:00:0a:02 type veth peer name nlt-vb address 02:00:00:00:0a:03
# A bridge with STP on (this kernel has no VLAN filtering).
a link add nlt-br0 address 02:00:00:00:0a:10 type bridge stp_state 1
# VXLANs over nlt-x0: one with a unicast remote, one with FDB remotes
# (bridge port), one over IPv6.
a addr add 10.250.0.1/24 dev nlt-x0
a addr add fd00:250::1/64 dev nlt-x0 nodad
a link add nlt-vx0 address 02:00:00:00:0a:20 type vxlan id 4242 local 10.250.0.1 \
	remote 10.250.0.2 dstport 4789 dev nlt-x0
a link add nlt-vx1 address 02:00:00:00:0a:21 type vxlan id 101 local 10.250.0.1 \
	dstport 4789 dev nlt-x0 nolearning
a link add nlt-vx6 address 02:00:00:00:0a:22 type vxlan id 7 local fd00:250::1 \
	remote fd00:250::2 dstport 4790 dev nlt-x0
bridge -n "$A" fdb append 00:00:00:00:00:00 dev nlt-vx1 dst 10.250.0.3
bridge -n "$A" fdb append 00:00:00:00:00:00 dev nlt-vx1 dst 10.250.0.4
bridge -n "$A" fdb add 02:00:00:00:0c:01 dev nlt-vx1 dst 10.250.0.3
# tap and tun (the kernel calls both "tun").
a tuntap add nlt-tap0 mode tap
a link set nlt-tap0 address 02:00:00:00:0a:30
a tuntap add nlt-tun0 mode tun
# A macvlan in bridge mode on nlt-x0; an ifb (a kind we do not name).
a link add nlt-mv0 link nlt-x0 address 02:00:00:00:0a:40 type macvlan mode bridge
a link add nlt-ifb0 address 02:00:00:00:0a:50 type ifb
# Bridge ports: nlt-va, nlt-vx1, nlt-tap0.
for p in nlt-va nlt-vx1 nlt-tap0; do a link set "$p" master nlt-br0; done
a addr add 10.251.0.1/24 dev nlt-br0
for l in nlt-x0 nlt-va nlt-vb nlt-br0 nlt-vx0 nlt-vx1 nlt-vx6 nlt-mv0; do a link set "$l" up; done
ip -n "$B" link set lo up
ip -n "$B" addr add 10.250.0.2/24 dev nlt-x1
ip -n "$B" link set nlt-x1 up

mkdir -p "$OUT/a" "$OUT/b"
ip netns exec "$A" "$CAP" "$OUT/a"
ip netns exec "$B" "$CAP" "$OUT/b"
# What ip saw at the same moment, for people comparing by eye.
ip -n "$A" -d -j link show > "$OUT/a/ip-link.json"
ip -n "$A" -j addr show > "$OUT/a/ip-addr.json"
ip -n "$A" -j netns list-id > "$OUT/a/ip-netns-ids.json" || true
ip -n "$B" -d -j link show > "$OUT/b/ip-link.json"
echo "captured into $OUT/a and $OUT/b"
