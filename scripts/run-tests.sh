#!/bin/bash
# Runs every test of Calipso and ends with "N passed, N failed" (the line CI
# reads).  Called by `make test` and .ci/run, as root, on a fresh clone:
#   1. unit tests (cmocka) in a normal build and in an ASan+UBSan build, the
#      store's also against a throwaway PostgreSQL;
#   2. fuzz targets (libFuzzer, clang) run briefly over their corpora;
#   3. integration tests (pytest) on a real lab of namespaces and daemons,
#      driving the normal binary and then the sanitized one;
#   4. UI tests (vitest, Playwright with Debian's Chromium), when ui/ exists.
# Every suite runs even when an earlier one failed.  Results: build-results/.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build-results
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PY=/usr/bin/python3
rm -rf "$OUT"
mkdir -p "$OUT"
results=()

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
scripts/deps.sh || exit 1

step "build (normal and ASan+UBSan)"
[ -f build/build.ninja ] || meson setup build >/dev/null || exit 1
[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false -Dbuildtype=debug >/dev/null || exit 1
ninja -C build || exit 1
ninja -C build-asan || exit 1

# A throwaway PostgreSQL for the store's tests, stopped whatever happens.
PGDIR=$(mktemp -d /tmp/calipso-pg.XXXXXX)
cleanup() {
	scripts/pg-test-server.sh stop "$PGDIR" >/dev/null 2>&1; rm -rf "$PGDIR"
	# OpenStack lab cloud (issue 6, see below): always removed.
	[ "${OSLAB_STARTED:-0}" = 1 ] && $PY lab/openstack/oslab.py down --prefix os >/dev/null 2>&1
}
trap cleanup EXIT
if PGURI=$(scripts/pg-test-server.sh start "$PGDIR"); then
	export CALIPSO_TEST_PG_URI=$PGURI
else
	echo "warning: PostgreSQL could not start; store tests run on SQLite only"
fi

for b in build build-asan; do
	step "unit tests ($b)"
	meson test -C "$b" --suite unit --print-errorlogs --num-processes 2 \
		--logbase "unit-$b" >"$OUT/unit-$b.log" 2>&1 || tail -n 100 "$OUT/unit-$b.log"
	cp "$b/meson-logs/unit-$b.json" "$OUT/unit-$b.json" 2>/dev/null
	$PY - "$OUT/unit-$b.json" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(f"  {t['name']:<28} {t['result']}")
PYEOF
	results+=("meson:unit ($b):$OUT/unit-$b.json")
done

step "fuzz targets (${FUZZ_SECONDS}s each)"
: > "$OUT/fuzz.txt"
if [ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
	-Db_sanitize=address,undefined -Db_lundef=false >/dev/null; then
	if ninja -C build-fuzz >/dev/null; then
		for f in build-fuzz/tests/fuzz/fuzz_*; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			name=$(basename "$f")
			corpus=$(mktemp -d /tmp/calipso-corpus.XXXXXX)
			cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null
			if "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
				"$corpus" >"$OUT/$name.log" 2>&1; then
				echo "pass $name" >> "$OUT/fuzz.txt"
				echo "  $name: ok ($(grep -c . "$OUT/$name.log") log lines)"
			else
				echo "fail $name" >> "$OUT/fuzz.txt"
				echo "  $name: FAILED, see $OUT/$name.log"; tail -20 "$OUT/$name.log"
			fi
			rm -rf "$corpus"
		done
	else
		echo "fail fuzz-build" >> "$OUT/fuzz.txt"
	fi
else
	echo "fail fuzz-setup" >> "$OUT/fuzz.txt"
fi
results+=("status:fuzz:$OUT/fuzz.txt")

# --- OpenStack lab cloud (issue 6, lab/openstack/): a real Zed cloud on
# loopback, brought up once (about 2 min to install the packages the first
# time, 4-5 min to start) and shared by both integration passes;
# tests/integration/test_openstack.py skips when it is not up.  Torn down by
# cleanup.  CALIPSO_SKIP_OPENSTACK=1 leaves it out.
if [ "${CALIPSO_SKIP_OPENSTACK:-0}" != 1 ]; then
	step "OpenStack lab cloud"
	OSLAB_STARTED=1
	t0=$(date +%s)
	if lab/openstack/install.sh >"$OUT/oslab-install.log" 2>&1 &&
		$PY lab/openstack/oslab.py up --prefix os >"$OUT/oslab-up.log" 2>&1; then
		echo "  up in $(( $(date +%s) - t0 )) s (install and start)"
		echo "pass openstack-cloud-up" > "$OUT/oslab.txt"
	else
		# Its tests then skip; the failed bring-up itself counts as a failure.
		echo "  the OpenStack lab cloud did not come up; its tests skip"
		tail -n 30 "$OUT/oslab-install.log" "$OUT/oslab-up.log"
		echo "fail openstack-cloud-up" > "$OUT/oslab.txt"
	fi
	results+=("status:openstack lab cloud:$OUT/oslab.txt")
fi
# --- end of the OpenStack block

for b in build build-asan; do
	step "integration tests ($b)"
	CALIPSO_BIN=$ROOT/$b/src/cli/calipso CALIPSO_BUILD=$ROOT/$b \
		$PY -m pytest -p no:cacheprovider -q -rs --junitxml="$OUT/integration-$b.xml" \
		tests/integration
	results+=("junit:integration ($b):$OUT/integration-$b.xml")
done

if [ -f ui/package.json ]; then
	step "UI tests"
	if ui/run-tests.sh "$OUT"; then :; fi
	results+=("junit:ui unit (vitest):$OUT/ui-vitest.xml")
	results+=("junit:ui end-to-end (playwright):$OUT/ui-e2e.xml")
fi

step "summary"
$PY tests/summarize.py "${results[@]}"
