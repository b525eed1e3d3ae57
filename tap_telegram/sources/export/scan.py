"""Scan Telegram Desktop export files once, skipping message bodies.

The scan is the first of two linear reads of each file. It streams ijson's parse
events and keeps only what ``chats()`` needs: each chat's header (``name``, ``type``,
``id``), how many items its ``messages`` list has and where that list starts in the
file's flattened message stream, its first and last message id, whether it has forum
topics, plus the account owner and contact names. Memory is a few hundred bytes per
chat whatever the file size. Every syntax error is found here, before any record is
written; the second read (:mod:`.export_read`) builds message objects in ijson's C
code and relies on these positions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.mapping.parts import describe

#: Root keys of a whole-account export whose ``list`` holds chats.
CHAT_LISTS = ("chats", "left_chats")
#: Marker on the key stack for "inside an array".
ITEM = 0
#: Errors the C parser raises for input it cannot read.
PARSE_ERRORS = (ijson.JSONError, ValueError, UnicodeError, OverflowError)
#: What to tell the user when a file cannot be used as it is.
REDO = "export it again from Telegram Desktop, format JSON"


@dataclasses.dataclass
class ChatSpan:
    """One chat of one export file and where its messages are."""

    file: ExportFile
    #: ijson prefix of the message list: ``messages.item`` or ``chats.list.item.messages.item``.
    prefix: str
    #: Index of the chat's first message among all items under ``prefix`` in the file.
    start: int
    name: str | None
    export_type: str
    bare_id: int
    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    forum: bool = False

    @property
    def label(self) -> str:
        """How error messages name this chat."""
        return f"chat '{self.name}' ({self.bare_id})" if self.name else f"chat {self.bare_id}"


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


def scan_events(export: ExportFile) -> None:
    """Fill ``export`` from one pass of ijson parse events over its file.

    Raises :class:`ExportFormatError` for syntax errors (with the byte position and
    the last message id seen) and for valid JSON of the wrong shape.
    """
    scanner = _Scanner(export)
    with export.path.open("rb") as handle:
        try:
            scanner.run(ijson.basic_parse(handle, use_float=True))
        except PARSE_ERRORS as error:
            raise scanner.syntax_error(error, handle.tell()) from None


class _Scanner:
    """State of one pass over a file's parse events."""

    def __init__(self, export: ExportFile) -> None:
        self.export = export
        self.stack: list[Any] = []
        self.root_keys: list[str] = []
        self.header: dict[str, Any] | None = None
        self.header_depth = 0
        self.listed: dict[str, int] = {}
        self.last_id: int | None = None
        self.person: dict[str, Any] = {}
        self.contact: dict[str, Any] = {}

    # -- errors --------------------------------------------------------------------

    def _where(self) -> str:
        where = ""
        header = self.header
        if header is not None and isinstance(header.get("name"), str):
            where = f"in chat '{header['name']}'"
        elif header is not None and header["messages"] is not None:
            where = "in a chat"
        if self.last_id is not None:
            where += f"{' ' if where else ''}after message id {self.last_id}"
        return where

    def syntax_error(self, error: Exception, position: int) -> ExportFormatError:
        """An ExportFormatError for a parse error, with position and context."""
        text = str(error)
        if text.startswith(("b'", 'b"')):
            text = text[2:]
        first = text.replace("\\n", "\n").splitlines()[0] if text else type(error).__name__
        context = self._where()
        if "premature EOF" in first:
            where = f"ends at byte {position}" + (f" {context}" if context else "")
            problem = "the file is cut off (truncated)" if position else "the file is empty"
        else:
            where = f"near byte {position}" + (f" ({context})" if context else "")
            problem = f"invalid JSON ({first.strip()}); the file is damaged"
        return self._mark(export_error(self.export.path, where, problem))

    def shape_error(self, where: str, problem: str) -> ExportFormatError:
        """An ExportFormatError for valid JSON of the wrong shape."""
        return self._mark(export_error(self.export.path, where, problem))

    def _mark(self, error: ExportFormatError) -> ExportFormatError:
        """Note whether the file claimed to be an export (folder search skips others)."""
        looks = bool({"messages", *CHAT_LISTS} & set(self.root_keys))
        error.looks_like_export = looks  # type: ignore[attr-defined]
        return error

    # -- the pass ------------------------------------------------------------------

    def run(self, events: Iterator[tuple[str, Any]]) -> None:
        """Consume every event of the file."""
        stack = self.stack
        for event, value in events:
            if event == "map_key":
                stack[-1] = value
                if len(stack) == 1:
                    self.root_keys.append(value)
                continue
            if event in ("start_map", "start_array"):
                if event == "start_array" and self._is_messages():
                    self._messages(events)
                    continue
                if not stack and event == "start_map":
                    self._open_chat(0, "messages.item")
                elif event == "start_map" and self._is_chat_item():
                    self._open_chat(3, f"{stack[0]}.list.item.messages.item")
                else:
                    self._value(_Container(event))
                stack.append(ITEM if event == "start_array" else None)
                continue
            if event in ("end_map", "end_array"):
                stack.pop()
                if self.header is not None and len(stack) == self.header_depth:
                    self._close_chat()
                elif len(stack) == 3 and stack[0] == "contacts" and stack[1] == "list":
                    self._end_contact()
                continue
            self._value(value)
        self._finish()

    def _is_messages(self) -> bool:
        stack = self.stack
        if self.header is None or stack[-1] != "messages":
            return False
        return len(stack) == self.header_depth + 1

    def _is_chat_item(self) -> bool:
        stack = self.stack
        return (
            len(stack) == 3 and stack[0] in CHAT_LISTS and stack[1] == "list" and stack[2] == ITEM
        )

    def _open_chat(self, depth: int, prefix: str) -> None:
        self.header = {"prefix": prefix, "messages": None}
        self.header_depth = depth
        self.last_id = None

    def _value(self, value: Any) -> None:
        """A scalar (or the start of a container) somewhere outside message lists."""
        stack = self.stack
        header = self.header
        if header is not None and len(stack) == self.header_depth + 1:
            key = stack[-1]
            if key == "messages":
                raise self.shape_error(
                    f"chat '{header.get('name')}'",
                    f"'messages' should be a list, not {_describe(value)}",
                )
            if key in ("name", "type", "id"):
                header[key] = value
            return
        if len(stack) == 2 and stack[0] == "personal_information":
            self.person[stack[1]] = value
        elif len(stack) == 4 and stack[0] == "contacts" and stack[1] == "list":
            self.contact[stack[3]] = value
        elif not stack:
            raise self.shape_error("top level", f"the file holds {_describe(value)}, not an object")

    def _end_contact(self) -> None:
        contact, self.contact = self.contact, {}
        user_id = contact.get("user_id")
        if type(user_id) is int and user_id > 0:
            self.export.people[user_id] = _person(contact)

    def _close_chat(self) -> None:
        header, self.header = self.header, None
        assert header is not None
        position = f"chat #{len(self.export.chats) + 1}"
        if header.get("messages") is None:
            if header["prefix"] == "messages.item":
                return  # the root object of an account export, not a chat
            raise self.shape_error(position, "it has no 'messages' list")
        bare_id, export_type, name = header.get("id"), header.get("type"), header.get("name")
        if type(bare_id) is not int or bare_id <= 0:
            raise self.shape_error(
                position, f"'id' should be a positive integer, not {_describe(bare_id)}"
            )
        if type(export_type) is not str:
            raise self.shape_error(
                position, f"'type' should be a string, not {_describe(export_type)}"
            )
        if name is not None and type(name) is not str:
            raise self.shape_error(position, f"'name' should be a string, not {_describe(name)}")
        stats: ChatSpan = header["messages"]
        stats.name, stats.export_type, stats.bare_id = name, export_type, bare_id
        self.export.chats.append(stats)
        self.last_id = None

    def _messages(self, events: Iterator[tuple[str, Any]]) -> None:
        """Count one ``messages`` list, note its first/last id and topics; skip the rest.

        The hot loop of the scan: a handful of comparisons per parse event.
        """
        header = self.header
        assert header is not None
        if header["messages"] is not None:
            raise self.shape_error(f"chat '{header.get('name')}'", "it has two 'messages' lists")
        prefix = header["prefix"]
        span = ChatSpan(self.export, prefix, self.listed.get(prefix, 0), None, "", 0)
        header["messages"] = span
        depth = count = 0
        key: Any = None
        current: Any = None
        forum = False
        first_id = last_id = None
        for event, value in events:
            if event == "map_key":
                if depth == 1:
                    key = value
            elif event in {"start_map", "start_array"}:
                if not depth:
                    count += 1
                    current = None
                depth += 1
            elif event in {"end_map", "end_array"}:
                if not depth:
                    break
                depth -= 1
                if not depth:
                    if count == 1:
                        first_id = current
                    last_id = self.last_id = current
            elif depth == 1:
                if key == "id":
                    current = value if type(value) is int else None
                elif key == "action" and value == "topic_created":
                    forum = True
            elif not depth:
                count += 1
        span.count, span.first_id, span.last_id, span.forum = count, first_id, last_id, forum
        self.listed[prefix] = span.start + count

    def _finish(self) -> None:
        keys = set(self.root_keys)
        if "messages" not in keys and not keys & set(CHAT_LISTS):
            raise self.shape_error(
                "top level",
                "neither 'messages' (one chat) nor 'chats' (whole account) is there: not a "
                "Telegram Desktop chat export, or one of a newer format this tap does not read "
                "(was chat history left out of the export?)",
            )
        if self.person.get("user_id") is not None:
            user_id = self.person["user_id"]
            if type(user_id) is int and user_id > 0:
                self.export.self_id = user_id
                self.export.people[user_id] = _person(self.person)


class _Container:
    """Stands for an object or list where the scan expected a scalar."""

    def __init__(self, event: str) -> None:
        self.kind = "an object" if event == "start_map" else "a list"


def _describe(value: Any) -> str:
    return value.kind if isinstance(value, _Container) else describe(value)


def _person(data: dict[str, Any]) -> dict[str, Any]:
    """first_name / last_name / username of the owner or a contact, strings only."""
    out = {}
    for key in ("first_name", "last_name", "username"):
        value = data.get(key)
        out[key] = value.removeprefix("@") if type(value) is str and value else None
    return out
