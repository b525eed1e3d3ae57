#!/usr/bin/env bash
# Build the sdist, then the wheel from the sdist, install the wheel into a clean virtualenv
# and run what a user runs first: `tap-telegram --about` and `tap-telegram --discover`, from
# outside the source tree. Also imports every module of the installed package and compares
# its module list, --about and the catalog with the source tree's. A file missing from the
# package (never committed, ignored, excluded by the build config) fails here, not after a
# release. `make test` runs it (`make wheel-check`), and so does the release workflow.
#
#   bash scripts/check_wheel.sh [OUTDIR]   # OUTDIR/dist keeps the sdist and wheel
#
#   PYTHON  an interpreter with `build` and `hatchling` (default: .venv/bin/python)
#   SOURCE  the project to build (default: this repository)
#
# Nothing is downloaded to build (no build isolation: PYTHON's pinned hatchling). The clean
# venv gets the wheel's dependencies at the versions of constraints/dev.txt, with uv when
# PYTHON has it (from its cache when it can: a rerun needs no network and takes seconds),
# else with pip.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="$(cd "${SOURCE:-$here}" && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
lock="$here/constraints/dev.txt"
work="$(mktemp -d "${TMPDIR:-/tmp}/tap-telegram-wheel-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "${1:-$work}/dist"
dist="$(cd "${1:-$work}/dist" && pwd)"
venv="$work/venv"

step() { echo "check_wheel: $*" >&2; }
fail() { echo "check_wheel: FAILED: $*" >&2; exit 1; }

step "building the sdist, then the wheel from it ($source_dir)"
rm -f "$dist"/tap_telegram-*
if ! "$python" -m build --no-isolation --outdir "$dist" "$source_dir" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  fail "the build failed (PYTHON needs build and hatchling: make venv)"
fi
wheels=("$dist"/tap_telegram-*.whl)
sdists=("$dist"/tap_telegram-*.tar.gz)
[[ -f "${wheels[0]}" && -f "${sdists[0]}" ]] || fail "no sdist or wheel in $dist"

step "installing $(basename "${wheels[0]}") into a clean virtualenv"
base="$("$python" -c 'import sys; print(sys._base_executable)')"
if "$python" -m uv --version >/dev/null 2>&1; then
  uv=("$python" -m uv)
  "${uv[@]}" venv --quiet --python "$base" "$venv"
  install=("${uv[@]}" pip install --quiet --python "$venv/bin/python" -c "$lock" "${wheels[0]}")
  "${install[@]}" --offline 2>/dev/null || "${install[@]}"
else
  "$base" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet -c "$lock" "${wheels[0]}"
fi

step "running the installed tap-telegram (--about, --discover, login --help, every module)"
cd "$work"
run() { env -u PYTHONPATH "$@"; }
run "$venv/bin/tap-telegram" --about --format=json >about-wheel.json 2>"$work/about.err" ||
  { cat "$work/about.err" >&2; fail "tap-telegram --about"; }
run "$venv/bin/tap-telegram" --discover >catalog-wheel.json 2>"$work/discover.err" ||
  { cat "$work/discover.err" >&2; fail "tap-telegram --discover"; }
run "$venv/bin/tap-telegram" login --help >/dev/null || fail "tap-telegram login --help"
PYTHONPATH="$source_dir" "$venv/bin/python" -m tap_telegram --about --format=json \
  >about-source.json 2>/dev/null || fail "--about of the source tree"
PYTHONPATH="$source_dir" "$venv/bin/python" -m tap_telegram --discover \
  >catalog-source.json 2>/dev/null || fail "--discover of the source tree"

run "$venv/bin/python" - "$source_dir" <<'PY' || fail "the installed package differs from the source tree"
import importlib
import json
import sys
from pathlib import Path

import tap_telegram

source = Path(sys.argv[1]) / "tap_telegram"
installed = Path(tap_telegram.__file__).parent
assert installed != source, f"imported from the source tree: {installed}"


def modules(root: Path) -> set[str]:
    """Module names of the .py files under ``root`` (read from disk: importing the
    source tree's packages would find the installed ones)."""
    names = set()
    for path in root.rglob("*.py"):
        parts = ("tap_telegram", *path.relative_to(root).with_suffix("").parts)
        names.add(".".join(parts).removesuffix(".__init__"))
    return names


missing = modules(source) - modules(installed)
if missing:
    sys.exit(f"modules missing from the wheel: {', '.join(sorted(missing))}")
for name in sorted(modules(installed)):
    if not name.endswith(".__main__"):  # importing it runs the CLI
        importlib.import_module(name)
for what in ("about", "catalog"):
    wheel = json.loads(Path(f"{what}-wheel.json").read_text(encoding="utf-8"))
    tree = json.loads(Path(f"{what}-source.json").read_text(encoding="utf-8"))
    if wheel != tree:
        sys.exit(f"the installed tap's {what} differs from the source tree's")
catalog = json.loads(Path("catalog-wheel.json").read_text(encoding="utf-8"))
streams = sorted(s["tap_stream_id"] for s in catalog["streams"])
print(f"check_wheel: ok: {len(modules(installed))} modules, streams {', '.join(streams)}",
      file=sys.stderr)
PY
if [[ -n "${1:-}" ]]; then
  step "ok: $(basename "${sdists[0]}") and $(basename "${wheels[0]}") are in $dist"
else
  step "ok: $(basename "${sdists[0]}") and $(basename "${wheels[0]}") (not kept: give OUTDIR)"
fi
