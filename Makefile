# The two README commands: `make demo` and `make test`.  Both start from a
# fresh Debian 12 machine (as root) and install what is missing themselves.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PY         ?= /usr/bin/python3
CALIPSO     = $(BUILD)/src/cli/calipso
DEMO_DB    ?= /var/lib/calipso/demo.db

.PHONY: all deps build build-asan ui demo test unit bench lab-up lab-down clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# The web UI (TypeScript, npm with its lockfile) into ui/dist, which
# `calipso serve` serves at /.
ui: deps
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# The main job: build, bring up the demo lab, scan it, print what was found.
demo: build ui
	scripts/demo.sh $(CALIPSO) $(DEMO_DB)

# Every test: unit (normal and ASan+UBSan), fuzz smoke runs, integration on
# real namespaces and daemons, UI; ends with "N passed, N failed".
test: deps
	scripts/run-tests.sh

unit: build
	meson test -C $(BUILD) --suite unit

bench: build
	scripts/run-bench.sh

lab-up: build
	$(PY) lab/lab.py up

lab-down:
	$(PY) lab/lab.py down

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-results ui/dist
