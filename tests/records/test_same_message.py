"""The same logical message through all three mappers: what they share must agree.

Each logical message (:mod:`tests.records.logical`, :mod:`tests.records.logical_media`) is written as MTProto TL objects,
a Telegram Desktop export dict and a Bot API Message dict, mapped by each source, and
the records compared field by field. A field a source cannot know is listed per case
and per source; it must still be present (every source emits the same shape), but its
value is not compared. Everything else must be equal, so a spelling drift (``todo``
vs ``to_do``, a missing ``chosen``) fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tap_telegram.records.types import plain
from tap_telegram.sources.bot_api.mapping.messages import map_message as map_bot_api
from tap_telegram.sources.export.mapping.messages import map_message as map_export
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex
from tap_telegram.sources.mtproto.mapping.messages import map_message as map_mtproto
from tests.records.logical import (
    ALICE,
    CHANNEL,
    CHAT_ID,
    Logical,
    text_message,
    wire,
)
from tests.records.logical_media import media_messages

#: The fields every source fills from the message itself (counters, albums, flags and
#: lookback fields are per-source knowledge and not compared).
COMPARED = (
    "chat_id",
    "id",
    "date",
    "edit_date",
    "sender_id",
    "sender_type",
    "sender_name",
    "text",
    "entities",
    "reply_to_msg_id",
    "reply_to_top_id",
    "fwd_from",
    "reactions",
    "media_type",
    "media",
    "is_service",
    "action",
    "link",
)
CASES = {"text": text_message(), **media_messages()}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """``{"media.answers[].text": [...], ...}``: nested keys as paths, lists of objects by key."""
    if isinstance(value, dict):
        out: dict[str, Any] = {path: "{}"} if path else {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        columns: dict[str, list[Any]] = {}
        for item in value:
            for key, cell in flatten(item, f"{path}[]").items():
                columns.setdefault(key, []).append(cell)
        return {path: len(value), **columns}
    return {path: value}


def records(case: Logical) -> dict[str, dict[str, Any]]:
    """The flattened, compared part of each source's record."""
    peers = PeerIndex.from_response([wire(ALICE)], [wire(CHANNEL)], self_id=99)
    mapped = {"mtproto": map_mtproto(case.mtproto, CHAT_ID, peers)}
    if case.export is not None:
        mapped["export"] = map_export(case.export, CHAT_ID)
    if case.bot_api is not None:
        mapped["bot_api"] = map_bot_api(case.bot_api)
    out = {}
    for source, record in mapped.items():
        assert record is not None, source
        out[source] = flatten({key: plain(record)[key] for key in COMPARED})
    return out


def inside(path: str, prefix: str) -> bool:
    """``path`` is a field nested in ``prefix`` (``fwd_from.date`` in ``fwd_from``)."""
    return path.startswith((prefix + ".", prefix + "["))


def unknown_to(case: Logical, source: str, path: str) -> bool:
    """The source cannot know this value: it is not compared."""
    return any(path == p or inside(path, p) for p in case.unknown.get(source, ()))


def may_lack(case: Logical, source: str, path: str) -> bool:
    """Only a field inside a wholly unknown object (Bot API reactions) may be absent."""
    return any(inside(path, p) for p in case.unknown.get(source, ()))


@pytest.mark.parametrize("name", list(CASES))
def test_sources_agree_on_what_they_share(name):
    case = CASES[name]
    by_source = records(case)
    assert len(by_source) >= 2
    paths = {path for flat in by_source.values() for path in flat}
    problems = []
    for path in sorted(paths):
        present = {source: flat for source, flat in by_source.items() if path in flat}
        missing = sorted(set(by_source) - set(present))
        if missing and not all(may_lack(case, source, path) for source in missing):
            problems.append(f"{path}: missing from {missing}")
            continue
        values = {
            source: flat[path]
            for source, flat in present.items()
            if not unknown_to(case, source, path)
        }
        if any(value != next(iter(values.values())) for value in values.values()):
            problems.append(f"{path}: {values}")
    assert not problems, "\n".join(problems)


def test_the_cases_cover_the_shared_sub_records():
    """Entities, reactions, forward, reply and every media kind two sources carry."""
    text = records(CASES["text"])
    for source in ("mtproto", "export", "bot_api"):
        assert text[source]["entities"] == 18
        assert text[source]["fwd_from.from_id"] == -1000000000777
        assert text[source]["reply_to_msg_id"] == 3
    assert text["mtproto"]["reactions"] == text["export"]["reactions"] == 3
    kinds = {name: records(case)["mtproto"]["media_type"] for name, case in CASES.items()}
    assert kinds == {name: (None if name == "text" else name) for name in CASES}
    assert records(CASES["photo"])["bot_api"]["media.spoiler"] is True
