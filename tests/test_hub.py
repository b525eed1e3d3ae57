"""The Meltano Hub plugin definition (``meltano-hub/tap-telegram--your-org.yml``) agrees with
``tap-telegram --about`` and with the project's ``meltano.yml``.

The file is what MeltanoHub keeps as ``_data/meltano/extractors/tap-telegram/<variant>.yml``;
``meltano add extractor tap-telegram --from-ref <file or URL>`` also reads it as it is.
Its settings list is regenerated (descriptions, labels, kinds, options, defaults from
``--about`` and meltano.yml; the header fields are kept) with:

    .venv/bin/python tests/test_hub.py --write
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from tests.test_readme import about  # `tap-telegram --about --format json`, parsed

ROOT = Path(__file__).resolve().parent.parent
HUB_FILE = ROOT / "meltano-hub" / "tap-telegram--your-org.yml"
#: JSON schema type -> Meltano setting kind. A ``number`` is declared ``integer``:
#: Meltano 4 turns a ``decimal`` set by env var or CLI into a Python Decimal and then
#: cannot write it into the tap's config file (see meltano.yml).
KINDS = {"integer": "integer", "number": "integer", "boolean": "boolean", "array": "array",
         "object": "object", "string": "string"}  # fmt: skip


def expected_kind(spec: dict[str, Any]) -> str:
    """The Meltano kind a setting of this JSON schema has."""
    if spec.get("enum"):
        return "options"
    if spec.get("format") == "date-time":
        return "date_iso8601"
    kinds = [k for k in spec["type"] if k != "null"]
    return KINDS[kinds[0]]


def hub() -> dict[str, Any]:
    """The hub definition, parsed."""
    data: dict[str, Any] = yaml.safe_load(HUB_FILE.read_text(encoding="utf-8"))
    return data


def repo_extractor() -> dict[str, Any]:
    """The extractor of the repository's meltano.yml."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (extractor,) = project["plugins"]["extractors"]
    return dict(extractor)


def test_every_setting_of_about_is_declared_with_its_kind_and_secrecy():
    properties = about()["settings"]["properties"]
    declared = {setting["name"]: setting for setting in hub()["settings"]}
    assert list(declared) == list(properties)
    for name, spec in properties.items():
        setting = declared[name]
        assert setting["kind"] == expected_kind(spec), name
        secret = bool(spec.get("secret") or spec.get("writeOnly"))
        assert bool(setting.get("sensitive")) == secret, name
        assert setting.get("value") == spec.get("default"), name
        assert setting["label"] == spec["title"], name
        assert setting.get("description"), name
        if spec.get("enum"):
            assert [o["value"] for o in setting["options"]] == spec["enum"], name


def test_capabilities_are_the_taps():
    assert hub()["capabilities"] == sorted(about()["capabilities"])


def test_header_fields_of_a_hub_extractor_variant():
    data = hub()
    for field in ("name", "namespace", "variant", "label", "description", "pip_url",
                  "executable", "repo", "domain_url", "maintenance_status", "keywords"):  # fmt: skip
        assert data.get(field), field
    assert HUB_FILE.name == f"{data['name']}--{data['variant']}.yml"
    extractor = repo_extractor()
    assert (data["name"], data["namespace"], data["executable"]) == (
        extractor["name"],
        extractor["namespace"],
        extractor["executable"],
    )
    assert data["commands"] == extractor["commands"]
    groups = data["settings_group_validation"]
    names = {setting["name"] for setting in data["settings"]}
    assert all(set(group) <= names for group in groups)


def test_meltano_yml_declares_the_same_kinds_and_capabilities():
    """The project's own extractor says what the hub says (a user copies either)."""
    extractor = repo_extractor()
    declared = {setting["name"]: setting for setting in hub()["settings"]}
    for setting in extractor["settings"]:
        assert setting.get("kind") == declared[setting["name"]]["kind"], setting["name"]
    assert sorted(extractor["capabilities"]) == hub()["capabilities"]


def render_settings(properties: dict[str, Any], declared: dict[str, Any]) -> list[dict[str, Any]]:
    """The hub's settings list: ``--about`` for names, labels, descriptions, defaults and
    secrecy; meltano.yml for option labels."""
    settings = []
    for name, spec in properties.items():
        setting: dict[str, Any] = {"name": name, "label": spec["title"]}
        setting["kind"] = expected_kind(spec)
        setting["description"] = spec.get("description", "")
        if spec.get("default") is not None:
            setting["value"] = spec["default"]
        if spec.get("enum"):
            labels = {o["value"]: o["label"] for o in declared.get(name, {}).get("options", [])}
            setting["options"] = [{"label": labels.get(v, v), "value": v} for v in spec["enum"]]
        if spec.get("secret") or spec.get("writeOnly"):
            setting["sensitive"] = True
        settings.append(setting)
    return settings


if __name__ == "__main__" and "--write" in sys.argv:
    data = hub()
    extractor = {s["name"]: s for s in repo_extractor()["settings"]}
    data["settings"] = render_settings(about()["settings"]["properties"], extractor)
    data["capabilities"] = sorted(about()["capabilities"])
    head = HUB_FILE.read_text(encoding="utf-8").split("\nname:")[0]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    HUB_FILE.write_text(f"{head}\n{body}", encoding="utf-8")


def test_install_docs_block_is_the_projects_extractor():
    """docs/install.md's ready ``plugins.extractors`` block is meltano.yml's extractor,
    with the repository as pip_url (a user pastes it into their own project)."""
    import re

    text = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- extractor:start -->\n```yaml\n(.*?)```\n<!-- extractor:end -->", text, re.S
    )
    assert match, "docs/install.md has no extractor block"
    (shown,) = yaml.safe_load(match.group(1))["plugins"]["extractors"]
    extractor = repo_extractor()
    assert shown.pop("pip_url") == hub()["pip_url"]
    extractor.pop("pip_url")
    assert shown == extractor
