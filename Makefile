# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The pinned development environment (pip constraints; `make lock` regenerates it).
LOCK := constraints/dev.txt
# pip also reads PIP_CONSTRAINT in its build-isolation subprocesses: the build backend
# that builds the editable install is pinned too.
PIP := PIP_CONSTRAINT=$(CURDIR)/$(LOCK) $(BIN)/python -m pip

.PHONY: venv lock test test-lowest lint typecheck wheel-check pytest postgres e2e crash mutants demo demo-reset try-mtproto docs bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

# Resolve the newest versions the ranges in pyproject.toml allow, in a throwaway venv,
# and write them to $(LOCK) (its comment header is kept). Review the diff, run make test.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ grep '^#' $(LOCK); \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; \
	  .lock-venv/bin/python -m pip freeze --all | grep '^pip=='; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv
	@echo "$(LOCK) updated: review the diff, run make test, commit it"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# The end-to-end tests start their own throwaway server; this only installs
# Debian's PostgreSQL server packages when they are missing.
postgres:
	bash scripts/postgres.sh install

# The suite on every core (pytest-xdist; PYTEST_WORKERS=0: one process). A test file stays
# on one worker (--dist loadfile), so its module fixtures are built once; the 20 slowest
# tests are listed at the end.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadfile --durations=20

pytest: venv postgres
	$(BIN)/pytest $(PYTEST_ARGS)

# Build the sdist and wheel, install the wheel into a clean virtualenv, run the CLI from
# it: a file missing from the package fails here, not after a release.
wheel-check: venv
	PYTHON=$(BIN)/python bash scripts/check_wheel.sh

test: lint typecheck wheel-check docs pytest

# The dependency floors are true: the suite (without e2e) on the lowest allowed versions.
test-lowest: venv
	bash scripts/test-lowest.sh

e2e: venv postgres
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

# Curated deliberate bugs (tests/mutants/catalog.py), each applied to a throwaway copy
# of the code: every one must be killed by the tests it names.
mutants: venv
	$(BIN)/python -m tests.mutants

crash: venv postgres
	$(BIN)/python bench/crash_harness.py --trials 10 --seed 7

demo: venv
	$(BIN)/python examples/demo.py

# MTProto without an account: login and two syncs against the fake Telegram of the tests
# (tests/fake_telegram), through the real command line; output in output/try-mtproto/.
try-mtproto: venv
	$(BIN)/python examples/try_mtproto.py

# The documentation site (docs/, mkdocs.yml), built strictly: a broken link or anchor fails.
docs: venv
	$(BIN)/mkdocs build --strict --quiet

demo-reset: venv
	-$(BIN)/meltano --log-level=warning state clear --force dev:tap-telegram-to-target-csv
	rm -rf output/csv

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-lowest .lock-venv .meltano output dist site .mypy_cache .pytest_cache .ruff_cache
