#!/bin/sh
# Runs every benchmark and prints its figures (docs/performance.md says
# what each measures and records the last figures).  Benchmarks are not
# tests: they print, they do not judge.  Called by `make bench`; needs
# root (labs of namespaces) and a normal build in BUILD (default build).
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
PY=/usr/bin/python3
rc=0
step() { printf '\n=== %s\n' "$*"; }

step "discovery of a host: calipso scan against ip and ovs-vsctl (issues 2, 3)"
$PY bench/scan_bench.py all --calipso "$B/src/cli/calipso" || rc=1
step "cliques, impact, search on the simulated cloud (issue 4)"
bench/run-cliques.sh "$B" || rc=1
step "snapshots, diff, retention on 500,000 objects (issue 5)"
"$B/bench/bench_snapshots" || rc=1
$PY bench/snapshots_sim.py --calipso "$B/src/cli/calipso" || rc=1
step "OpenStack API discovery against a simulated cloud (issue 6)"
$PY bench/openstack_bench.py "$B" || rc=1
step "REST API under wrk (issue 7)"
bench/api_bench.sh "$B" || rc=1
exit $rc
