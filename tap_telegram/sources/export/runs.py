"""Runs of messages msgspec decodes, for the scan and the read: where they are, and decoding them.

The scan (:mod:`.scan`) reads a file in the chunks ijson would read itself, each cut
once more after its last ``}`` followed by ``,`` and a newline, and after the ``}``
before its last ``]``: the end of a message in a file of one message a line; in
tdesktop's indented layout, once a message was seen to end at a cut, only a ``}`` at
that message's indent (:func:`_cuts`). When the bytes up to a cut end with a message,
the byte just after that ``}`` is known exactly: :class:`MarkedEvents` hands that
offset as the ``end_map`` event's value (``None`` elsewhere) and the scan keeps it in
:attr:`.spans.ChatSpan.marks`. A cut elsewhere (inside a message, a minified file)
marks nothing: fewer runs, never a wrong one.

**The scan's runs.** From a mark to the next chunk's last cut lie ``,`` and messages:
:func:`scan_run` decodes them with msgspec in one call, with a type that refuses what
ijson refuses or reads otherwise (nesting past :data:`RUN_DEPTH`, integers yajl cannot
hold), and the scan looks at the decoded messages instead of ijson's events for them
(about a third of the CPU). What msgspec refuses goes to ijson's parser as before,
which gives the exact error and position.

**The read's runs.** Between two marks of one chat lie whole messages, decoded by
msgspec in one call (:func:`decode_run`: about 2.4 times cheaper than ijson's item
builder). Only files read as their own bytes get marks (UTF-16/32 files are converted,
their offsets are not the converted stream's). Anything msgspec refuses, or a count
that differs from the scan's, is left to ijson (:mod:`.read`), which gives the exact
error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any, BinaryIO

import ijson
import msgspec

from tap_telegram.sources.export.reader import BASE_READ

#: Largest run the read decodes at once (bytes); a longer gap between marks is read
#: by ijson (memory stays bounded whatever the file).
MAX_RUN = 1 << 22

#: Deepest message a scan run may hold (the message's own object is 1). tdesktop writes
#: about 5 (message → reactions → reaction → recent → entry); far below the scan's
#: :data:`.scan.MAX_DEPTH`, so a run never holds what the scan must refuse, and the
#: decoder's type stays small (it grows exponentially with this depth).
RUN_DEPTH = 8

#: What a decoder raises for bytes it will not hold: those are ijson's to read or refuse,
#: with its exact error. msgspec 0.19 (the floor) raises ``UnicodeDecodeError`` for bad
#: UTF-8 in a string where later releases raise ``DecodeError``.
_REFUSED = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError)

_decode = msgspec.json.Decoder().decode


def _cuts(data: bytes, closing: bytes = b"}") -> list[int]:
    """Where to cut ``data`` (after a ``}``), ascending; at most two.

    ``closing`` is how a message of the file was seen to end: ``}`` where messages are
    one a line (a ``},`` + newline ends a message there), or a newline, the message's
    indent and ``}`` in tdesktop's layout, where objects inside a message end in ``},``
    too, but at a deeper indent.
    """
    cuts = set()
    comma = data.rfind(closing + b",\n")
    if comma >= 0:
        cuts.add(comma + len(closing))
    bracket = data.rfind(b"]")
    if bracket > 0:
        before = data[:bracket].rstrip()
        # A raw newline is never inside a string: then both ``}`` and ``]`` are syntax.
        if before.endswith(closing) and b"\n" in data[len(before) : bracket]:
            cuts.add(len(before))
    return sorted(cut for cut in cuts if 0 < cut < len(data))


class MarkedEvents:
    """The parse events of a file (ijson), with marks, and runs the scan need not parse.

    Iterating gives ijson's ``(event, value)`` pairs, an ``end_map`` at a cut carrying
    its byte offset (module docstring). When the scanner says it stands just after a
    message at a cut (:attr:`resume`, the cut's offset), the bytes from there to the
    next chunk's last cut are tried as a run (:func:`scan_run`); accepted, they come as
    one ``("run", (messages, offset after them))`` event and ijson never sees them
    (its state, "after a value in the list", is the same before and after a run of
    ``,`` value pairs). Refused, ijson reads them as it always did.

    The file is read in the very chunks of before, and every byte ijson parses is fed
    to it in the same pieces: :attr:`position` is the position the scan's errors name
    (the end of the chunk the failing bytes were read in, as ``tell()`` was).
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        #: Offset just after the message the scanner last closed at a cut (-1: none).
        self.resume = -1
        #: What ``tell()`` was when the bytes ijson is parsing were read.
        self.position = 0
        #: How a message of this file ends (:func:`_cuts`), once one ended at a cut.
        self.closing = b"}"
        self._events: list[tuple[str, Any]] = ijson.sendable_list()
        self._coro = ijson.basic_parse_coro(self._events, use_float=True)

    def _feed(self, data: bytes) -> Iterator[tuple[str, Any]]:
        self._coro.send(data)
        yield from self._events
        del self._events[:]

    def _learn(self, data: bytes, cut: int) -> None:
        """Note how the message ending at ``cut`` ends: its indent, if on a line of its own."""
        line = data.rfind(b"\n", 0, cut)
        if line >= 0 and not data[line + 1 : cut - 1].strip(b" \t"):
            self.closing = data[line:cut]

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        handle, events = self.handle, self._events
        plain = getattr(handle, "plain", False)
        held, held_at, held_read = b"", -1, 0  # bytes after a message's cut, not parsed yet
        while True:
            try:
                data = handle.read(BASE_READ)
            except BaseException:
                if held:  # they were parsed before this read used to happen
                    self.position = held_read
                    yield from self._feed(held)
                raise
            end = handle.tell()
            if not data:
                break
            start = end - len(data)
            cuts = _cuts(data, self.closing) if plain else []
            if held and cuts and self.resume == held_at:
                messages = scan_run(held + data[: cuts[-1]])
                if messages is not None:
                    self.position = end
                    yield ("run", (messages, start + cuts[-1]))
                    held, held_at, held_read = data[cuts[-1] :], start + cuts[-1], end
                    continue
            if held:
                self.position = held_read
                yield from self._feed(held)
                held = b""
            self.position = end
            begin = 0
            for cut in cuts:
                self._coro.send(data[begin:cut])
                if events and events[-1][0] == "end_map":
                    events[-1] = ("end_map", start + cut)
                yield from events
                del events[:]
                begin = cut
            if begin and self.resume == start + begin:  # a message ends here: maybe a run next
                held, held_at, held_read = data[begin:], start + begin, end
                self._learn(data, begin)
            else:
                yield from self._feed(data[begin:] if begin else data)
        if held:
            self.position = held_read
            yield from self._feed(held)
        self.position = end
        self._coro.close()
        yield from events


def _typed(depth: int) -> Any:
    """JSON values nested at most ``depth`` containers deep, integers as yajl reads them.

    yajl refuses integers past 64 bits ("integer overflow"), and -2**63 too unless it
    is the first number of the file (a stale ``errno``): the run refuses it always.
    """
    scalar: Any = None | bool | Annotated[int, msgspec.Meta(ge=1 - (1 << 63), le=(1 << 63) - 1)]
    scalar = scalar | float | str
    kind = scalar
    for _ in range(depth):
        kind = scalar | list[kind] | dict[str, kind]  # type: ignore[valid-type]
    return kind


@functools.cache
def _run_decoder() -> Callable[[bytes], list[Any]]:
    return msgspec.json.Decoder(list[_typed(RUN_DEPTH)]).decode  # type: ignore[misc]


def scan_run(data: bytes) -> list[Any] | None:
    """The values of ``data`` (``,`` value, ``,`` value, ...), or ``None`` (let ijson parse it).

    Accepted only what ijson's parser accepts with the same values: msgspec refuses all
    that yajl refuses (bad syntax, bad UTF-8, lone surrogate escapes, numbers out of
    range; checked by ``tests/sources/export/test_scan_runs.py``), integers beyond 64 bits
    (yajl's overflow) are refused by the type, and so is nesting deeper than
    :data:`RUN_DEPTH`, far below the scan's limit: a deeper message is ijson's, which
    refuses it past the limit with the exact error. Only JSON's own whitespace is
    skipped (``bytes.lstrip`` would also skip a form feed).
    """
    if len(data) > MAX_RUN:
        return None
    data = data.lstrip(b" \t\r\n")
    if not data.startswith(b","):
        return None
    try:
        messages = _run_decoder()(b"[" + data[1:] + b"]")
    except _REFUSED:
        return None
    return messages or None


def decode_run(handle: BinaryIO, start: int, end: int, count: int) -> list[Any] | None:
    """The ``count`` messages between marks ``start`` and ``end``, or ``None`` (use ijson)."""
    if end - start > MAX_RUN:
        return None
    handle.seek(start)
    data = handle.read(end - start).lstrip()
    if not data.startswith(b","):
        return None
    try:
        messages = _decode(b"[" + data[1:] + b"]")
    except _REFUSED:
        return None
    if type(messages) is not list or len(messages) != count:
        return None
    return messages
