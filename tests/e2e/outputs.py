"""Reading what the targets wrote, and the ground truth to compare it with."""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from psycopg import sql

from tests.e2e.meltano_project import REPO_ROOT, Workspace
from tests.e2e.postgres import PostgresServer
from tests.fake_telegram import World

EXPORT_DIR = REPO_ROOT / "examples" / "telegram-export"
Key = tuple[int, int]
#: Export chat types whose id is a user id (positive marked id).
_USER_TYPES = {"personal_chat", "bot_chat", "saved_messages"}
#: Export chat types that are basic groups (marked id ``-id``).
_GROUP_TYPES = {"private_group"}

csv.field_size_limit(sys.maxsize)


# -- targets ---------------------------------------------------------------------------


def csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file written by target-csv (empty if the file is missing)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file written by target-jsonl (empty if missing)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def postgres_rows(
    server: PostgresServer, database: str, schema: str, table: str = "messages"
) -> list[dict[str, Any]]:
    """Rows of ``schema.table`` as dicts (empty if the table does not exist)."""
    with server.connect(database) as conn:
        exists = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (schema, table),
        ).fetchone()
        if not exists:
            return []
        cursor = conn.execute(
            sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def keys(rows: list[dict[str, Any]]) -> collections.Counter[Key]:
    """``(chat_id, id)`` -> how many rows have it."""
    return collections.Counter((int(row["chat_id"]), int(row["id"])) for row in rows)


def duplicates(counter: collections.Counter[Key]) -> dict[Key, int]:
    """Keys present more than once."""
    return {key: n for key, n in counter.items() if n > 1}


def as_datetime(value: Any) -> dt.datetime:
    """A record's datetime (a ``datetime`` from PostgreSQL, ISO text from files), in UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


@dataclasses.dataclass
class Destination:
    """Where one loader writes in this test, and how to read it back."""

    target: str
    workspace: Workspace
    server: PostgresServer | None = None
    database: str | None = None
    schema: str | None = None

    def rows(self, stream: str = "messages") -> list[dict[str, Any]]:
        """The records of ``stream`` as the target stored them."""
        if self.target == "target-csv":
            # One file per run when the naming scheme has a timestamp: read them all.
            files = self.workspace.csv_files(stream)
            return [row for path in files for row in csv_rows(path)]
        if self.target == "target-jsonl":
            return jsonl_rows(self.workspace.jsonl_dir / f"{stream}.jsonl")
        assert self.server is not None
        assert self.database is not None
        assert self.schema is not None
        return postgres_rows(self.server, self.database, self.schema, stream)


# -- ground truth: the fake ------------------------------------------------------------


def world_truth(world: World, chats: list[str] | None = None) -> dict[int, list[int]]:
    """``{marked chat id: ids}`` of ``chats`` (keys; default every chat) in the world."""
    return {world.marked_id(key): world.message_ids(key) for key in chats or list(world.chats)}


def world_keys(truth: dict[int, list[int]]) -> set[Key]:
    """The ground truth as a set of ``(chat_id, id)``."""
    return {(chat, i) for chat, ids in truth.items() for i in ids}


def last_ids(truth: dict[int, list[int]]) -> dict[int, int]:
    """Expected bookmarks: the max id of every chat that has messages."""
    return {chat: ids[-1] for chat, ids in truth.items() if ids}


def check_against_world(world: World, rows: list[dict[str, Any]], sample: int = 200) -> list[str]:
    """Field-level comparison of rows with the world's messages (dates, text, sender).

    Checks every row's date and, for up to ``sample`` rows, the text of plain
    messages. Returns a list of problems (empty when all agree).
    """
    by_marked = {world.marked_id(key): key for key in world.chats}
    problems: list[str] = []
    checked_text = 0
    for row in rows:
        chat_id, message_id = int(row["chat_id"]), int(row["id"])
        key = by_marked.get(chat_id)
        if key is None:
            problems.append(f"row for unknown chat {chat_id}")
            continue
        message = world.message(key, message_id)
        if message is None:
            problems.append(f"row {chat_id}/{message_id} is not in the world")
            continue
        if as_datetime(row["date"]) != message.date.astimezone(dt.timezone.utc):
            problems.append(f"{chat_id}/{message_id}: date {row['date']} != {message.date}")
        text = getattr(message, "message", None)
        if checked_text < sample and text and not getattr(message, "action", None):
            checked_text += 1
            if (row.get("text") or "") != text:
                problems.append(f"{chat_id}/{message_id}: text {row.get('text')!r} != {text!r}")
        if len(problems) > 20:
            break
    return problems


# -- ground truth: the bundled Telegram Desktop export --------------------------------


def export_marked_id(chat: dict[str, Any]) -> int:
    """Telegram's marked id of an exported chat (from its ``type`` and ``id``)."""
    raw = int(chat["id"])
    kind = str(chat.get("type", ""))
    if kind in _USER_TYPES:
        return raw
    if kind in _GROUP_TYPES:
        return -raw
    return -(10**12 + raw)


def _export_chats(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(data.get("messages"), list):
        yield data
    for section in ("chats", "left_chats"):
        block = data.get(section)
        if isinstance(block, dict):
            yield from (c for c in block.get("list", []) if isinstance(c, dict))


def export_truth(folder: Path = EXPORT_DIR) -> dict[int, list[int]]:
    """``{marked chat id: message ids}`` of every chat in every export file under ``folder``."""
    truth: dict[int, set[int]] = collections.defaultdict(set)
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.json"))
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        for chat in _export_chats(data):
            if "id" not in chat:
                continue
            ids = truth[export_marked_id(chat)]
            for message in chat.get("messages", []):
                if isinstance(message, dict) and isinstance(message.get("id"), int):
                    ids.add(message["id"])
    return {chat: sorted(ids) for chat, ids in truth.items()}
