#!/usr/bin/env bash
# The floors in pyproject.toml are true: install the LOWEST versions the project allows of
# its runtime dependencies, check that each is exactly its floor, and run the suite (minus
# the end-to-end tests, which need Meltano and PostgreSQL) on them.
#
#   bash scripts/test-lowest.sh          # what `make test-lowest` and CI run
#
# `uv pip install --resolution lowest-direct` takes the lowest allowed version of every
# direct dependency (the project's own) and the newest of everything they pull in. The
# development tools the suite needs are pinned to the versions of the project's development
# environment, read from its lock (constraints/dev.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${LOWEST_VENV:-.venv-lowest}
UV=${UV:-.venv/bin/uv}  # uv is a development dependency (`make venv` installs it)
mapfile -t DEV_TOOLS < <(grep -iE '^(pytest|pytest[-_]httpserver|pytest[-_]xdist|execnet|pexpect|pyyaml|psutil|hypothesis)==' constraints/dev.txt)

"$UV" venv --quiet --clear --python "$PYTHON" "$VENV"
"$UV" pip install --quiet --python "$VENV/bin/python" --resolution lowest-direct -e . "${DEV_TOOLS[@]}"
"$VENV/bin/python" scripts/check_floors.py
# tests/test_release.py checks the development environment itself (pinned ruff, the
# build backend), which this runtime-floor environment deliberately does not have.
# On every core like `make test` (PYTEST_WORKERS=0: one process).
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not e2e" --ignore=tests/e2e \
    --ignore=tests/test_release.py -n "${PYTEST_WORKERS:-auto}" --dist loadfile --durations=20 "$@"
