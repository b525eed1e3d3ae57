"""The records' TypedDicts and the streams' schemas name the same keys, in the same order.

Walks every stream's schema and its TypedDict together, down every nested object
(entities, forwards, reactions, media, poll answers, actions, the messages inside an
admin-log event, the statistics' lists): a key added to a schema but not to its type,
or the other way round, fails here.
"""

from __future__ import annotations

import types
import typing
from typing import Any, is_typeddict

import pytest

from tap_telegram.records import types as record_types
from tap_telegram.records.moderation import ADMIN_LOG_SCHEMA
from tap_telegram.records.schemas import (
    CHAT_SCHEMA,
    CONTACT_SCHEMA,
    MESSAGE_SCHEMA,
    PARTICIPANT_SCHEMA,
    TOPIC_SCHEMA,
    USER_SCHEMA,
    empty_chat,
    empty_media,
    empty_message,
    empty_user,
)
from tap_telegram.records.statistics import (
    CHANNEL_STATS_SCHEMA,
    GROUP_STATS_SCHEMA,
    STATS_GRAPH_SCHEMA,
)

STREAMS = {
    "messages": (MESSAGE_SCHEMA, record_types.MessageRecord),
    "chats": (CHAT_SCHEMA, record_types.ChatRecord),
    "users": (USER_SCHEMA, record_types.UserRecord),
    "topics": (TOPIC_SCHEMA, record_types.TopicRecord),
    "participants": (PARTICIPANT_SCHEMA, record_types.ParticipantRecord),
    "contacts": (CONTACT_SCHEMA, record_types.ContactRecord),
    "admin_log": (ADMIN_LOG_SCHEMA, record_types.AdminEventRecord),
    "channel_stats": (CHANNEL_STATS_SCHEMA, record_types.ChannelStatsRecord),
    "group_stats": (GROUP_STATS_SCHEMA, record_types.GroupStatsRecord),
    "stats_graphs": (STATS_GRAPH_SCHEMA, record_types.StatsGraphRecord),
}


def _object_type(hint: Any) -> type | None:
    """The TypedDict a key's type holds (``X | None``, ``list[X] | None``), if any."""
    if is_typeddict(hint):
        return typing.cast("type", hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType, list):
        found = [_object_type(arg) for arg in typing.get_args(hint)]
        return next((item for item in found if item is not None), None)
    return None


def _node(schema: dict[str, Any]) -> dict[str, Any]:
    """The object schema of a property: itself, or its ``items`` for an array."""
    return schema.get("items", schema)


def _declared(typed: type) -> list[str]:
    """The TypedDict's keys that every record carries, in declaration order."""
    required = typed.__required_keys__  # type: ignore[attr-defined]
    return [key for key in typing.get_type_hints(typed) if key in required]


def _walk(path: str, schema: dict[str, Any], typed: type) -> list[str]:
    """Every mismatch between ``schema``'s properties and ``typed``, down the tree."""
    problems = []
    properties = schema.get("properties", {})
    keys = _declared(typed)
    if list(properties) != keys:
        problems.append(f"{path}: schema {list(properties)} != type {keys}")
    extras = set(typed.__optional_keys__) & set(properties)  # type: ignore[attr-defined]
    if extras:
        problems.append(f"{path}: schema keys typed as optional: {sorted(extras)}")
    hints = typing.get_type_hints(typed)
    for key, prop in properties.items():
        node = _node(prop)
        nested = _object_type(hints.get(key))
        if node.get("properties") and nested is None:
            problems.append(f"{path}.{key}: an object in the schema, no TypedDict in the type")
        elif nested is not None:
            problems.extend(_walk(f"{path}.{key}", node, nested))
    return problems


@pytest.mark.parametrize("stream", STREAMS)
def test_schema_and_typeddict_name_the_same_keys(stream):
    schema, typed = STREAMS[stream]
    assert _walk(stream, schema, typed) == []


def test_the_walk_sees_a_missing_key():
    schema, typed = STREAMS["messages"]
    media = schema["properties"]["media"]
    changed = {**media, "properties": {**media["properties"], "blurhash": {"type": ["string"]}}}
    wrong = {**schema, "properties": {**schema["properties"], "media": changed}}
    assert _walk("messages", wrong, typed) == [
        "messages.media: schema "
        f"{[*media['properties'], 'blurhash']} != type {_declared(record_types.MediaRecord)}"
    ]


def test_empty_records_carry_the_typed_keys():
    assert list(empty_message(1, 2)) == _declared(record_types.MessageRecord)
    assert list(empty_chat(1)) == _declared(record_types.ChatRecord)
    assert list(empty_user(1)) == _declared(record_types.UserRecord)
    assert list(empty_media("photo")) == _declared(record_types.MediaRecord)
