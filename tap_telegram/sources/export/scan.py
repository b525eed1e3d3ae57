"""Scan Telegram Desktop export files once, skipping message bodies.

The scan is the first of two linear reads of each file. It streams ijson's parse
events, most messages decoded by msgspec a run at a time instead (:mod:`.runs`), and
keeps only what ``chats()`` needs: each chat's header (``name``, ``type``,
``id``), how many items its ``messages`` list has and where that list starts in the
file's flattened message stream, plus per chat (:class:`.spans.ChatSpan`) its first
and highest message id, whether its ids strictly ascend, the first item that has no
usable id, whether it has forum topics, which era its peer ids are from
(:mod:`.mapping.peers`) and whether it has local dates that need ``export_timezone``
(:mod:`.mapping.dates`), and where a message ends at an exactly known byte (about one
mark per 64 KB read, :mod:`.runs`); and the account owner and contact names. Memory is
a few hundred bytes per chat plus 16 bytes of marks per 64 KB of messages (about 2 MB for
an 8 GB file). Every syntax error is found here, before any record is written; the
second read (:mod:`.read`) builds message objects with msgspec between marks and in
ijson's C code elsewhere, and relies on these positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.encoding import encoding_note, open_export
from tap_telegram.sources.export.heap import collector_paused
from tap_telegram.sources.export.mapping.dates import has_offset
from tap_telegram.sources.export.mapping.parts import describe
from tap_telegram.sources.export.mapping.peers import bare_chat_id, marked_chat_id
from tap_telegram.sources.export.runs import MarkedEvents
from tap_telegram.sources.export.spans import (
    MAX_ID,
    MIN_ID,
    PARSE_ERRORS,
    ChatSpan,
    ExportFile,
    bad_id,
    export_error,
    finish_file,
    not_an_object,
    note_bad,
)

#: Root keys of a whole-account export whose ``list`` holds chats.
CHAT_LISTS = ("chats", "left_chats")
#: Marker on the key stack for "inside an array".
ITEM = 0
#: Deepest nesting of objects and lists a file may have. tdesktop writes at most about
#: 8 levels (account → chats → list → chat → messages → message → text → entity); a
#: deeper file is refused at once: ijson's memory grows with depth times events, so
#: 160 KB of brackets used to exhaust the machine (issue 27).
MAX_DEPTH = 64
#: Keys of a message the scan looks at (the rest is skipped unread).
WATCHED = frozenset({"id", "action", "date", "date_unixtime", "from_id", "actor_id"})
#: The watched keys :meth:`_Scanner._look` reads by value (``date_unixtime`` only counts
#: as there or not).
_LOOKED_AT = ("id", "date", "action", "from_id", "actor_id")


def scan_events(export: ExportFile) -> None:
    """Fill ``export`` from one pass of ijson parse events over its file.

    Raises :class:`ExportFormatError` for syntax errors (with the byte position and
    the last message id seen) and for valid JSON of the wrong shape.
    """
    with open_export(export.path) as handle, collector_paused():
        source = MarkedEvents(handle)
        scanner = _Scanner(export, source)
        try:
            scanner.run(iter(source))
        except PARSE_ERRORS as error:
            raise scanner.syntax_error(error, source.position) from None
    finish_file(export)


class _Scanner:
    """State of one pass over a file's parse events."""

    def __init__(self, export: ExportFile, source: MarkedEvents) -> None:
        self.export = export
        self.source = source
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
            where = f"in chat '{header['name']}'{self._marked(header)}"
        elif header is not None and header["messages"] is not None:
            where = f"in a chat{self._marked(header)}"
        if self.last_id is not None:
            where += f"{' ' if where else ''}after message id {self.last_id}"
        return where

    def _marked(self, header: dict[str, Any]) -> str:
        """`` (marked id)`` of the chat being read, as far as the file so far tells."""
        raw_id, export_type = header.get("id"), header.get("type")
        if type(raw_id) is not int or type(export_type) is not str:
            return ""
        spans = [*self.export.chats, header["messages"]]
        ints = any(span.int_peers for span in spans if span is not None)
        strs = any(span.str_peers for span in spans if span is not None)
        bare = bare_chat_id(export_type, raw_id, ints if ints != strs else None)
        marked = marked_chat_id(export_type, bare)
        return "" if marked is None else f" ({marked})"

    def syntax_error(self, error: Exception, position: int) -> ExportFormatError:
        """An ExportFormatError for a parse error, with position and context."""
        text = str(error)
        if text.startswith(("b'", 'b"')):
            text = text[2:]
        first = text.replace("\\n", "\n").splitlines()[0] if text else type(error).__name__
        context = self._where()
        note = encoding_note(self.export.path)
        if "premature EOF" in first:
            where = f"ends at byte {position}{note}" + (f" {context}" if context else "")
            problem = "the file is cut off (truncated)" if position else "the file is empty"
        else:
            where = f"near byte {position}{note}" + (f" ({context})" if context else "")
            problem = f"invalid JSON ({first.strip()}); the file is damaged"
        return self._mark(export_error(self.export.path, where, problem))

    def too_deep(self) -> ExportFormatError:
        """The file nests deeper than :data:`MAX_DEPTH`: refused before it costs memory."""
        context = self._where()
        return self.shape_error(
            context or f"near message #{self.export_position()}",
            f"objects and lists are nested more than {MAX_DEPTH} deep, which no Telegram "
            "Desktop export is; the file is damaged or not an export",
        )

    def export_position(self) -> int:
        """How many messages the file listed before this point."""
        return sum(self.listed.values())

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
                if len(stack) >= MAX_DEPTH:
                    raise self.too_deep()
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
        raw_id, export_type, name = header.get("id"), header.get("type"), header.get("name")
        if raw_id is not None and (type(raw_id) is not int or raw_id <= 0):
            raise self.shape_error(
                position, f"'id' should be a positive integer, not {_describe(raw_id)}"
            )
        if type(export_type) is not str:
            raise self.shape_error(
                position, f"'type' should be a string, not {_describe(export_type)}"
            )
        if name is not None and type(name) is not str:
            raise self.shape_error(position, f"'name' should be a string, not {_describe(name)}")
        stats: ChatSpan = header["messages"]
        stats.name, stats.export_type, stats.raw_id = name, export_type, raw_id
        self.export.chats.append(stats)
        self.last_id = None

    def _messages(self, events: Iterator[tuple[str, Any]]) -> None:
        """Count one ``messages`` list and note what :class:`ChatSpan` keeps; skip the rest.

        The hot loop of the scan: most messages come decoded, a run at a time
        (:class:`.runs.MarkedEvents`), the rest as parse events; :meth:`_look` notes
        both. Both read a message as the read's ``dict`` does: of a key
        written twice the last value counts, and a watched key holding an object or a
        list counts as holding nothing usable.
        """
        header = self.header
        assert header is not None
        if header["messages"] is not None:
            raise self.shape_error(f"chat '{header.get('name')}'", "it has two 'messages' lists")
        prefix = header["prefix"]
        span = ChatSpan(self.export, prefix, self.listed.get(prefix, 0), None, "", None)
        header["messages"] = span
        self.span, self.count = span, 0
        self.ordered, self.last, self.high = True, MIN_ID, MIN_ID
        depth = 0
        key: Any = None
        #: The message's watched keys as the read's dict has them (the last value counts).
        seen: dict[str, Any] = {}
        for event, value in events:
            if event == "map_key":
                if depth == 1:
                    key = value
            elif event in {"start_map", "start_array"}:
                if not depth:
                    key, seen = None, {}
                elif depth == 1 and key in WATCHED:  # an object or list: nothing usable
                    if key == "date_unixtime":
                        seen.pop(key, None)
                    else:
                        seen[key] = None
                depth += 1
                if depth + len(self.stack) > MAX_DEPTH:
                    raise self.too_deep()
            elif event in {"end_map", "end_array"}:
                if not depth:
                    break
                depth -= 1
                if not depth:
                    if event == "end_array":
                        self._look(([],))
                    else:  # the message as msgspec would have decoded it
                        message = {name: seen.get(name) for name in _LOOKED_AT}
                        if "date_unixtime" in seen:
                            message["date_unixtime"] = None
                        self._look((message,))
                    if value is not None:  # the byte after this message is known (.runs)
                        span.marks.append((self.count, value))
                        self.source.resume = value
            elif depth == 1 and key in WATCHED:
                seen[key] = value
            elif event == "run":
                messages, end = value
                self._look(messages)
                span.marks.append((self.count, end))
                self.source.resume = end
            elif not depth:
                self._look((value,))
        span.count, span.ordered = self.count, self.ordered
        span.max_id = self.high if self.high != MIN_ID else None
        self.listed[prefix] = span.start + self.count

    def _look(self, messages: Iterable[Any]) -> None:
        """Note the next items of the list: ids and their order, dates, topics, peer eras.

        The scan's per-message work (about 1 µs), for a run msgspec decoded and for one
        message read as events alike; attributes are loaded once per run.
        """
        span = self.span
        count, last, high, ordered = self.count, self.last, self.high, self.ordered
        local, forum, ints, strs = span.local_dates, span.forum, span.int_peers, span.str_peers
        for message in messages:
            count += 1
            if type(message) is not dict:
                kind = "a list" if type(message) is list else describe(message)
                note_bad(span, count, not_an_object(kind))
                continue
            current = message.get("id")
            if type(current) is int and MIN_ID < current < MAX_ID and current:
                if current <= last:
                    ordered = False
                elif current > high:
                    high = current
                if count == 1:
                    span.first_id = current
                last = current
            else:
                note_bad(span, count, bad_id(_usable(current)))
            unix = message.get("date_unixtime", _ABSENT)
            if unix is not _ABSENT and type(unix) is not dict and type(unix) is not list:
                strs = True  # a date_unixtime: April 2021 on
            elif not local:
                date = message.get("date")
                local = type(date) is str and not has_offset(date)
            if not forum:
                forum = message.get("action") == "topic_created"
            if not (ints and strs):
                for peer in (message.get("from_id"), message.get("actor_id")):
                    if type(peer) is int:
                        ints = True
                    elif type(peer) is str:
                        strs = True
        self.count, self.last, self.high, self.ordered = count, last, high, ordered
        span.local_dates, span.forum, span.int_peers, span.str_peers = local, forum, ints, strs
        if last != MIN_ID:
            self.last_id = last

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


#: A key the message does not have.
_ABSENT = object()


def _usable(value: Any) -> Any:
    """An id as the event scan sees it: an object or a list holds no value (``None``)."""
    return None if type(value) is dict or type(value) is list else value


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
