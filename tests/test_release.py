"""Reproducible builds and the release path: the pinned development environment, the
package check that `make test` and the release workflow run, and the workflow itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "constraints" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def pins() -> dict[str, str]:
    """``{normalized name: version}`` of constraints/dev.txt; every line must be a pin."""
    out: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin in {LOCK.name}: {line!r}"
        out[canonicalize_name(match.group(1))] = match.group(2)
    return out


def declared() -> list[Requirement]:
    """Every requirement of the project: runtime, the dev extra, the build backend."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    texts = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    return [Requirement(text) for text in texts]


def test_the_lock_pins_every_requirement_within_its_range():
    pinned = pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in {LOCK.name}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={pinned[name]}, outside {requirement}: run make lock"
        )
    assert "pip" in pinned
    assert "tap-telegram" not in pinned  # the package itself is never pinned


def test_this_environment_runs_the_pinned_tools():
    """The tools that decide whether `make test` is green are the locked versions (a
    stale venv: `make venv` reinstalls it when the lock changes)."""
    pinned = pins()
    for tool in ("ruff", "mypy", "pytest", "singer-sdk", "telethon", "hatchling"):
        assert version(tool) == pinned[tool], f"{tool} {version(tool)}: run make venv"


def make_dry_run(*targets: str, venv: Path) -> str:
    """The commands ``make`` would run for ``targets`` with a venv that does not exist yet."""
    done = subprocess.run(
        ["make", "-n", *targets, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_demo_and_ci_install_with_the_lock(tmp_path):
    constraint = f"PIP_CONSTRAINT={ROOT}/constraints/dev.txt"
    for target in ("test", "demo"):
        commands = make_dry_run(target, venv=tmp_path / target)
        installs = [line for line in commands.splitlines() if " pip install " in line]
        assert installs, commands
        assert all(line.startswith(constraint) for line in installs), installs
    assert "scripts/check_wheel.sh" in make_dry_run("test", venv=tmp_path / "test")
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "constraints/dev.txt" in make_dry_run("lock", venv=tmp_path / "lock")


def test_release_workflow_builds_and_checks_the_wheel_on_a_tag():
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    )
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    runs = "\n".join(
        str(step.get("run", "")) for job in workflow["jobs"].values() for step in job["steps"]
    )
    assert "-c constraints/dev.txt" in runs
    assert "scripts/check_wheel.sh" in runs
    assert "CHANGELOG.md" in runs


@pytest.mark.slow
def test_the_package_check_catches_a_module_left_out_of_the_package(tmp_path):
    """scripts/check_wheel.sh on a copy of the project whose one module is ignored (never
    committed): the build succeeds and `--about`/`--discover` even run, but the check fails
    and names the module."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".lock-venv", ".meltano", "output", "dist", "__pycache__",
            ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "results",
        ),
    )  # fmt: skip
    with (source / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("tap_telegram/sources/export/read.py\n")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check_wheel.sh")],
        cwd=tmp_path,
        env={**os.environ, "SOURCE": str(source), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "modules missing from the wheel: tap_telegram.sources.export.read" in done.stderr
    assert "check_wheel: FAILED" in done.stderr


def test_meltano_yml_pins_the_loaders():
    """`make demo` and the end-to-end tests install loaders from meltano.yml: a new loader
    release must not change what they run until the pin is moved."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    for loader in project["plugins"]["loaders"]:
        assert re.fullmatch(r"[\w.-]+==[\w.]+", loader["pip_url"]), loader["pip_url"]
