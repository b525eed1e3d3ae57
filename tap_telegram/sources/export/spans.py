"""What the scan learns about each chat of an export file, and the file's one-line errors.

:class:`ChatSpan` is one chat of one file: where its messages are (for the second read,
:mod:`.read`) and what the scan saw in them: counts, ids and their order, the first
item without a usable id, forum topics, local dates, the era of its peer ids.
:func:`finish_file` decodes the chats' ids once a whole file is known
(:mod:`.mapping.peers`). Both scans (:mod:`.files` for single-chat files,
:mod:`.scan` for the rest) fill these; the source plans its reads from them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import ijson

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.base import label_for
from tap_telegram.sources.export.mapping.parts import describe
from tap_telegram.sources.export.mapping.peers import (
    bare_chat_id,
    marked_chat_id,
    synthetic_chat_id,
)

#: Errors the C parser raises for input it cannot read.
PARSE_ERRORS = (ijson.JSONError, ValueError, UnicodeError, OverflowError)
#: What to tell the user when a file cannot be used as it is.
REDO = "export it again from Telegram Desktop, format JSON"
#: Message ids tdesktop can write: MTProto's int32 ids, and a migrated basic group's
#: ids shifted by -1,000,000,000 (``kMigratedMessagesIdShift``). 0 is never an id. A
#: *usable* id is an ``int`` with ``MIN_ID < id < MAX_ID`` and not 0: the scans and the
#: read test exactly that inline, in their per-message loops.
MIN_ID, MAX_ID = -(10**9), 2**31


@dataclasses.dataclass
class ChatSpan:
    """One chat of one export file: where its messages are and what the scan saw in them."""

    file: ExportFile
    #: ijson prefix of the message list: ``messages.item`` or ``chats.list.item.messages.item``.
    prefix: str
    #: Index of the chat's first message among all items under ``prefix`` in the file.
    start: int
    name: str | None
    export_type: str
    #: The header's ``id`` as written (``None``: exports before December 2018 have none).
    raw_id: int | None
    count: int = 0
    #: Id of the first item (``None`` if it has no usable id): the read checks it.
    first_id: int | None = None
    #: Highest usable id (``None``: none).
    max_id: int | None = None
    #: Whether the usable ids strictly ascend in file order (no repeats).
    ordered: bool = True
    #: Position (1-based) and shape of the first item without a usable id, if any.
    bad_at: int | None = None
    bad_what: str = ""
    forum: bool = False
    #: Some message has only a local ``date`` (no ``date_unixtime``, no offset).
    local_dates: bool = False
    #: Peer-id era evidence: an integer ``from_id``/``actor_id`` (2018-2021) or a
    #: string one / a ``date_unixtime`` (April 2021 on).
    int_peers: bool = False
    str_peers: bool = False
    #: Decoded by :func:`finish_file`: the bare id and the marked id (``None``: the
    #: chat type is unknown to the tap).
    bare_id: int = 0
    chat_id: int | None = None
    #: ``(messages before it, byte offset)`` just after the closing ``}`` of a message,
    #: about one per 64 KB read (:mod:`.runs`), where the scan could tell the exact byte:
    #: the read decodes the messages between two marks with msgspec.
    marks: list[tuple[int, int]] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        """How error messages name this chat: its marked id, then its name (:func:`label_for`)."""
        shown = self.chat_id if self.chat_id is not None else self.raw_id
        if shown is None:  # no id at all: the name alone
            return f"chat '{self.name}'"
        return f"chat {label_for(shown, None, self.name or None)}"

    @property
    def typed_ids(self) -> bool | None:
        """Whether this chat's peer ids are 2018-2021 typed ones (``None``: no evidence)."""
        if self.int_peers != self.str_peers:
            return self.int_peers
        return None


@dataclasses.dataclass
class ExportFile:
    """One scanned export file: its chats in file order, and the people it names."""

    path: Path
    size: int
    mtime: float
    chats: list[ChatSpan] = dataclasses.field(default_factory=list)
    #: User id → first_name / last_name / username (the owner and contacts).
    people: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    self_id: int | None = None


def export_error(path: Path | str, where: str, problem: str, todo: str = REDO) -> ExportFormatError:
    """The one-line error: file, position, what is wrong, what to do."""
    return ExportFormatError(f"export file {path}: {where}: {problem}; {todo}")


def finish_file(export: ExportFile) -> None:
    """Decode every chat's id once the whole file is known (:mod:`.mapping.peers`).

    A chat's own messages tell its peer-id era; without evidence there, the other
    chats of the file do (one file is one era); without any, the id's size does.
    """
    spans = export.chats
    typed: bool | None = None
    if any(span.int_peers for span in spans) != any(span.str_peers for span in spans):
        typed = any(span.int_peers for span in spans)
    seen: dict[tuple[str, str | None, int | None], int] = {}
    for span in spans:
        if span.raw_id is None:
            key = (span.export_type, span.name, span.first_id)
            seen[key] = seen.get(key, 0) + 1
            span.bare_id = 0
            span.chat_id = synthetic_chat_id(*key, seen[key])
            continue
        era = span.typed_ids
        span.bare_id = bare_chat_id(span.export_type, span.raw_id, typed if era is None else era)
        span.chat_id = marked_chat_id(span.export_type, span.bare_id)


def not_an_object(kind: str) -> str:
    """The problem of a message list item that is ``kind`` (a list, a string, ...)."""
    return f"is {kind}, not an object"


def bad_id(value: Any) -> str:
    """The problem of a message whose ``id`` is ``value``, not a message id."""
    return f"has no usable 'id' (a non-zero integer) but {describe(value)}"


def note_bad(span: ChatSpan, position: int, problem: str) -> None:
    """Note the first item of a chat that has no usable id."""
    if span.bad_at is None:
        span.bad_at, span.bad_what = position, problem
