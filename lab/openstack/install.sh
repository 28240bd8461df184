#!/bin/sh
# Installs Debian 12's OpenStack Zed packages that lab/openstack/oslab.py
# runs: MariaDB, RabbitMQ, Keystone, Glance, Placement, Neutron (server, OVS,
# DHCP and L3 agents), Nova (api, conductor, scheduler; the compute service
# comes with python3-nova and runs the fake driver), the openstack CLI and
# openstacksdk.  Idempotent: installs only what is missing.
#
# sudo: oslo.privsep starts its helpers through it even for root.
#
# Package scripts must not start services (there is no init system, and
# oslab.py starts every daemon itself, bound to 127.0.0.1): a policy-rc.d
# that exits 101 is in place for the duration of the install.  Services are
# never enabled; nothing is configured here.
set -eu

PKGS="mariadb-server rabbitmq-server keystone glance-api placement-api
 neutron-server neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent
 nova-api nova-conductor nova-scheduler python3-nova
 python3-openstackclient python3-openstacksdk python3-pymysql
 uwsgi uwsgi-plugin-python3 openvswitch-switch ethtool dnsmasq-base iproute2 sudo"

if [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root" >&2
	exit 1
fi
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install.sh: every package is installed"
	exit 0
fi
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$prc"
	chmod +x "$prc"
	made_prc=1
fi
cleanup() { [ "$made_prc" = 1 ] && rm -f "$prc"; return 0; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
if ! apt-get install -o DPkg::Lock::Timeout=900 -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get -o DPkg::Lock::Timeout=900 update -qq
	# shellcheck disable=SC2086
	apt-get install -o DPkg::Lock::Timeout=900 -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold $missing
fi
echo "install.sh: installed$missing in $(( $(date +%s) - start )) s"
