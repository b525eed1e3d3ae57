"""Shared helpers of the export tests (no tests here).

Builds small exports in a temp dir from Python dicts, runs an ExportSource to the
end and turns records into JSON-friendly dicts.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_SAMPLE = ROOT / "examples" / "telegram-export" / "result.json"
SINGLE_SAMPLE = ROOT / "examples" / "single-chat-export" / "result.json"
LOGGER = logging.getLogger("tests.export")
UTC = dt.timezone.utc


def load(path: Path) -> dict[str, Any]:
    """A sample as a dict (for tests that edit a copy)."""
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: Any, mtime: float | None = None) -> Path:
    """Write an export file (creating folders); optionally set its modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def message(message_id: int, text: Any = "hi", /, **fields: Any) -> dict[str, Any]:
    """A minimal tdesktop message sent by user 42 at 2024-05-01 + id minutes."""
    stamp = 1714521600 + 60 * message_id
    base: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "date": "2024-05-01T03:00:00",
        "date_unixtime": str(stamp),
        "from": "Alice",
        "from_id": "user42",
        "text": text,
    }
    base.update(fields)
    return base


def chat(messages: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    """A single-chat export (a private supergroup with id 777 unless told)."""
    data: dict[str, Any] = {"name": "Test group", "type": "private_supergroup", "id": 777}
    data.update(header)
    data["messages"] = messages
    return data


def source(export_path: Path | str, **config: Any) -> ExportSource:
    """An ExportSource on ``export_path`` with extra settings."""
    return ExportSource(SourceContext({"export_path": str(export_path), **config}, LOGGER))


def pages(src: ExportSource, chat_id: int, **query: Any) -> list[list[dict[str, Any]]]:
    """Every page of one chat."""
    return list(src.message_pages(MessageQuery(chat_id=chat_id, **query)))


def messages(src: ExportSource, chat_id: int, **query: Any) -> list[dict[str, Any]]:
    """Every message record of one chat."""
    return [record for page in pages(src, chat_id, **query) for record in page]


def chats_of(export_path: Path | str, **config: Any) -> list[dict[str, Any]]:
    """The chat records of an export (source opened and closed)."""
    src = source(export_path, **config)
    try:
        return src.chats()
    finally:
        src.close()


def records_of(export_path: Path | str, chat_id: int, **query: Any) -> list[dict[str, Any]]:
    """Every message record of one chat (source opened and closed)."""
    src = source(export_path)
    try:
        return messages(src, chat_id, **query)
    finally:
        src.close()


def run_all(src: ExportSource) -> tuple[list[dict], list[dict], list[dict]]:
    """(chats, messages, users) of a full run, as the tap would read them."""
    chats = src.chats()
    records = [record for item in chats for record in messages(src, item["id"])]
    users = src.users.records()
    src.close()
    return chats, records, users


def jsonable(value: Any) -> Any:
    """Records with datetimes as ISO strings (the golden files' form)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


def golden_lines(src: ExportSource) -> list[str]:
    """One JSON line per record: ``{"stream": ..., "record": ...}``, chats first."""
    chats, records, users = run_all(src)
    lines = []
    for stream, items in (("chats", chats), ("messages", records), ("users", users)):
        for item in items:
            line = {"stream": stream, "record": jsonable(item)}
            lines.append(json.dumps(line, ensure_ascii=False, sort_keys=False))
    return lines


def edited(data: dict[str, Any]) -> dict[str, Any]:
    """A deep copy to change in a test."""
    return copy.deepcopy(data)
