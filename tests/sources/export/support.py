"""Shared helpers of the export tests (no tests here).

Builds small exports in a temp dir from Python dicts, runs an ExportSource to the
end and turns records into JSON-friendly dicts.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource
from tests.stream_check import check_text

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_SAMPLE = ROOT / "examples" / "telegram-export" / "result.json"
SINGLE_SAMPLE = ROOT / "examples" / "single-chat-export" / "result.json"
#: Hand-made exports of every Telegram Desktop era (tests/sources/export/eras/README.md).
ERAS = Path(__file__).resolve().parent / "eras"
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
    return list(src.history_pages(MessageQuery(chat_id=chat_id, **query)))


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


@dataclasses.dataclass
class TapRun:
    """A finished ``tap-telegram`` process: exit code, stderr, records and STATE values."""

    returncode: int
    stderr: str
    records: dict[str, list[dict[str, Any]]]
    states: list[dict[str, Any]]

    @property
    def state(self) -> dict[str, Any] | None:
        """The last STATE (what a target keeps)."""
        return self.states[-1] if self.states else None

    def ids(self, chat_id: int) -> list[int]:
        """Message ids emitted for one chat, in order."""
        return [r["id"] for r in self.records.get("messages", []) if r["chat_id"] == chat_id]

    def bookmarks(self) -> dict[int, Any]:
        """Chat id → bookmark of the last STATE."""
        parts = (self.state or {}).get("bookmarks", {}).get("messages", {}).get("partitions", [])
        return {p["context"]["chat_id"]: p.get("replication_key_value") for p in parts}


def run_tap(folder: Path, config: dict[str, Any], state: dict[str, Any] | None = None) -> TapRun:
    """The real CLI in a subprocess on an export (``config`` gets ``source: export``)."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "tap-config.json"
    config_path.write_text(json.dumps({"source": "export", **config}), encoding="utf-8")
    args = [sys.executable, "-m", "tap_telegram", "--config", str(config_path)]
    if state is not None:
        state_path = folder / "tap-state.json"
        state_path.write_text(json.dumps(state), encoding="utf-8")
        args += ["--state", str(state_path)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    check_text(done.stdout, input_state=state)
    records: dict[str, list[dict[str, Any]]] = {}
    states = []
    for line in done.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            states.append(message["value"])
    return TapRun(done.returncode, done.stderr, records, states)
