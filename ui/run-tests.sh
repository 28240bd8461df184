#!/bin/bash
# The UI's tests, called by scripts/run-tests.sh as `ui/run-tests.sh OUTDIR`:
#   1. node modules from the lockfile (npm ci), the build into ui/dist;
#   2. Debian's chromium installed when missing;
#   3. unit tests (vitest)            -> OUTDIR/ui-vitest.xml (JUnit)
#   4. end-to-end tests (vitest driving Chromium through playwright-core
#      against `calipso serve` on the lab and simulated clouds)
#                                     -> OUTDIR/ui-e2e.xml (JUnit),
#      screenshots in OUTDIR/ui-screenshots/, figures in OUTDIR/ui-perf.json.
# The binary under test is $CALIPSO_BIN (default build/src/cli/calipso).
# UI_E2E_SIM_VMS=N sizes the large simulated cloud (default 20000; 0 = none).
# Exits non-zero when a step or a test failed; every step runs anyway.
set -u
cd "$(dirname "$0")"
UI=$PWD
ROOT=$(cd .. && pwd)
OUT=${1:-$ROOT/build-results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export CALIPSO_BIN=${CALIPSO_BIN:-$ROOT/build/src/cli/calipso}
export UI_SCREENSHOTS=$OUT/ui-screenshots
export CI=${CI:-}
status=0

step() { printf '\n--- ui: %s\n' "$*"; }

# A JUnit file with one failed case, for a step that could not run the tests.
junit_fail() { # FILE SUITE MESSAGE
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="%s" tests="1" failures="1">' "$2" >"$1"
	printf '<testcase classname="%s" name="setup"><failure message="%s"/></testcase></testsuite></testsuites>\n' "$2" "$3" >>"$1"
}

step "node modules (npm ci) and build"
if ! npm ci --no-audit --no-fund --loglevel=error; then
	junit_fail "$OUT/ui-vitest.xml" vitest "npm ci failed"
	junit_fail "$OUT/ui-e2e.xml" e2e "npm ci failed"
	exit 1
fi
if ! npm run --silent build; then
	status=1
	built=0
else
	built=1
fi

step "chromium"
if [ ! -x /usr/bin/chromium ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || status=1
fi

step "unit tests (vitest)"
npx vitest run --config vitest.config.ts --reporter=default --reporter=junit \
	--outputFile.junit="$OUT/ui-vitest.xml" || status=1

step "end-to-end tests (Chromium against calipso serve)"
rm -rf "$UI_SCREENSHOTS"
if [ "$built" = 0 ]; then
	junit_fail "$OUT/ui-e2e.xml" e2e "the UI did not build"
elif [ ! -x /usr/bin/chromium ]; then
	junit_fail "$OUT/ui-e2e.xml" e2e "no /usr/bin/chromium"
	status=1
else
	npx vitest run --config e2e/vitest.config.ts --reporter=default --reporter=junit \
		--outputFile.junit="$OUT/ui-e2e.xml" || status=1
	[ -f "$OUT/ui-e2e.xml" ] || junit_fail "$OUT/ui-e2e.xml" e2e "the end-to-end run left no report"
fi
exit $status
