"""The README's settings table must match the tap's settings (as `--about` shows them).

Regenerate the table with: .venv/bin/python tests/test_readme.py --write
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def about() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out)


def render(settings: dict) -> str:
    rows = [START, "| Setting | Default | Description |", "|:--------|:-------:|:------------|"]
    from tap_telegram.tap import CONFIG_SCHEMA

    for name in CONFIG_SCHEMA["properties"]:
        spec = settings["properties"][name]
        default = spec.get("default")
        shown = "" if default is None else f"`{json.dumps(default)}`"
        secret = " **Secret.**" if spec.get("secret") or spec.get("writeOnly") else ""
        description = spec.get("description", "").replace("|", "\\|").replace(" Secret.", "")
        rows.append(f"| `{name}` | {shown} | {description}{secret} |")
    rows.append(END)
    return "\n".join(rows)


def current_block(text: str) -> str:
    match = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
    assert match, "README has no settings block"
    return match.group(0)


def test_readme_settings_table_matches_about():
    text = README.read_text(encoding="utf-8")
    expected = render(about()["settings"])
    assert current_block(text) == expected, (
        "README settings table is stale: run .venv/bin/python tests/test_readme.py --write"
    )


def test_meltano_yml_declares_every_setting():
    import yaml

    from tap_telegram.tap import CONFIG_SCHEMA

    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (extractor,) = project["plugins"]["extractors"]
    declared = {setting["name"]: setting for setting in extractor["settings"]}
    assert set(declared) == set(CONFIG_SCHEMA["properties"])
    for name, spec in CONFIG_SCHEMA["properties"].items():
        assert bool(declared[name].get("sensitive")) == bool(spec.get("secret")), name
    assert set(extractor["capabilities"]) >= {"state", "catalog", "discover", "about"}


if __name__ == "__main__" and "--write" in sys.argv:
    text = README.read_text(encoding="utf-8")
    README.write_text(
        text.replace(current_block(text), render(about()["settings"])), encoding="utf-8"
    )
