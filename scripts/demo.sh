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
cat <<EOT

The lab stays up.  Explore it:
  $CAL --db $DB --env lab show --type instance
  $CAL --db $DB --env lab links
  $CAL --db $DB --env lab show host1:vnic:<name>
Remove it with: make lab-down
EOT
