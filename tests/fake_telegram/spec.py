"""JSON specs: a world (and the fake's behaviour) as plain data, for subprocess runs.

``world_from_spec(world_to_spec(w))`` rebuilds a world with the same ids, access
hashes, messages, mutations and update logs (``"log"`` per channel, ``"account_log"``:
the events in order, so every pts comes out the same; specs without them get logs
replayed from their messages, deletions and edits); ``fake_from_spec`` adds faults, rate limits and
latency. TL objects inside hand-written messages are stored as
``{"$tl": base64(bytes(obj))}`` and parsed back with Telethon's reader.

Example::

    {
      "seed": 7,
      "self": {"first_name": "Test", "username": "tap_tester"},
      "generated_users": 8, "generated_bots": 1,
      "users": [{"key": "alice", "first_name": "Alice", "username": "alice_fake"}],
      "chats": [
        {"key": "news", "kind": "channel", "username": "fake_news", "messages": 1000,
         "deleted": [5, 6], "edits": {"10": {"text": "edited"}},
         "reactions": {"12": [["👍", 3]]}},
        {"key": "forum", "kind": "forum", "messages": 300, "topics": ["Bugs", "Ideas"]},
        {"key": "alice", "kind": "private", "user": "alice", "messages": 40}
      ],
      "faults": [{"request": "GetHistoryRequest", "chat": "news", "nth": 2,
                  "error": "FLOOD_WAIT_3"}],
      "rate_limits": [{"requests": 30, "window": 30}],
      "latency": 0.0,
      "update_log": {"channel_too_long": "limit", "channel_horizon": 100000,
                     "account_horizon": 1000000, "slice": 100},
      "now": "2024-06-01T12:00:00+00:00"
    }
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl.tlobject import TLObject

from tests.fake_telegram.fake import CrashMode, FakeTelegram
from tests.fake_telegram.faults import Fault, RateLimit
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.records import (
    AdminEvent,
    ChatRecord,
    Edit,
    FolderRecord,
    StatsSetup,
    TopicRecord,
    UserRecord,
)
from tests.fake_telegram.updatelog import UpdateLogSettings
from tests.fake_telegram.world import DEFAULT_BASE_DATE, DEFAULT_CHAT_SPACING, World

USER_FIELDS = ("first_name", "last_name", "username", "phone", "bot", "deleted", "premium",
               "verified", "about", "contact", "mutual")  # fmt: skip
CHAT_OPTIONS = ("title", "username", "about", "members", "member", "banned", "signatures",
                "verified", "linked", "participants", "interval", "invite_hash", "archived",
                "pinned", "unread", "muted", "admin")  # fmt: skip
BEHAVIOUR_KEYS = ("faults", "rate_limits", "latency", "now", "jitter", "update_log")
#: Environment variables of the launcher: the spec path, and where to write stats.
WORLD_ENV = "FAKE_TELEGRAM_WORLD"
STATS_ENV = "FAKE_TELEGRAM_STATS"


# -- TL values inside specs ------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """JSON-safe form of a hand-written message field (TL objects as base64)."""
    if isinstance(value, TLObject):
        return {"$tl": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$date": value.isoformat()}
    return value


def decode_value(value: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if isinstance(value, dict) and "$tl" in value:
        return BinaryReader(base64.b64decode(value["$tl"])).tgread_object()
    if isinstance(value, dict) and "$date" in value:
        return dt.datetime.fromisoformat(value["$date"])
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


# -- world -----------------------------------------------------------------------------


def _user_spec(user: UserRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"key": user.key}
    for field in USER_FIELDS:
        value = getattr(user, field)
        if value not in (None, False):
            data[field] = value
    return data


def _chat_spec(chat: ChatRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"key": chat.key, "kind": chat.kind, "messages": chat.count}
    for field in CHAT_OPTIONS:
        data[field] = getattr(chat, field)
    if chat.kind == "private":
        data["user"] = chat.user_key
    if chat.migrated_to:
        data["migrated_to"] = chat.migrated_to
    if chat.topics:
        data["topics"] = [dataclasses.asdict(t) for t in chat.topics]
    if chat.deleted:
        data["deleted"] = [chat.id_of(n) for n in chat.deleted]
    if chat.custom:
        data["custom"] = {
            str(n): {k: encode_value(v) for k, v in fields.items()}
            for n, fields in chat.custom.items()
        }
    if chat.edits:
        data["edits"] = {
            str(chat.id_of(n)): {"text": e.text, "date": e.date.isoformat() if e.date else None}
            for n, e in chat.edits.items()
        }
    if chat.reactions:
        data["reactions"] = {
            str(chat.id_of(n)): [list(r) for r in rs] for n, rs in chat.reactions.items()
        }
    if chat.is_channel:
        data["log"] = chat.log.to_list()
    if chat.admin_log:
        data["admin_log"] = [_event_spec(event) for event in chat.admin_log]
    if chat.stats is not None:
        data["stats"] = dataclasses.asdict(chat.stats)
    return data


def world_to_spec(world: World) -> dict[str, Any]:
    """The world as JSON-safe data (explicit users and chats, all mutations)."""
    return {
        "seed": world.seed,
        "base_date": world.base_date.isoformat(),
        "account_stride": world.account_stride,
        **(
            {"chat_spacing": world.chat_spacing}
            if world.chat_spacing != DEFAULT_CHAT_SPACING
            else {}
        ),
        "self": _user_spec(world.self_user),
        "users": [_user_spec(u) for u in world.users.values() if not u.is_self],
        "chats": [_chat_spec(c) for c in world.chats.values()],
        "expired_invites": sorted(world.expired_invites),
        "account_log": world.account_log.to_list(),
        "folders": [dataclasses.asdict(folder) for folder in world.folders],
    }


def world_from_spec(spec: dict[str, Any]) -> World:
    """Build the world a spec describes (behaviour keys are ignored)."""
    world = World(
        seed=int(spec.get("seed", 1)),
        base_date=dt.datetime.fromisoformat(spec["base_date"])
        if spec.get("base_date")
        else DEFAULT_BASE_DATE,
        account_stride=int(spec.get("account_stride", 64)),
        chat_spacing=int(spec.get("chat_spacing", DEFAULT_CHAT_SPACING)),
        self_user=dict(spec.get("self") or {}),
    )
    for user in spec.get("users", []):
        fields = dict(user)
        world.add_user(fields.pop("key"), **fields)
    if spec.get("generated_users") or spec.get("generated_bots"):
        world.add_generated_users(
            int(spec.get("generated_users", 0)), bots=int(spec.get("generated_bots", 0))
        )
    for chat_spec in spec.get("chats", []):
        _add_chat(world, dict(chat_spec))
    for invite in spec.get("expired_invites", []):
        world.expire_invite(invite)
    for folder in spec.get("folders", []):
        world.folders.append(FolderRecord(**folder))
    if "account_log" in spec:
        world.account_log.replay(spec["account_log"])
    return world


def _add_chat(world: World, data: dict[str, Any]) -> None:
    custom = data.pop("custom", {})
    edits = data.pop("edits", {})
    reactions = data.pop("reactions", {})
    deleted = data.pop("deleted", [])
    data.pop("version", None)  # specs written before the update logs
    log = data.pop("log", None)
    migrated_to = data.pop("migrated_to", None)
    events = data.pop("admin_log", [])
    stats = data.pop("stats", None)
    topics = [
        TopicRecord(**t) if isinstance(t, dict) else TopicRecord(str(t))
        for t in data.pop("topics", None) or []
    ]
    key, kind = data.pop("key"), data.pop("kind")
    options = {k: v for k, v in data.items() if v is not None}
    chat = world.add_chat(key, kind, topics=topics or None, **options)
    chat.migrated_to = migrated_to
    for n, fields in custom.items():
        chat.custom[int(n)] = {k: decode_value(v) for k, v in fields.items()}
    world.delete_messages(chat, deleted)
    for message_id, edit in edits.items():
        n = chat.n_of(int(message_id))
        if n is not None:
            date = dt.datetime.fromisoformat(edit["date"]) if edit.get("date") else None
            chat.edits[n] = Edit(edit["text"], date)
            chat.log.edit(chat.key, n)
    for message_id, pairs in reactions.items():
        n = chat.n_of(int(message_id))
        if n is not None:
            chat.reactions[n] = [(r, int(c)) for r, c in pairs]
    if log is not None:
        chat.log.replay(log)
    chat.admin_log = [_event_from_spec(event) for event in events]
    if stats is not None:
        chat.stats = StatsSetup(
            dc=int(stats["dc"]),
            days=int(stats["days"]),
            async_graphs=tuple(stats["async_graphs"]),
            error_graphs=tuple(stats["error_graphs"]),
        )


def _event_spec(event: AdminEvent) -> dict[str, Any]:
    """An admin-log event as JSON (its action as TL bytes)."""
    return {
        "id": event.id,
        "date": event.date.isoformat(),
        "user": event.user_key,
        "action": encode_value(event.action),
    }


def _event_from_spec(data: dict[str, Any]) -> AdminEvent:
    """Inverse of :func:`_event_spec`."""
    return AdminEvent(
        id=int(data["id"]),
        date=dt.datetime.fromisoformat(data["date"]),
        user_key=str(data["user"]),
        action=decode_value(data["action"]),
    )


# -- fake (world + behaviour) ----------------------------------------------------------


def fake_to_spec(fake: FakeTelegram) -> dict[str, Any]:
    """World plus faults, rate limits and latency."""
    spec = world_to_spec(fake.world)
    spec["faults"] = [f.to_dict() for f in fake.faults]
    spec["rate_limits"] = [r.to_dict() for r in fake.rate_limits]
    spec["latency"] = fake.latency
    spec["jitter"] = fake.jitter
    spec["auth"] = fake.auth.to_dict()
    spec["update_log"] = fake.update_log.to_dict()
    if fake.now is not None:
        spec["now"] = fake.now.isoformat()
    return spec


def fake_from_spec(spec: dict[str, Any], *, crash_mode: CrashMode = "raise") -> FakeTelegram:
    """A FakeTelegram for a spec (``crash_mode="exit"`` in subprocesses)."""
    return FakeTelegram(
        world_from_spec(spec),
        faults=[Fault(**f) for f in spec.get("faults", [])],
        rate_limits=[RateLimit(**r) for r in spec.get("rate_limits", [])],
        latency=float(spec.get("latency", 0.0)),
        jitter=float(spec.get("jitter", 0.0)),
        crash_mode=crash_mode,
        auth=AuthSettings(**spec.get("auth", {})),
        update_log=UpdateLogSettings(**spec.get("update_log", {})),
        now=dt.datetime.fromisoformat(spec["now"]) if spec.get("now") else None,
    )


def to_spec(source: dict[str, Any] | World | FakeTelegram) -> dict[str, Any]:
    """A spec from a spec, a world or a fake."""
    if isinstance(source, FakeTelegram):
        return fake_to_spec(source)
    if isinstance(source, World):
        return world_to_spec(source)
    return source


def dump_spec(source: dict[str, Any] | World | FakeTelegram, path: str | Path) -> Path:
    """Write a spec as JSON (UTF-8); returns the path."""
    target = Path(path)
    target.write_text(json.dumps(to_spec(source), ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a JSON spec."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data
