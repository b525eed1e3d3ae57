# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-lowest lint typecheck pytest postgres e2e crash demo demo-reset bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# The end-to-end tests start their own throwaway server; this only installs
# Debian's PostgreSQL server packages when they are missing.
postgres:
	bash scripts/postgres.sh install

pytest: venv postgres
	$(BIN)/pytest

test: lint typecheck pytest

# The dependency floors are true: the suite (without e2e) on the lowest allowed versions.
test-lowest: venv
	bash scripts/test-lowest.sh

e2e: venv postgres
	$(BIN)/pytest -m e2e

crash: venv postgres
	$(BIN)/python bench/crash_harness.py --trials 10 --seed 7

demo: venv
	$(BIN)/python examples/demo.py

demo-reset: venv
	-$(BIN)/meltano --log-level=warning state clear --force dev:tap-telegram-to-target-csv
	rm -rf output/csv

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-lowest .meltano output .mypy_cache .pytest_cache .ruff_cache
