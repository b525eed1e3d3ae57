"""Fuzz: mutated copies of the small samples never raise anything but ExportFormatError.

About 2,000 deterministic cases (seeded): truncations, byte flips, type swaps and
deleted keys, on the single-chat sample, a small whole-account export built from it
and the hand-made exports of older eras (tests/sources/export/eras: no ids, typed ids,
integer senders, local dates, a migrated supergroup's negative ids). Some cases are
written with a byte-order mark or as UTF-16/32, some read with ``export_timezone``.
Whatever a case does, chats() and history_pages() either succeed or raise
ExportFormatError, every record yielded before that is complete, ids ascend, and no
custom emoji id is a file path.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import json
import random
from contextlib import closing
from pathlib import Path
from typing import Any

from tap_telegram.errors import ExportFormatError
from tap_telegram.records.schemas import MESSAGE_KEYS
from tap_telegram.sources.base import MessageQuery
from tests.sources.export.support import ERAS, SINGLE_SAMPLE, load, source

SWAPS: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "user12",
    [],
    [1],
    {},
    {"id": 1},
    -999999939,  # a migrated basic group's message id
    (1 << 32) + 42,  # a 2018-2021 typed user id
    (2 << 32) + 42,  # ... of a basic group or channel
    "2021-03-28T02:30:00",  # a local date (in Berlin's DST gap)
    "2021-07-01T12:00:00+02:00",
    "stickers/sticker.webp",  # what custom emoji document_id holds since July 2022
]
#: Older eras, fuzzed with fewer cases each.
ERA_FILES = [
    "2018-account-no-ids.json",
    "2019-account-typed-ids.json",
    "2020-chat-typed-from-ids.json",
    "2024-chat-migrated.json",
]
#: How a case's bytes are written: as they are, with a BOM, or in another encoding.
WRAPS: list[tuple[str, Any]] = [
    ("utf-8", lambda raw: raw),
    ("utf-8 BOM", lambda raw: codecs.BOM_UTF8 + raw),
    ("utf-16-le BOM", lambda raw: codecs.BOM_UTF16_LE + recode(raw, "utf-16-le")),
    ("utf-32-be", lambda raw: recode(raw, "utf-32-be")),
]


def recode(raw: bytes, encoding: str) -> bytes:
    """UTF-8 bytes in another encoding (bytes that are no UTF-8 stay as they are)."""
    return raw.decode("utf-8", "surrogateescape").encode(encoding, "surrogatepass")


def mini_account() -> dict[str, Any]:
    """Two chats and a left chat made from the single-chat sample, plus owner info."""
    single = load(SINGLE_SAMPLE)
    other = copy.deepcopy(single)
    other.update(name="Copy", type="personal_chat", id=42)
    other["messages"] = other["messages"][:8]
    return {
        "about": "fuzz",
        "personal_information": {"user_id": 5107788123, "first_name": "Лена", "username": "@l"},
        "contacts": {"list": [{"user_id": 42, "first_name": "A", "last_name": "B"}]},
        "chats": {"list": [single, other]},
        "left_chats": {"list": [copy.deepcopy(other) | {"id": 43}]},
    }


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def nodes(data: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every value inside ``data``."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(nodes(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(nodes(value, (*path, index)))
    return found


def replace(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def delete(data: Any, path: tuple) -> Any:
    target = data
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return data


def cases() -> list[tuple[str, bytes]]:
    """(label, file content) for every fuzz case, deterministic."""
    rng = random.Random(4242)
    out: list[tuple[str, bytes]] = []
    bases = [("single", load(SINGLE_SAMPLE), 1.0), ("account", mini_account(), 1.0)]
    bases += [(name, load(ERAS / name), 0.25) for name in ERA_FILES]
    for name, data, share in bases:
        raw = encode(data)
        for _ in range(int(150 * share)):
            cut = rng.randrange(len(raw))
            out.append((f"{name}: truncate at {cut}", raw[:cut]))
        for _ in range(int(150 * share)):
            flipped = bytearray(raw)
            spot = rng.randrange(len(raw))
            flipped[spot] = rng.choice(b'{}[],:"0a\\\x00\xff -')
            out.append((f"{name}: byte {spot} -> {flipped[spot]}", bytes(flipped)))
        paths = nodes(data)
        for _ in range(int(180 * share)):
            path = rng.choice(paths)
            value = rng.choice(SWAPS)
            out.append(
                (f"{name}: {path} = {value!r}", encode(replace(copy.deepcopy(data), path, value)))
            )
        keyed = [path for path in paths if path and isinstance(path[-1], str)]
        for _ in range(int(120 * share)):
            path = rng.choice(keyed)
            out.append((f"{name}: del {path}", encode(delete(copy.deepcopy(data), path))))
    wrapped = []
    for label, content in out:
        wrap_name, wrap = rng.choice(WRAPS) if rng.random() < 0.3 else WRAPS[0]
        wrapped.append((f"{label} [{wrap_name}]", wrap(content)))
    return wrapped


CASES = cases()


def check_record(record: dict[str, Any], previous: int | None) -> int:
    assert tuple(record) == MESSAGE_KEYS
    assert type(record["id"]) is int
    assert previous is None or record["id"] > previous
    assert isinstance(record["date"], dt.datetime)
    assert record["date"].tzinfo is not None
    assert record["text"] is None or isinstance(record["text"], str)
    assert record["media_type"] is None or isinstance(record["media_type"], str)
    for item in (record["entities"] or []) + (record["reactions"] or []):
        custom = item["custom_emoji_id"]
        assert custom is None or custom.isdigit(), custom
    return record["id"]


def run_case(path: Path, config: dict[str, Any]) -> None:
    problem = ""
    with closing(source(path, **config)) as src:
        try:
            chats = src.chats()
            for item in chats:
                previous = None
                for page in src.history_pages(MessageQuery(chat_id=item["id"])):
                    for record in page:
                        previous = check_record(record, previous)
        except ExportFormatError as error:
            problem = str(error)
    assert "\n" not in problem


def test_every_base_loads_before_it_is_mutated():
    """The fuzz starts from good files of every era (with the zone old ones need)."""
    for name in ERA_FILES:
        with closing(source(ERAS / name, export_timezone="Europe/Berlin")) as src:
            chats = src.chats()
            assert chats, name
            for item in chats:
                previous = None
                for page in src.history_pages(MessageQuery(chat_id=item["id"])):
                    for record in page:
                        previous = check_record(record, previous)


def test_mutated_exports_only_raise_export_format_errors(tmp_path):
    assert len(CASES) >= 1500
    path = tmp_path / "result.json"
    failures = []
    for number, (label, content) in enumerate(CASES):
        path.write_bytes(content)
        config = {"export_timezone": "Europe/Berlin"} if number % 2 else {}
        try:
            run_case(path, config)
        except ExportFormatError:
            raise
        except Exception as error:  # noqa: BLE001 - collect every escape, report them together
            failures.append(f"{label}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures[:20])
