"""Refuse a damaged or hand-edited STATE with one line before any stream runs.

STATE comes back from a target or an orchestrator, and people edit it by hand. Every
value the tap reads from it is checked here once, at load, against the shapes the tap
writes: a wrong one ends the run with a :class:`~tap_telegram.errors.StateError` (exit
2) naming the entry, instead of a traceback deep in the SDK (``'str' object has no
attribute 'pop'``) or a silent misreading (a bookmark of ``1.5``, a number the
source's protocol cannot carry). Keys the tap does not know are left alone.

Limits (also in the README, *Limits*): bookmarks are 64-bit integers; what sources keep
next to them has the shapes they declare in :mod:`tap_telegram.sources.state_keys`
(Telegram's update-log positions are 32-bit; packed id lists are lists of strings,
their size checked where they are unpacked).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from tap_telegram.errors import StateError, value_kind
from tap_telegram.sources.state_keys import (
    INT32,
    INT64,
    PARTITION_NUMBERS,
    PARTITION_STRING_LISTS,
    STREAM_NUMBERS,
    STREAM_POSITIONS,
)

#: STATE key of the ``messages`` stream's cursor of an update log source.
BOT_CURSOR = "bot_api"
#: Streams whose STATE carries the source's memory (:mod:`.memory` reads this list).
MEMORY_STREAMS = ("chats", "participants", "topics", "contacts", "stats_graphs")
#: Replication keys whose bookmarks are ISO dates (``stats_graphs``); the others are ids.
DATE_KEYS = frozenset({"date"})


def _refuse(where: str, problem: str) -> StateError:
    """The error for one entry: where it is, what is wrong, what to do."""
    return StateError(
        f"STATE {where or 'value'} {problem}; fix or remove that entry (Meltano: `meltano "
        "state get` / `meltano state set`), or run without that STATE to start over"
    )


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole(where: str, value: Any, bound: int, *, signed: bool = True) -> None:
    """``value`` must be an integer inside ``[-bound, bound)`` (``[0, bound)`` unsigned)."""
    low = -bound if signed else 0
    if not _int(value):
        raise _refuse(where, f"should be a whole number, not {value_kind(value)}")
    if not low <= value < bound:
        raise _refuse(where, f"is out of range ({low} to {bound - 1})")


def _date(where: str, value: Any) -> None:
    """A date bookmark: an ISO 8601 string, as the SDK writes it."""
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _refuse(where, "should be an ISO 8601 date") from None
    if not isinstance(value, str):
        raise _refuse(where, f"should be an ISO 8601 date, not {value_kind(value)}")


def check_state(state: Any) -> None:
    """Raise :class:`StateError` for the first entry of ``state`` no run writes."""
    if not isinstance(state, Mapping):
        raise _refuse("", f"should be an object, not {value_kind(state)}")
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, Mapping):
        raise _refuse("'bookmarks'", f"should be an object, not {value_kind(bookmarks)}")
    for stream, entry in bookmarks.items():
        where = f"'bookmarks.{stream}'"
        if not isinstance(entry, Mapping):
            raise _refuse(where, f"should be an object, not {value_kind(entry)}")
        if "memory" in entry:
            memory = entry["memory"]
            if not isinstance(memory, Mapping):
                raise _refuse(
                    f"{where[:-1]}.memory'", f"should be an object, not {value_kind(memory)}"
                )
        _check_partitions(where, entry.get("partitions", []))
    messages = bookmarks.get("messages", {})
    for key, fields in STREAM_POSITIONS.items():
        _check_position(messages.get(key), f"'bookmarks.messages.{key}'", fields)
    for key, bound in STREAM_NUMBERS.items():
        if messages.get(key) is not None:
            _whole(f"'bookmarks.messages.{key}'", messages[key], bound)
    cursor = messages.get(BOT_CURSOR)
    if cursor is not None:
        where = "'bookmarks.messages.bot_api'"
        if not isinstance(cursor, Mapping):
            raise _refuse(where, f"should be an object, not {value_kind(cursor)}")
        if cursor.get("update_id") is not None:
            _whole(f"{where[:-1]}.update_id'", cursor["update_id"], INT64, signed=False)


def _check_partitions(where: str, partitions: Any) -> None:
    """Each partition: an object with a ``context`` object, once per context."""
    if not isinstance(partitions, list):
        raise _refuse(
            f"{where[:-1]}.partitions'", f"should be a list, not {value_kind(partitions)}"
        )
    seen: set[str] = set()
    for index, part in enumerate(partitions):
        at = f"{where[:-1]}.partitions[{index}]'"
        if not isinstance(part, Mapping):
            raise _refuse(at, f"should be an object, not {value_kind(part)}")
        context = part.get("context")
        if not isinstance(context, Mapping):
            raise _refuse(f"{at[:-1]}.context'", f"should be an object, not {value_kind(context)}")
        # Every partition of this tap is one chat's: a context without its id is no STATE
        # any run wrote (and would make a bookmark of no chat).
        _whole(f"{at[:-1]}.context.chat_id'", context.get("chat_id"), INT64)
        key = repr(sorted((str(k), repr(v)) for k, v in context.items()))
        if key in seen:
            raise _refuse(
                at, "repeats the context of an earlier partition (two bookmarks for one chat)"
            )
        seen.add(key)
        value = part.get("replication_key_value")
        if value is not None and part.get("replication_key") in DATE_KEYS:
            _date(f"{at[:-1]}.replication_key_value'", value)
        elif value is not None:
            _whole(f"{at[:-1]}.replication_key_value'", value, INT64)
        for name, bound in PARTITION_NUMBERS.items():
            if part.get(name) is not None:
                _whole(f"{at[:-1]}.{name}'", part[name], bound)
        for name in PARTITION_STRING_LISTS:
            ids = part.get(name)
            if ids is not None and (
                not isinstance(ids, list) or not all(isinstance(chunk, str) for chunk in ids)
            ):
                raise _refuse(f"{at[:-1]}.{name}'", "should be a list of strings")


def _check_position(position: Any, where: str, fields: tuple[str, ...]) -> None:
    """A position in the stream's STATE: an object of 32-bit whole numbers (``fields``)."""
    if position is None:
        return
    if not isinstance(position, Mapping):
        raise _refuse(where, f"should be an object, not {value_kind(position)}")
    for name in fields:
        if position.get(name) is not None:
            _whole(f"{where[:-1]}.{name}'", position[name], INT32)


def report_unselected(
    stream_state: Mapping[str, Any], selected: set[int], logger: logging.Logger
) -> int:
    """Say how many partitions of chats this run does not select the STATE carries on.

    **Policy:** they are kept, as the SDK keeps them: a chat selected again (a
    ``chats`` entry back, an invite link renewed, a chat that failed to resolve this
    time) resumes from its bookmark instead of reading its history again. Their number
    is bounded by the chats ever selected, not by runs; this line says what they cost,
    so a user who dropped chats for good can remove them (README, *Limits*).
    """
    parts = stream_state.get("partitions") or []
    stale = [
        part
        for part in parts
        if isinstance(part, Mapping)
        and isinstance(part.get("context"), Mapping)
        and part["context"].get("chat_id") not in selected
    ]
    if stale:
        size = len(json.dumps(stale, default=str))
        logger.info(
            "STATE carries %d partition(s) of chats not selected in this run (%d bytes); "
            "they are kept so that a chat selected again resumes from its bookmark",
            len(stale),
            size,
        )
    return len(stale)
