#!/usr/bin/env bash
# The floors in pyproject.toml are true: install the LOWEST versions the project allows of
# its runtime dependencies, check that each is exactly its floor, and run the suite (minus
# the end-to-end tests, which need Meltano and PostgreSQL) on them.
#
#   bash scripts/test-lowest.sh          # what `make test-lowest` and CI run
#
# `uv pip install --resolution lowest-direct` takes the lowest allowed version of every
# direct dependency (the project's own) and the newest of everything they pull in. The
# development tools are pinned to the versions of the project's development environment:
# this tree has no shared constraints file yet, so they are pinned here (DEV_TOOLS; keep
# them in step with `make venv`, or read them from a constraints file once there is one).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${LOWEST_VENV:-.venv-lowest}
UV=${UV:-.venv/bin/uv}  # uv is a development dependency (`make venv` installs it)
DEV_TOOLS=(pytest==9.2.0 pytest-httpserver==1.2.1 pexpect==4.9.0 PyYAML==6.0.4 psutil==7.2.2)

"$UV" venv --quiet --clear --python "$PYTHON" "$VENV"
"$UV" pip install --quiet --python "$VENV/bin/python" --resolution lowest-direct -e . "${DEV_TOOLS[@]}"
"$VENV/bin/python" scripts/check_floors.py
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not e2e" --ignore=tests/e2e "$@"
