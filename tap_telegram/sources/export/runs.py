"""Runs of messages the read can decode with msgspec: where they start, and decoding them.

The scan (:mod:`.scan`) feeds ijson's push parser the chunks ijson would read itself,
each cut once more after its last ``}`` followed by ``,`` and a newline, and after the
``}`` before its last ``]``: tdesktop's layout ends a message so. When the cut piece's
last parse event closes a message, the byte just after that ``}`` is known exactly:
:func:`marked_events` hands that offset as the ``end_map`` event's value (``None``
elsewhere) and the scan keeps it in :attr:`.spans.ChatSpan.marks`. A cut elsewhere
(inside a message, a minified file) marks nothing: fewer runs, never a wrong one.

Between two marks of one chat lie whole messages (``,`` then the next ones), decoded
by msgspec in one call (:func:`decode_run`: about 2.4 times cheaper than ijson's item
builder). Only files read as their own bytes get marks (UTF-16/32 files are converted,
their offsets are not the converted stream's). Anything msgspec refuses, or a count
that differs from the scan's, is left to ijson (:mod:`.read`), which gives the exact
error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson
import msgspec

from tap_telegram.sources.export.reader import BASE_READ

#: Largest run the read decodes at once (bytes); a longer gap between marks is read
#: by ijson (memory stays bounded whatever the file).
MAX_RUN = 1 << 22

_decode = msgspec.json.Decoder().decode


def _cuts(data: bytes) -> list[int]:
    """Where to cut ``data`` (after a ``}``), ascending; at most two."""
    cuts = set()
    comma = data.rfind(b"},\n")
    if comma >= 0:
        cuts.add(comma + 1)
    bracket = data.rfind(b"]")
    if bracket > 0:
        before = data[:bracket].rstrip()
        # A raw newline is never inside a string: then both ``}`` and ``]`` are syntax.
        if before.endswith(b"}") and b"\n" in data[len(before) : bracket]:
            cuts.add(len(before))
    return sorted(cut for cut in cuts if 0 < cut < len(data))


def marked_events(handle: BinaryIO) -> Iterator[tuple[str, Any]]:
    """The parse events of ``handle`` (ijson), an ``end_map`` at a cut carrying its byte offset."""
    events: list[tuple[str, Any]] = ijson.sendable_list()
    coro = ijson.basic_parse_coro(events, use_float=True)
    plain = getattr(handle, "plain", False)
    while True:
        data = handle.read(BASE_READ)
        if not data:
            break
        end = handle.tell()
        begin = 0
        for cut in _cuts(data) if plain else ():
            coro.send(data[begin:cut])
            if events and events[-1][0] == "end_map":
                events[-1] = ("end_map", end - len(data) + cut)
            yield from events
            del events[:]
            begin = cut
        coro.send(data[begin:] if begin else data)
        yield from events
        del events[:]
    coro.close()
    yield from events


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
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if type(messages) is not list or len(messages) != count:
        return None
    return messages
