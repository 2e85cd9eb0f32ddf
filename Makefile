# Two commands do all the set-up on a fresh machine: `make serve` and `make test`.
# Each creates .venv if it is missing and installs what it needs into it: `make serve`
# the service alone, `make test` the service and the test tools (Playwright, linters).
# Every dependency of the service is installed at the version requirements.lock pins.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
SERVE_STAMP := $(VENV)/.installed-serve
STAMP := $(VENV)/.installed-test

.PHONY: test test-deep lint typecheck unit unit-quick unit-slow serve wheel bench clean lock spec system-deps system-deps-serve axe-core

# Debian packages: Pango and fonts for PDF reports (WeasyPrint); Chromium's headless shell
# for the browser tests of the scenario page and the phone report (tests/browser.py);
# PostgreSQL, whose server the job store's tests start (tests/service/postgres.py).
# Installed when missing and running as root (CI, a fresh machine); otherwise the missing
# ones are named.
SERVE_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := $(SERVE_PACKAGES) chromium-headless-shell postgresql
define ensure_packages
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: missing Debian packages (install them as root): $$missing"; \
	  fi; \
	fi
endef

system-deps:
	$(call ensure_packages,$(TEST_PACKAGES))

system-deps-serve:
	$(call ensure_packages,$(SERVE_PACKAGES))

# axe-core (npm) for the accessibility checks of the scenario page's browser tests,
# installed with the machine's npm into build/node (not part of the service).
AXE_VERSION := 4.14.1
AXE_JS := build/node/node_modules/axe-core/axe.min.js
axe-core: $(AXE_JS)
$(AXE_JS):
	@command -v npm >/dev/null || { echo "npm is needed to install axe-core (Debian: apt-get install npm)"; exit 1; }
	npm install --prefix build/node --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

# The installer: uv (from PyPI, at this version) installs the versions requirements.lock
# pins, the same set pip installs (pip itself among them), in seconds where pip took
# about 75 s for the test extras on a fresh machine. Nothing is compiled ahead: Python
# compiles each module the first time it is imported.
UV_VERSION := 0.13.8
UV := $(BIN)/uv

# The venv without pip (`python -m venv` spent 5 s installing it, then uv installs the
# locked pip with the rest), uv put into it by the interpreter's own pip; where that
# interpreter has no pip, by the pip that ensurepip gives the venv.
define venv_with_uv
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet -c $(LOCK) uv==$(UV_VERSION) 2>/dev/null \
	  || { $(BIN)/python -m ensurepip --default-pip > /dev/null \
	       && $(BIN)/python -m pip install --quiet -c $(LOCK) uv==$(UV_VERSION); }
endef

# Serving: the package and its runtime dependencies only.
$(SERVE_STAMP): pyproject.toml $(LOCK)
	$(venv_with_uv)
	$(UV) pip install --quiet --python $(BIN)/python -c $(LOCK) pip -e .
	touch $(SERVE_STAMP)

# Testing: the same, plus the test extras.
$(STAMP): pyproject.toml $(LOCK)
	$(venv_with_uv)
	$(UV) pip install --quiet --python $(BIN)/python -c $(LOCK) pip -e '.[test]'
	touch $(STAMP) $(SERVE_STAMP)

# Python (ruff), the Dockerfile (hadolint) and the OpenAPI contract (its validator;
# the style rules, such as `security` on every operation, are tests/test_packaging.py).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/openapi-spec-validator openapi.yaml

# At a lower priority (nice 5): under `make test` it runs beside the compile-first step
# below, which every test waits for, and the tests themselves (it filled the second core
# while that step had the first; then it takes the cores the tests leave idle).
typecheck: $(STAMP)
	nice -n 5 $(BIN)/mypy

# Every test process (the xdist workers, each server and command a test starts) imports
# numpy, scipy, Flask, hypothesis...; where PYTHONDONTWRITEBYTECODE is set (as on CI and
# this project's machines) each compiled all of it from source again, and pytest
# rewrote every test module's asserts again in each worker: some 10 s of CPU a process.
# The test runs keep compiled modules under build/pycache instead (PYTHONPYCACHEPREFIX:
# nothing is written beside the sources or into the installed packages' folders).
TEST_ENV := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/build/pycache

