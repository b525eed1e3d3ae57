"""The settings tables must match the tap's settings (as `--about` shows them), and the
record schema tables the schemas in tap_telegram/records/schemas.py:

* docs/configuration.md: every setting with its full description (``settings`` block);
* README.md: every setting in one line each, as meltano.yml describes it (``settings-summary``);
* docs/schemas.md: a table per stream (``schemas`` block).

Regenerate them with: .venv/bin/python tests/test_readme.py --write
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: Where the full settings table and the record schemas live.
CONFIGURATION = ROOT / "docs" / "configuration.md"
SCHEMAS = ROOT / "docs" / "schemas.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
SUMMARY_START, SUMMARY_END = "<!-- settings-summary:start -->", "<!-- settings-summary:end -->"
SCHEMAS_START, SCHEMAS_END = "<!-- schemas:start -->", "<!-- schemas:end -->"


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
    from tap_telegram.settings import CONFIG_SCHEMA

    for name in CONFIG_SCHEMA["properties"]:
        spec = settings["properties"][name]
        default = spec.get("default")
        shown = "" if default is None else f"`{json.dumps(default)}`"
        secret = " **Secret.**" if spec.get("secret") or spec.get("writeOnly") else ""
        description = spec.get("description", "").replace("|", "\\|").replace(" Secret.", "")
        rows.append(f"| `{name}` | {shown} | {description}{secret} |")
    rows.append(END)
    return "\n".join(rows)


def render_summary(settings: dict) -> str:
    """One row per setting: its default and meltano.yml's short description."""
    import yaml

    from tap_telegram.settings import CONFIG_SCHEMA

    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (extractor,) = project["plugins"]["extractors"]
    short = {setting["name"]: setting["description"] for setting in extractor["settings"]}
    rows = [SUMMARY_START, "| Setting | Default | What |", "|:--|:-:|:--|"]
    for name in CONFIG_SCHEMA["properties"]:
        spec = settings["properties"][name]
        default = spec.get("default")
        shown = "" if default is None else f"`{json.dumps(default)}`"
        secret = " **Secret.**" if spec.get("secret") or spec.get("writeOnly") else ""
        description = short[name].replace("|", "\\|")
        rows.append(f"| `{name}` | {shown} | {description}{secret} |")
    rows.append(SUMMARY_END)
    return "\n".join(rows)


def current_block(text: str, start: str = START, end: str = END) -> str:
    match = re.search(re.escape(start) + r".*?" + re.escape(end), text, re.S)
    assert match, f"no {start} block"
    return match.group(0)


def type_name(spec: dict) -> str:
    """``integer``, ``string (date-time)``, ``array of object``, ... (null left out)."""
    kinds = spec.get("type", "object")
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"]
    name = "/".join(kinds) or "any"
    if "array" in kinds:
        name = f"array of {type_name(spec.get('items', {}))}"
    if spec.get("format"):
        name += f" ({spec['format']})"
    return name


def schema_rows(properties: dict, prefix: str = "") -> list[str]:
    """One row per field; nested objects' fields follow as ``parent.child``."""
    rows = []
    for name, spec in properties.items():
        description = spec.get("description", "").replace("|", "\\|")
        rows.append(f"| `{prefix}{name}` | {type_name(spec)} | {description} |")
        nested = spec.get("properties") or spec.get("items", {}).get("properties")
        if nested:
            marker = "[]." if "items" in spec else "."
            rows.extend(schema_rows(nested, f"{prefix}{name}{marker}"))
    return rows


def render_schemas() -> str:
    """A table per stream, from the stream classes and the shared schemas."""
    from tap_telegram.tap import TapTelegram

    tap = TapTelegram(config={}, validate_config=False)
    out = [SCHEMAS_START]
    for stream in tap.discover_streams():
        keys = ", ".join(f"`{key}`" for key in stream.primary_keys or [])
        out += ["", f"### `{stream.name}` (key {keys})", ""]
        out += ["| Field | Type | Description |", "|:------|:-----|:------------|"]
        out += schema_rows(stream.schema["properties"])
    out += ["", SCHEMAS_END]
    return "\n".join(out)


def test_settings_table_matches_about():
    text = CONFIGURATION.read_text(encoding="utf-8")
    expected = render(about()["settings"])
    assert current_block(text) == expected, (
        "docs settings table is stale: run .venv/bin/python tests/test_readme.py --write"
    )


def test_readme_settings_summary_matches_about():
    text = README.read_text(encoding="utf-8")
    assert current_block(text, SUMMARY_START, SUMMARY_END) == render_summary(about()["settings"]), (
        "README settings summary is stale: run .venv/bin/python tests/test_readme.py --write"
    )


def test_schema_tables_match_schemas():
    text = SCHEMAS.read_text(encoding="utf-8")
    assert current_block(text, SCHEMAS_START, SCHEMAS_END) == render_schemas(), (
        "docs record schemas are stale: run .venv/bin/python tests/test_readme.py --write"
    )


def test_meltano_yml_declares_every_setting():
    import yaml

    from tap_telegram.settings import CONFIG_SCHEMA

    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (extractor,) = project["plugins"]["extractors"]
    declared = {setting["name"]: setting for setting in extractor["settings"]}
    assert set(declared) == set(CONFIG_SCHEMA["properties"])
    for name, spec in CONFIG_SCHEMA["properties"].items():
        assert bool(declared[name].get("sensitive")) == bool(spec.get("secret")), name
        # Meltano passes declared values on every run: one that differs from the tap's
        # default would be reported as set (an idle setting warns under other sources).
        assert declared[name].get("value") == spec.get("default"), name
        # Meltano 4 makes a `decimal` set by env var or CLI a Decimal, which it then
        # cannot write into the tap's config file: `meltano run` crashes.
        assert declared[name].get("kind") != "decimal", name
    assert set(extractor["capabilities"]) >= {"state", "catalog", "discover", "about"}


def test_readme_shows_how_to_point_target_postgres_at_a_server():
    """A first `meltano run tap-telegram target-postgres` needs the loader's connection
    settings; the README sets each of them, with settings meltano.yml declares (the
    password as a sensitive one, so Meltano keeps it in .env)."""
    import yaml

    text = README.read_text(encoding="utf-8")
    shown = set(re.findall(r"^meltano config set target-postgres (\w+) ", text, re.M))
    assert {"host", "port", "user", "password", "database"} <= shown, shown
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-postgres"]
    declared = {setting["name"]: setting for setting in loader["settings"]}
    assert shown <= set(declared), shown - set(declared)
    assert declared["password"].get("sensitive") is True


def slug(heading: str) -> str:
    """A heading's anchor, as mkdocs (Python-Markdown's toc) makes it."""
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def test_readme_links_resolve():
    """The README is read on GitHub, outside mkdocs' strict build: its relative links
    and their anchors are checked here."""
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    relative = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert relative
    for link in relative:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        assert target.exists(), link
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, link


def test_readme_stays_short():
    """A page a newcomer reads in a few minutes: depth goes into docs/."""
    assert len(README.read_bytes()) < 20_000


if __name__ == "__main__" and "--write" in sys.argv:
    settings = about()["settings"]
    for path, start, end, block in (
        (CONFIGURATION, START, END, render(settings)),
        (README, SUMMARY_START, SUMMARY_END, render_summary(settings)),
        (SCHEMAS, SCHEMAS_START, SCHEMAS_END, render_schemas()),
    ):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(current_block(text, start, end), block), encoding="utf-8")
