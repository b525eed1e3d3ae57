"""Opt-in streams (contacts, the streams for admins) are off unless selected: without a catalog,
and under Meltano's ``select``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.fake_telegram.harness import catalog_selecting

ROOT = Path(__file__).resolve().parents[1]
#: Streams never read unless asked for: requests only admins may send, and the contact list.
OPT_IN_STREAMS = {"admin_log", "channel_stats", "group_stats", "stats_graphs", "contacts"}


def test_opt_in_streams_are_not_selected_by_default() -> None:
    catalog = catalog_selecting()
    for entry in catalog["streams"]:
        root = next(item for item in entry["metadata"] if item["breadcrumb"] == [])
        by_default = root["metadata"].get("selected-by-default")
        assert by_default is (entry["tap_stream_id"] not in OPT_IN_STREAMS), entry["tap_stream_id"]


def test_meltano_yml_selects_everything_but_the_opt_in_streams() -> None:
    # Meltano is a development tool: `make test-lowest` runs the runtime floors without it.
    rules_module = pytest.importorskip("meltano.core.plugin.singer.catalog")
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    select = project["plugins"]["extractors"][0]["select"]
    catalog = catalog_selecting()
    # Meltano's order (SingerTap.apply_catalog_rules): deselect all, then the select rules.
    rules = [
        *rules_module.select_metadata_rules(["!*.*"]),
        *rules_module.select_metadata_rules(select),
    ]
    rules_module.visit(catalog, rules_module.MetadataExecutor(rules))
    lister = rules_module.ListSelectedExecutor()
    rules_module.visit(catalog, lister)
    every = {entry["tap_stream_id"] for entry in catalog["streams"]}
    assert set(lister.selected_properties) == every - OPT_IN_STREAMS
