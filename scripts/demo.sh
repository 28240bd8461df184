#!/bin/sh
# The main job of the README: bring up the demo lab (namespaces, bridges,
# VXLAN, Open vSwitch on the userspace datapath, dnsmasq, container VMs),
# register it as the environment "lab", scan it and print the tree.
# Usage: scripts/demo.sh CALIPSO_BINARY DATABASE
set -eu
CAL=${1:-build/src/cli/calipso}
DB=${2:-/var/lib/calipso/demo.db}
PREFIX=${CALIPSO_LAB_PREFIX:-cl}

/usr/bin/python3 lab/lab.py up --prefix "$PREFIX"
"$CAL" --db "$DB" env add lab --config "/run/calipso-lab/$PREFIX/environment.json" --replace
# Exit 4 (completed with errors) still shows what was found.
"$CAL" --db "$DB" --env lab scan || [ $? -eq 4 ]
"$CAL" --db "$DB" --env lab show
VM=$("$CAL" --db "$DB" --env lab --json show --type instance --limit 1 |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
echo
echo "The clique of one VM: its path to the wire"
"$CAL" --db "$DB" --env lab clique "$VM"
cat <<EOT

The lab stays up.  Explore it:
  $CAL --db $DB --env lab show --type instance
  $CAL --db $DB --env lab links --type otep-host_pnic
  $CAL --db $DB --env lab search vm3
  $CAL --db $DB --env lab impact host1:host_pnic:eth0 --what-if down
  $CAL --db $DB --env lab snapshot create before; ...; $CAL --db $DB --env lab diff before live
The REST API and the web UI (the first start prints an admin password once):
  $CAL --db $DB serve --listen 127.0.0.1:8747 --ui-dir ui/dist
  then open http://127.0.0.1:8747/
Remove the lab with: make lab-down
EOT
