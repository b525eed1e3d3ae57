"""Fast output for records the tap builds itself: a compiled conformer and a page-flushing writer.

The SDK conforms every record by walking it against the JSON schema
(``TypeConformanceLevel.RECURSIVE``): at ~30 fields with nested entities and
reactions that is ~40 % of the tap's CPU time. Records of the ``messages`` stream
are built by the tap's own mappers from ``empty_message`` (every key of the schema,
nothing else) and hold only JSON values plus datetimes, so the only conversion they
need is datetime → ISO 8601 string. :func:`datetime_conformer` compiles the schema's
date-time paths once and converts exactly those, producing the SDK's own string
format; ``tests/singer/test_output.py`` checks the result equals the SDK's recursive
conformance on records of every kind, so a mapper that starts emitting something
else fails a test instead of writing odd output.

:class:`PageFlushWriter` is the SDK's msgspec writer that collects RECORD lines and
writes them out at the next non-RECORD message (STATE after each page, SCHEMA) or
every :data:`FLUSH_BYTES`: one system call (and one release of the GIL, which the
fetching thread would otherwise grab every time) per page instead of per record.
Records are written before the STATE that covers them, so a crash loses nothing a
bookmark claims; records not yet covered by a STATE are re-read by the next run.

**NUL characters** (U+0000) in any string of any message (a text, a file name, a path
from an export) are written as U+FFFD, the replacement character: PostgreSQL's text
types cannot hold U+0000 and target-postgres fails the whole batch on one, and one
character for one keeps entity offsets right (:func:`without_nul`).
"""

from __future__ import annotations

import atexit
import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib import RecordMessage, StateMessage
from singer_sdk.singerlib.encoding.simple import Message
from typing_extensions import override

Path = tuple[str, ...]
#: Buffered RECORD bytes that force a write even before the next STATE.
FLUSH_BYTES = 1 << 20
#: Marks "every item of this array" inside a path.
EACH = "*"


#: ``\u0000`` in a JSON line, unless its backslash is itself escaped (``\\u0000``).
_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(line: bytearray) -> bytearray:
    """A JSON line with every escaped NUL character written as U+FFFD (module docstring)."""
    if b"\\u0000" not in line:  # the common case: one scan in C
        return line
    return bytearray(_NUL.sub(rb"\1\\ufffd", bytes(line)))


def datetime_paths(schema: Mapping[str, Any], prefix: Path = ()) -> list[Path]:
    """Paths of every ``format: date-time`` property (through objects and arrays)."""
    paths: list[Path] = []
    for name, prop in (schema.get("properties") or {}).items():
        paths.extend(_paths_of(prop, (*prefix, name)))
    return paths


def _paths_of(prop: Mapping[str, Any], path: Path) -> list[Path]:
    variants = [prop, *(prop.get("anyOf") or [])]
    out: list[Path] = []
    for variant in variants:
        if variant.get("format") == "date-time":
            out.append(path)
        if variant.get("properties"):
            out.extend(datetime_paths(variant, path))
        items = variant.get("items")
        if isinstance(items, Mapping):
            out.extend(_paths_of(items, (*path, EACH)))
    return sorted(set(out), key=out.index)


def iso(value: dt.datetime) -> str:
    """The SDK's datetime format: UTC when naive, microseconds always."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat("T", timespec="microseconds")


def datetime_conformer(schema: Mapping[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that turns the datetimes of a record into strings, in place."""
    paths = datetime_paths(schema)
    roots = [path[0] for path in paths if len(path) == 1]
    nested = [path for path in paths if len(path) > 1]

    def conform(record: dict[str, Any]) -> dict[str, Any]:
        for key in roots:
            value = record.get(key)
            if isinstance(value, dt.datetime):
                record[key] = iso(value)
        for path in nested:
            _convert(record, path)
        return record

    return conform


def _convert(node: Any, path: Path) -> None:
    head, rest = path[0], path[1:]
    if head == EACH:
        for item in node if isinstance(node, list) else ():
            _convert(item, rest)
        return
    if not isinstance(node, dict) or node.get(head) is None:
        return
    if rest:
        _convert(node[head], rest)
    elif isinstance(node[head], dt.datetime):
        node[head] = iso(node[head])


class PageFlushWriter(MsgSpecWriter):
    """msgspec writer that flushes at STATE/SCHEMA messages, not after every record."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        #: A write to stdout is under way (a full pipe can block it for long).
        self._writing = False
        #: What a termination signal asked for while a write was under way.
        self._deferred: Callable[[], None] | None = None
        atexit.register(self.flush)

    def after_write(self, action: Callable[[], None]) -> bool:
        """Run ``action`` once the write under way is complete (``False``: none is).

        A SIGTERM handler runs between two bytecodes of the main thread, possibly in
        the middle of a page's write into a full pipe: writing STATE there and exiting
        would leave a cut line followed by the page again (found by the crash trials).
        The handler defers itself to here instead; the write, resumed after the signal
        (PEP 475), completes first.
        """
        if not self._writing:
            return False
        self._deferred = action
        return True

    @override
    def serialize_message(self, message: Message) -> bytearray:
        """The SDK's line, without its deep copy of STATE values.

        ``Message.to_dict`` copies the value recursively (``dataclasses.asdict``), and
        STATE is written after every page with a value that grows with the chats (their
        bookmarks and what the source remembers): encoding the value as it is gives
        the same line at a fraction of the cost (tests/singer/test_output.py).
        """
        if isinstance(message, StateMessage):
            return without_nul(serialize_jsonl({"type": message.type, "value": message.value}))
        return without_nul(super().serialize_message(message))

    @override
    def write_message(self, message: Message) -> None:
        """Buffer a RECORD; write everything out at any other message."""
        self._pending += self.format_message(message)
        if not isinstance(message, RecordMessage) or len(self._pending) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the buffered lines to stdout and flush it, then what a signal deferred."""
        if self._writing:
            return  # re-entered from a signal handler: the write under way goes on
        self._writing = True
        try:
            if self._pending:
                sys.stdout.buffer.write(self._pending)
                self._pending.clear()
            sys.stdout.flush()
        finally:
            self._writing = False
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred()
