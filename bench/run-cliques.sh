#!/bin/sh
# run-cliques.sh [BUILD] - the clique, impact and search benchmarks on the
# simulated cloud (docs/cliques.md, docs/performance.md): prints every
# figure, records nothing, exits non-zero only when a stage fails or the
# networkx reference disagrees with the engine.
#
#   1. inventory      simulated cloud -> builder -> store (objects only)
#   2. links-cliques  a fresh process: links and every clique from scratch
#                     (its peak RSS is theirs), the search index, then
#                     timed impact lookups and searches, and the export of
#                     the graph and of --sample cliques for networkx
#   3. nx_cliques.py  the same cliques with networkx, compared, timed
#   4. churn          a second scan with CHURN VMs changed: incremental
#   5. all            the whole pipeline in one process (its peak RSS)
#
# Sizes: HOSTS, VMS, NETWORKS (default 1000, 20000, 2000), SAMPLE (1000),
# CHURN (50).  The store is a SQLite file under /tmp/cq-bench.* removed at
# the end.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BENCH=$BUILD/bench/bench_cliques
HOSTS=${HOSTS:-1000}
VMS=${VMS:-20000}
NETWORKS=${NETWORKS:-2000}
SAMPLE=${SAMPLE:-1000}
CHURN=${CHURN:-50}
[ -x "$BENCH" ] || { echo "$0: $BENCH not built (ninja -C $BUILD bench/bench_cliques)" >&2; exit 2; }
DIR=$(mktemp -d /tmp/cq-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
SIZE="--hosts $HOSTS --vms $VMS --networks $NETWORKS"

echo "=== machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "=== 1. inventory"
"$BENCH" $SIZE --db "$DIR/cloud.db" --stage inventory --impact 0 --search 0
echo "=== 2. links and cliques from scratch, lookups"
"$BENCH" $SIZE --db "$DIR/cloud.db" --stage links-cliques --impact 200 --search 100 \
	--sample "$SAMPLE" --nx-out "$DIR/nx.json"
echo "=== 3. networkx reference"
/usr/bin/python3 bench/nx_cliques.py "$DIR/nx.json"
echo "=== 4. incremental scan"
"$BENCH" $SIZE --db "$DIR/cloud.db" --stage churn --churn "$CHURN"
echo "=== 5. the whole pipeline in one process"
rm -f "$DIR"/cloud.db*
"$BENCH" $SIZE --db "$DIR/one.db" --stage all --impact 0 --search 0 --churn 0
