"""Fuzz: mutated copies of the small samples never raise anything but ExportFormatError.

1,200 deterministic cases (seeded): truncations, byte flips, type swaps and deleted
keys, on the single-chat sample and on a small whole-account export built from it.
Whatever a case does, chats() and message_pages() either succeed or raise
ExportFormatError, and every record yielded before that is complete.
"""

from __future__ import annotations

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
from tests.sources.export.support import SINGLE_SAMPLE, load, source

SWAPS: list[Any] = [None, True, 0, -1, 1.5, 10**30, "", "x", "user12", [], [1], {}, {"id": 1}]


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
    for name, data in (("single", load(SINGLE_SAMPLE)), ("account", mini_account())):
        raw = encode(data)
        for _ in range(150):
            cut = rng.randrange(len(raw))
            out.append((f"{name}: truncate at {cut}", raw[:cut]))
        for _ in range(150):
            flipped = bytearray(raw)
            spot = rng.randrange(len(raw))
            flipped[spot] = rng.choice(b'{}[],:"0a\\\x00\xff -')
            out.append((f"{name}: byte {spot} -> {flipped[spot]}", bytes(flipped)))
        paths = nodes(data)
        for _ in range(180):
            path = rng.choice(paths)
            value = rng.choice(SWAPS)
            out.append(
                (f"{name}: {path} = {value!r}", encode(replace(copy.deepcopy(data), path, value)))
            )
        keyed = [path for path in paths if path and isinstance(path[-1], str)]
        for _ in range(120):
            path = rng.choice(keyed)
            out.append((f"{name}: del {path}", encode(delete(copy.deepcopy(data), path))))
    return out


CASES = cases()


def check_record(record: dict[str, Any], previous: int | None) -> int:
    assert tuple(record) == MESSAGE_KEYS
    assert type(record["id"]) is int
    assert previous is None or record["id"] > previous
    assert isinstance(record["date"], dt.datetime)
    assert record["date"].tzinfo is not None
    assert record["text"] is None or isinstance(record["text"], str)
    assert record["media_type"] is None or isinstance(record["media_type"], str)
    return record["id"]


def run_case(path: Path) -> None:
    problem = ""
    with closing(source(path)) as src:
        try:
            chats = src.chats()
            for item in chats:
                previous = None
                for page in src.message_pages(MessageQuery(chat_id=item["id"])):
                    for record in page:
                        previous = check_record(record, previous)
        except ExportFormatError as error:
            problem = str(error)
    assert "\n" not in problem


def test_mutated_exports_only_raise_export_format_errors(tmp_path):
    assert len(CASES) >= 1000
    path = tmp_path / "result.json"
    failures = []
    for label, content in CASES:
        path.write_bytes(content)
        try:
            run_case(path)
        except ExportFormatError:
            raise
        except Exception as error:  # noqa: BLE001 - collect every escape, report them together
            failures.append(f"{label}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures[:20])
