"""Every ``meltano`` command line of the README and docs/ runs, as a user runs it: in a fresh
Meltano project outside the repository, with the tap installed non-editable from a wheel.

* The wheel is built from the source tree (``python -m build --wheel``, no build isolation:
  the pinned hatchling), as ``scripts/check_wheel.sh`` builds it.
* ``meltano init`` makes the project in a temporary folder. The repository's hub definition
  is put where the docs' ``meltano add ... --from-ref meltano-hub/tap-telegram--your-org.yml``
  finds it, with the wheel as its ``pip_url`` (the docs' placeholder is the git URL).
* Loaders are declared as the repository's meltano.yml declares them, without ``pip_url``,
  running the cached installs of the e2e project (``meltano_project.py``): ``meltano install``
  then installs the tap only, and nothing needs Meltano Hub.
* YAML blocks of the docs that declare plugins inheriting from the project's (the scale-out
  recipe) are added to the project, as the docs tell the user to.

Each distinct command line runs once, in the order the README and the docs pages (in the
site's order) show them, and must exit 0. Lines that need what a test has not got are left
out, each kind with its reason in :data:`NEEDS`; they run elsewhere against the fake Telegram.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.meltano_project import (
    LOADERS,
    MeltanoProject,
    base_env,
    load_repo_meltano_yml,
    meltano_executable,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HUB_REF = "meltano-hub/tap-telegram--your-org.yml"
#: Command lines that cannot run here, by pattern, and why.
NEEDS: dict[str, str] = {
    r"^meltano run ": "a Telegram account or a PostgreSQL server of the user's "
    "(tests/e2e runs these pipelines against the fake Telegram and a local PostgreSQL)",
    r"^meltano invoke \S+:login": "an interactive login to Telegram "
    "(tests/e2e/test_login_meltano.py runs it against the fake)",
    r"^meltano add loader ": "Meltano Hub (the loaders are declared in full here)",
}


def doc_files() -> list[Path]:
    """README.md, then the docs pages in the site's order."""
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav: Any) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [page for item in nav for page in pages(item)]
        return [page for value in nav.values() for page in pages(value)]

    return [ROOT / "README.md", *(ROOT / "docs" / page for page in pages(site["nav"]))]


def code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced code block."""
    blocks: list[tuple[str, str]] = []
    language: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        fence = re.match(r"^\s*```(\w*)", line)
        if fence and language is None:
            language, body = fence.group(1), []
        elif fence and language is not None:
            blocks.append((language, "\n".join(body)))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


def meltano_lines() -> list[str]:
    """Distinct ``meltano ...`` lines of shell blocks, comments and a trailing ``&`` cut."""
    lines: list[str] = []
    for path in doc_files():
        for language, body in code_blocks(path.read_text(encoding="utf-8")):
            if language not in {"bash", "sh", "console", ""}:
                continue
            for raw in body.splitlines():
                if not raw.startswith("meltano "):
                    continue
                words = shlex.split(raw, comments=True)
                if words[:1] == ["meltano"]:
                    line = shlex.join(word for word in words if word != "&")
                    if line not in lines:
                        lines.append(line)
    return lines


def inheriting_plugins() -> dict[str, list[dict[str, Any]]]:
    """Plugins the docs' YAML blocks declare with ``inherit_from``."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in doc_files():
        for language, body in code_blocks(path.read_text(encoding="utf-8")):
            data = yaml.safe_load(body) if language in {"yaml", "yml"} else None
            if not isinstance(data, dict) or not isinstance(data.get("plugins"), dict):
                continue
            for kind, plugins in data["plugins"].items():
                for plugin in plugins:
                    if plugin.get("inherit_from"):
                        found.setdefault(kind, []).append(plugin)
    return found


def build_wheel(out: Path) -> Path:
    """The wheel of the source tree (non-editable)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("tap_telegram-*.whl")
    return wheel


def test_lines_are_found_and_need_no_old_meltano_forms():
    lines = meltano_lines()
    assert any(line.startswith("meltano config set tap-telegram ") for line in lines)
    assert any(line.startswith("meltano config set target-postgres ") for line in lines)
    assert any(line.startswith(f"meltano add extractor tap-telegram --from-ref {HUB_REF}")
               for line in lines)  # fmt: skip
    # Meltano 4 refuses `meltano config <plugin> set ...` ("No such command").
    assert not [line for line in lines if re.match(r"meltano config (?!set|list|unset)", line)]


def test_every_meltano_line_runs_in_a_fresh_project(
    meltano_project: MeltanoProject, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path / "dist")
    project = tmp_path / "my-project"
    env = base_env()
    # The tap's dependencies at the tested versions (from uv's cache when it can).
    env["UV_CONSTRAINT"] = env["PIP_CONSTRAINT"] = str(ROOT / "constraints" / "dev.txt")
    meltano = meltano_executable()
    subprocess.run(
        [meltano, "init", str(project), "--no-usage-stats"],
        env=env,
        check=True,
        capture_output=True,
    )
    hub = yaml.safe_load((ROOT / HUB_REF).read_text(encoding="utf-8"))
    hub["pip_url"] = str(wheel)
    (project / "meltano-hub").mkdir()
    (project / HUB_REF).write_text(yaml.safe_dump(hub), encoding="utf-8")
    definition = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    repo = load_repo_meltano_yml()
    loaders = []
    for loader in repo["plugins"]["loaders"]:
        if loader["name"] in LOADERS:
            declared = {k: v for k, v in loader.items() if k != "pip_url"}
            declared["executable"] = str(meltano_project.loader_bin(loader["name"]))
            loaders.append(declared)
    extra = inheriting_plugins()
    definition["plugins"] = {"loaders": loaders + extra.get("loaders", [])}
    (project / "meltano.yml").write_text(yaml.safe_dump(definition), encoding="utf-8")

    ran, left_out = [], []
    for line in meltano_lines():
        reason = next((why for pattern, why in NEEDS.items() if re.match(pattern, line)), None)
        if reason:
            left_out.append(line)
            continue
        done = subprocess.run(
            shlex.split(line),
            cwd=project,
            env={**env, "PATH": f"{Path(meltano).parent}:{env.get('PATH', '')}"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"`{line}` exited {done.returncode}:\n{done.stderr[-4000:]}"
        ran.append(line)
        if line.startswith("meltano add extractor tap-telegram "):
            # Only now can inheriting extractors be declared (their parent must exist).
            data = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
            data["plugins"]["extractors"] += extra.get("extractors", [])
            (project / "meltano.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert "meltano install tap-telegram" in ran
    # The tap Meltano installed is the wheel's, not the source tree's.
    venv_python = project / ".meltano" / "extractors" / "tap-telegram" / "venv" / "bin" / "python"
    where = subprocess.run(
        [str(venv_python), "-c", "import tap_telegram; print(tap_telegram.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where, where
    assert not where.startswith(str(ROOT)), where
    # Secrets went to .env, not meltano.yml.
    text = (project / "meltano.yml").read_text(encoding="utf-8")
    assert "0123456789abcdef0123456789abcdef" not in text
    assert "0123456789abcdef0123456789abcdef" in (project / ".env").read_text(encoding="utf-8")
    assert left_out, "the lines left out are expected to exist (runs, login)"
