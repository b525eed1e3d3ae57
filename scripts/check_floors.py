"""Every runtime dependency is installed at exactly its floor in pyproject.toml.

Run (Python 3.11+: tomllib) by ``scripts/test-lowest.sh`` in the environment it built with
``--resolution lowest-direct``: a floor that cannot be installed as written (another
dependency forces a higher version) or a requirement without a floor fails here, so the
floors stay the versions the suite really ran on. Prints one line per dependency.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def floor(requirement: Requirement) -> Version | None:
    """The version after ``>=`` (``None`` when the requirement has no floor)."""
    for spec in requirement.specifier:
        if spec.operator == ">=":
            return Version(spec.version)
    return None


def main() -> int:
    """Compare each floor with the installed version; non-zero exit on any difference."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    problems = 0
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        wanted = floor(requirement)
        installed = Version(version(requirement.name))
        ok = wanted is not None and installed == wanted
        problems += not ok
        shown = f">={wanted}" if wanted is not None else "no floor"
        print(f"{'ok ' if ok else 'BAD'} {requirement.name:<20} {shown:<12} installed {installed}")
    if problems:
        print(
            f"{problems} floor(s) in pyproject.toml are not what `--resolution lowest-direct` "
            "installs: set each to the version installed above, or find what forces it",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