# On a fresh clone build/pycache is empty, and the test processes that start at once (then
# two runs' eight controllers and workers) each compiled numpy, scipy, Flask, hypothesis,
# Schemathesis... from source: some 12 s of CPU each, 90 s in all. Two processes compile
# them first, side by side (collecting the tests imports what every worker imports; the
# other what the servers, the coverage tracer and the scale-out tests import besides),
# while lint and mypy run. Only speed depends on it: a collection error is reported by the
# test run that follows.
WARM := build/pycache/.warm
$(WARM): $(STAMP)
	$(TEST_ENV) $(BIN)/python -c "import coverage, pytest_cov, gunicorn.app.wsgiapp, gunicorn.workers.gthread, dask.distributed" > /dev/null 2>&1 & \
	$(TEST_ENV) $(BIN)/pytest --collect-only -q -p no:cacheprovider > /dev/null 2>&1; \
	wait; true
	@mkdir -p $(@D) && touch $@

# Every test but the `deep` ones in one pytest run (pytest-xdist), a worker per core and
# one more: idle workers take tests from busy ones, and the slow tests wait much of their
# time (a server starting, draining, a heartbeat going stale), so that one worker's wait is
# another's CPU. On 2 cores three workers kept both busy (vmstat) and, with a worker's start
# less, took less CPU than four (docs/benchmarks.md). --cov measures the lines of models/
# and service/ that the in-process tests run, in every worker (pytest-cov combines them),
# and fails under the floor of [tool.coverage.report] in pyproject.toml; the `slow` tests
# (statistical comparisons, the fuzzing at its quick depth, real servers, browsers) run with
# coverage paused (tests/conftest.py), since tracing every line slowed them by half and
# their servers run in other processes, unmeasured anyway.
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
unit: $(STAMP) system-deps axe-core $(WARM)
	$(TEST_ENV) DETAINER_COST_FUZZ_DEPTH=quick $(BIN)/pytest -n $(WORKERS) --dist worksteal --cov -m "not deep"

# Either part alone, for a quicker look: the in-process tests (measured, with the floor),
# or the slow ones.
unit-quick: $(STAMP) system-deps axe-core $(WARM)
	$(TEST_ENV) DETAINER_COST_FUZZ_DEPTH=quick $(BIN)/pytest -n auto --dist worksteal --cov -m "not slow and not deep"

unit-slow: $(STAMP) system-deps axe-core $(WARM)
	$(TEST_ENV) DETAINER_COST_FUZZ_DEPTH=quick $(BIN)/pytest -n $(WORKERS) --dist worksteal -m slow

# `make test` runs the linters, mypy and the tests at once (make -j, after the install):
# the cores that servers starting, browsers and sleeps leave idle do the rest of the
# work. Each prints its output, whole, as it finishes (--output-sync).
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint typecheck unit

# The deep hunts, after `make test` in .ci/run: the Schemathesis fuzzing at its deep depth
# (every operation's coverage phase, the scenario's whole enumeration at /v1/simulations,
# 100 examples each; `make test` runs every operation and check with fewer cases,
# tests/service/test_fuzz.py says which), the `deep` hypothesis hunts (hostile JSON at each
# operation, valid scenarios, extreme distributions: 300, 600 and 3,000 examples where
# `make test` runs 25, 100 and 200) and the largest allowed requests that `make test`
# does not send (tests/service/test_load.py).
test-deep: $(STAMP) $(WARM)
	$(TEST_ENV) DETAINER_COST_FUZZ_DEPTH=deep $(BIN)/pytest -n auto --dist worksteal -m deep

# openapi.yaml anew from service/openapi.skeleton.yaml and the code (service/spec.py);
# tests/service/test_spec_generated.py checks that the committed file is the generated one.
spec: $(SERVE_STAMP)
	$(BIN)/python -m service.spec

HOST ?= 127.0.0.1
PORT ?= 8000

# The HTTP service under gunicorn (service/gunicorn_conf.py); Ctrl-C or SIGTERM stops it
# gracefully.
serve: $(SERVE_STAMP) system-deps-serve
	@echo "detainer-cost: http://$(HOST):$(PORT)/  interactive docs: http://$(HOST):$(PORT)/docs"
	exec $(BIN)/detainer-cost serve --host $(HOST) --port $(PORT)

# The wheel the Dockerfile installs, built the same way (the build backend pinned too).
wheel: $(SERVE_STAMP)
	PIP_CONSTRAINT=$(LOCK) $(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

bench: $(STAMP) system-deps
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/bench_engine.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_peers.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_http.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_page.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_report.py --clock cpu
	PYTHONPATH=. $(BIN)/python benchmarks/bench_rollup.py

# requirements.lock anew: the newest versions pyproject.toml allows (the service and its
# test tools resolved together, so that one set of pins serves both), in a fresh venv.
# Then `make test` installs them and tests them.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[test]'
	{ sed -n '1,/^$$/p' $(LOCK); \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude detainer-cost --exclude wheel \
	    | LC_ALL=C sort -f; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage build dist
