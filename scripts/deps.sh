#!/bin/sh
# Installs what Calipso needs on Debian 12, only what is missing (idempotent,
# fast when nothing is).  Run as root; used by `make demo` and `make test`.
set -eu

# Build: compiler, Meson, the C libraries DESIGN.md names.
BUILD_PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
 libjansson-dev libsqlite3-dev libpq-dev libmicrohttpd-dev libcurl4-openssl-dev libmnl-dev
 librabbitmq-dev libvirt-dev libssh-dev liblldpctl-dev libyaml-dev libsodium-dev
 libcmocka-dev libgraphviz-dev libxml2-dev"
# Lab and tests: kernel tools, Open vSwitch (userspace datapath), dnsmasq (and
# dhcp_release, which vm-rm uses),
# libvirt's test driver client, pytest, the networkx reference, wrk; Chromium
# and a font for the UI's end-to-end tests.
RUN_PKGS="iproute2 procps psmisc iputils-ping ethtool busybox openvswitch-switch dnsmasq-base
 dnsmasq-utils
 libvirt-clients sqlite3 python3 python3-pytest python3-networkx python3-yaml wrk graphviz
 chromium fonts-dejavu-core"

missing=""
for p in $BUILD_PKGS $RUN_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages:$missing; run as root to install them" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	# Package scripts must not start services (there may be no init system):
	# a policy-rc.d that refuses, for the duration of the install only.
	prc=/usr/sbin/policy-rc.d
	had_prc=0
	[ -e "$prc" ] && had_prc=1
	if [ "$had_prc" = 0 ]; then
		printf '#!/bin/sh\nexit 101\n' > "$prc"
		chmod +x "$prc"
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	[ "$had_prc" = 0 ] && rm -f "$prc"
fi
# The web UI is built with the machine's Node.js and npm (Node 20 or newer:
# Vite needs it); Debian's own packages are the fallback when there is none.
if ! command -v npm >/dev/null 2>&1; then
	echo "deps: installing nodejs npm (no Node.js on this machine)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
exit 0
