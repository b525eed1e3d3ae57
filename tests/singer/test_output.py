"""The fast output path (tap_telegram/singer/output.py) against the SDK's own behaviour.

``messages`` records skip the SDK's recursive type conformance; these tests are
what makes that safe: on records of every kind, from both sources, the compiled
datetime conformer must give exactly what the SDK's recursive conformance gives,
and records must carry schema keys only (the SDK would drop others, we would not).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import math
import sys
from typing import Any

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_telegram.records.schemas import MESSAGE_SCHEMA
from tap_telegram.records.types import plain
from tap_telegram.singer.output import PageFlushWriter, datetime_conformer, datetime_paths
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_message
from tests.fake_telegram import variety_world
from tests.fake_telegram.history import with_entities
from tests.sources.export.support import ACCOUNT_SAMPLE, SINGLE_SAMPLE, run_all, source

SCHEMA = MESSAGE_SCHEMA
LOGGER = logging.getLogger("tests.output")


def mtproto_records() -> list[dict[str, Any]]:
    """Every message of the variety world (all chat kinds and contents), mapped."""
    world = variety_world()
    out = []
    for chat in world.chats.values():
        messages = [world.message(chat.key, i) for i in world.message_ids(chat.key)]
        users, chats = with_entities(world, messages)
        peers = PeerIndex.from_response(users, chats, world.self_user.id)
        for message in messages:
            record = map_message(message, world.marked_id(chat), peers)
            if record is not None:
                out.append(plain(record))
    return out


def export_records() -> list[dict[str, Any]]:
    return [r for sample in (SINGLE_SAMPLE, ACCOUNT_SAMPLE) for r in run_all(source(sample))[1]]


@pytest.fixture(scope="module", params=["mtproto", "export"])
def records(request) -> list[dict[str, Any]]:
    found = mtproto_records() if request.param == "mtproto" else export_records()
    assert len(found) > 100
    return found


def test_datetime_paths_cover_the_schema():
    paths = datetime_paths(SCHEMA)
    assert ("date",) in paths
    assert ("edit_date",) in paths
    assert ("fwd_from", "date") in paths


def test_conformer_equals_sdk_recursive_conformance(records):
    conform = datetime_conformer(SCHEMA)
    for record in records:
        expected = conform_record_data_types(
            "messages", copy.deepcopy(record), SCHEMA, TypeConformanceLevel.RECURSIVE, LOGGER
        )
        assert conform(copy.deepcopy(record)) == expected


def _check(value: Any, schema: dict[str, Any] | None, path: str) -> None:
    """Schema keys only (unless the schema allows more), JSON values only.

    ``schema=None``: a free-form part (``additionalProperties``); values must still be
    JSON. Datetimes are allowed: the conformer converts the schema's date-time fields,
    and msgspec writes any other one as RFC 3339.
    """
    if isinstance(value, dict):
        props = (schema or {}).get("properties")
        if schema is not None and props is None:
            raise AssertionError(f"{path}: object where the schema has none")
        for key, item in value.items():
            if props is not None and key in props:
                _check(item, props[key], f"{path}.{key}")
            else:
                assert schema is None or schema.get("additionalProperties"), (
                    f"{path}: key {key!r} is not in the schema"
                )
                _check(item, None, f"{path}.{key}")
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        for item in value:
            _check(item, items if schema is not None else None, f"{path}[]")
    elif isinstance(value, float):
        assert math.isfinite(value), path
    else:
        assert value is None or isinstance(value, (str, int, bool, dt.datetime)), (
            f"{path}: {type(value).__name__} is not a JSON value"
        )


def test_records_hold_schema_keys_and_json_values_only(records):
    for record in records:
        _check(record, SCHEMA, "message")


def test_writer_flushes_records_with_the_next_state(monkeypatch):
    out = io.BytesIO()

    class Stdout:
        buffer = out

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", Stdout())
    writer = PageFlushWriter()
    for message_id in (1, 2):
        writer.write_message(RecordMessage(stream="messages", record={"id": message_id}))
    assert out.getvalue() == b"", "records wait for the STATE that covers them"
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["type"] for line in lines] == ["RECORD", "RECORD", "STATE"]
    assert [line["record"]["id"] for line in lines[:2]] == [1, 2]


def test_state_lines_equal_the_sdks_without_its_deep_copy(monkeypatch):
    value = {
        "bookmarks": {
            "messages": {"partitions": [{"context": {"chat_id": -1001}, "replication_key": "id",
                                         "replication_key_value": 7, "stats": {"runs": 2}}]},
            "chats": {"memory": {"full": {"-1001": {"at": 1717243200, "about": "ü 🧪"}}}},
            "users": {"x": None, "y": [1, "2", {"z": None}]},
        }
    }  # fmt: skip
    sdk = bytes(MsgSpecWriter().serialize_message(StateMessage(value=copy.deepcopy(value))))
    ours = bytes(PageFlushWriter().serialize_message(StateMessage(value=value)))
    assert ours == sdk
    calls: list[StateMessage] = []

    def to_dict(self: StateMessage) -> dict[str, Any]:
        calls.append(self)
        return {"type": "STATE"}

    monkeypatch.setattr(StateMessage, "to_dict", to_dict)
    PageFlushWriter().serialize_message(StateMessage(value=value))
    assert not calls, "the STATE value is encoded as it is, not copied first"
    record = RecordMessage(stream="messages", record={"id": 1})
    assert bytes(PageFlushWriter().serialize_message(record)) == bytes(
        MsgSpecWriter().serialize_message(record)
    )


def _catalog_without(run_discover: Any, breadcrumbs: set[tuple[str, ...]]) -> dict[str, Any]:
    """The discovered catalog, every stream selected, ``messages`` minus ``breadcrumbs``."""
    catalog = json.loads(run_discover.stdout)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            crumb = tuple(item["breadcrumb"])
            item["metadata"]["selected"] = not (
                entry["tap_stream_id"] == "messages" and crumb in breadcrumbs
            )
    return catalog


def test_deselected_properties_stream_maps_and_per_chat_streams_still_apply() -> None:
    """The stream's own record path keeps the SDK's selection and stream-map behaviour."""
    from tests.fake_telegram import FakeTelegram, World, run_fake_tap

    world = World(seed=5)
    world.add_chat("news", "channel", username="out_news", messages=40)
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["@out_news"])
    discovered = run_fake_tap(fake, config, extra_args=["--discover"]).check()
    catalog = _catalog_without(discovered, {("properties", "text"), ("properties", "fwd_from")})
    trimmed = run_fake_tap(fake, config, catalog=catalog).check()
    records = trimmed.records["messages"]
    assert len(records) == 40
    assert all("text" not in r and "fwd_from" not in r and "views" in r for r in records)

    mapped = run_fake_tap(
        fake,
        {
            **config,
            "stream_per_chat": True,
            "stream_maps": {"messages": {"__alias__": "posts", "text": "__NULL__"}},
        },
    ).check()
    suffix = str(abs(world.marked_id("news")))
    assert [len(mapped.records.get(f"posts_{suffix}", []))] == [40], list(mapped.records)
    assert all("text" not in r for r in mapped.records[f"posts_{suffix}"])
