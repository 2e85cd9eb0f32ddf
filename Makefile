# Two commands do all the set-up on a fresh machine: `make serve` and `make test`.
# Each creates .venv if it is missing and installs what it needs into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit serve wheel bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

HOST ?= 127.0.0.1
PORT ?= 8000

# The HTTP service under gunicorn (service/gunicorn_conf.py); Ctrl-C or SIGTERM stops it
# gracefully.
serve: $(STAMP)
	@echo "detainer-cost: http://$(HOST):$(PORT)/  interactive docs: http://$(HOST):$(PORT)/docs"
	exec $(BIN)/detainer-cost serve --host $(HOST) --port $(PORT)

# The wheel the Dockerfile installs, built the same way.
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
