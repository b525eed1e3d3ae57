"""Second read of an export: one chat's message objects, in id order, merged.

The scan (:mod:`.scan`) recorded where each chat's messages sit in its file's
flattened message stream (ijson prefix + index). A :class:`MessageCursor` walks that
stream with ijson's C item builder and only moves forward, and the
:class:`CursorPool` hands a cursor that stopped at the end of chat *k* to chat *k+1*:
syncing the chats of a whole-account export in file order is one linear read of the
file. Going back (another sync order, the same chat twice in one file) opens a fresh
cursor, which is correct but rereads the file up to that chat. The last chat of a list
is read with msgspec between the byte marks the scan recorded (:mod:`.runs`, about
0.28 s less CPU per 100,000 messages), ijson reading what msgspec does not.

A chat whose ids the scan found strictly ascending is streamed as it is; any other is
sorted by id first (:mod:`.order`), so every chat comes out in id order and a bookmark
never passes a message that was not emitted.
"""

from __future__ import annotations

import collections
import heapq
import itertools
from collections.abc import Generator
from pathlib import Path
from typing import Any

import ijson

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.encoding import open_export
from tap_telegram.sources.export.order import Message, sorted_unique
from tap_telegram.sources.export.runs import decode_run
from tap_telegram.sources.export.spans import (
    MAX_ID,
    MIN_ID,
    PARSE_ERRORS,
    ChatSpan,
    export_error,
)


class MessageCursor:
    """An open export file, positioned in one message list; reads forward only."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix
        self.position = 0
        #: Items handed out past ``position`` by msgspec (:mod:`.runs`): ijson has not
        #: read them, so such a cursor is never reused.
        self.ahead = 0
        try:
            self._handle = open_export(path)
        except OSError as error:
            raise self.changed(f"cannot open it again ({error.strerror})") from None
        self._items = ijson.items(self._handle, prefix, use_float=True)

    def skip(self, count: int) -> None:
        """Pass over ``count`` items (built in C and dropped)."""
        try:
            collections.deque(itertools.islice(self._items, count), maxlen=0)
        except PARSE_ERRORS as error:
            raise self.changed(f"cannot read it again ({error})") from None
        self.position += count

    def take(self, count: int) -> Generator[Any, None, None]:
        """The next ``count`` items; the file must still have them (the scan counted them).

        One loop over ijson's iterator for the whole chat, ``position`` kept in step:
        this is the read's per-message path, so no call per item.
        """
        begin = self.position
        try:
            for item in itertools.islice(self._items, count):
                self.position += 1
                yield item
        except PARSE_ERRORS as error:
            raise self.changed(f"cannot read it again ({error})") from None
        if self.position - begin < count:
            raise self.changed("it has fewer messages than when it was scanned")

    def changed(self, problem: str) -> ExportFormatError:
        """The error for a file that no longer matches its scan."""
        return export_error(
            self.path,
            f"message #{self.position + self.ahead + 1} of {self.prefix}",
            f"the file changed while the tap was reading it: {problem}",
            "run the tap again once the export is complete",
        )

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


class CursorPool:
    """Idle cursors by (file, list), reused while the wanted position lies ahead."""

    def __init__(self) -> None:
        self._idle: dict[tuple[Path, str], list[MessageCursor]] = {}
        self._busy: set[MessageCursor] = set()

    def acquire(self, path: Path, prefix: str, start: int) -> MessageCursor:
        """A cursor positioned at item ``start`` of ``prefix`` in ``path``."""
        idle = self._idle.setdefault((path, prefix), [])
        usable = [cursor for cursor in idle if cursor.position <= start]
        if usable:
            cursor = max(usable, key=lambda item: item.position)
            idle.remove(cursor)
        else:
            cursor = MessageCursor(path, prefix)
        self._busy.add(cursor)
        cursor.skip(start - cursor.position)
        return cursor

    def release(self, cursor: MessageCursor) -> None:
        """Give a cursor back for a later chat of the same list."""
        if cursor in self._busy:
            self._busy.discard(cursor)
            if cursor.ahead:
                cursor.close()
                return
            self._idle.setdefault((cursor.path, cursor.prefix), []).append(cursor)

    def close(self) -> None:
        """Close every file (idempotent)."""
        for cursor in [*self._busy, *itertools.chain.from_iterable(self._idle.values())]:
            cursor.close()
        self._busy.clear()
        self._idle.clear()


def span_messages(pool: CursorPool, span: ChatSpan) -> Generator[Message, None, None]:
    """The message objects of one chat in one file, in strictly ascending id order.

    A chat the scan found in order is streamed; any other is sorted and its repeated
    ids checked (:func:`.order.sorted_unique`). Raises :class:`ExportFormatError`
    when the file no longer matches its scan or holds contradictory copies of an id;
    every message yielded before that is good and lower than the problem's id.
    """
    items = _span_items(pool, span, ascending=span.ordered)
    return items if span.ordered else _sorted(items, span)


def _sorted(
    items: Generator[Message, None, None], span: ChatSpan
) -> Generator[Message, None, None]:
    """``items`` sorted by id (:mod:`.order`); the file is released however it ends."""
    try:
        yield from sorted_unique(items, span.file.path)
    finally:
        items.close()


def _span_items(
    pool: CursorPool, span: ChatSpan, *, ascending: bool
) -> Generator[Message, None, None]:
    """The chat's items in file order, each an object with a usable id (ascending if told).

    The scan checked all of that, so a failure here means the file changed since.
    """
    cursor = pool.acquire(span.file.path, span.prefix, span.start)
    previous = MIN_ID
    first = span.first_id
    items = _items(cursor, span)
    try:
        for message in items:
            message_id = message.get("id") if type(message) is dict else None
            if type(message_id) is not int or not MIN_ID < message_id < MAX_ID or not message_id:
                after = f"after id {previous}" if previous != MIN_ID else "first"
                raise cursor.changed(f"the message {after} has no usable id now")
            if message_id <= previous:
                if ascending:
                    raise cursor.changed(f"message id {message_id} now comes after {previous}")
            elif previous == MIN_ID and message_id != first:
                raise cursor.changed(f"its first message is now {message_id}")
            previous = message_id
            yield message
    finally:
        items.close()
        pool.release(cursor)


def _items(cursor: MessageCursor, span: ChatSpan) -> Generator[Any, None, None]:
    """The chat's items in file order: msgspec between the scan's marks, ijson elsewhere.

    Runs (:mod:`.runs`) are used only for the last chat of its list in its file (a
    cursor that msgspec moved past cannot serve a later chat) and only while the file
    has the size and time it had when scanned; the messages before the first mark, and
    from the first run msgspec refuses on, are read by ijson, which gives the exact
    error of a damaged or changed file.
    """
    marks = span.marks if _runs_usable(span) else []
    if len(marks) < 2:
        yield from cursor.take(span.count)
        return
    done = marks[0][0]
    yield from cursor.take(done)
    with span.file.path.open("rb") as raw:
        for (before, start), (after, end) in itertools.pairwise(marks):
            batch = decode_run(raw, start, end, after - before)
            if batch is None:
                break
            for message in batch:
                cursor.ahead += 1
                yield message
            done = after
    if done < span.count:
        ahead, cursor.ahead = cursor.ahead, 0
        cursor.skip(ahead)
        yield from cursor.take(span.count - done)


def _runs_usable(span: ChatSpan) -> bool:
    """Whether msgspec may read this chat's runs (see :func:`_items`)."""
    if not span.marks:
        return False
    export = span.file
    if [chat for chat in export.chats if chat.prefix == span.prefix][-1] is not span:
        return False
    try:
        stat = export.path.stat()
    except OSError:
        return False
    return stat.st_size == export.size and stat.st_mtime == export.mtime


def merge_by_id(
    streams: list[Generator[Message, None, None]],
) -> Generator[tuple[Message, int], None, None]:
    """K-way merge of ascending message streams of one chat; one message per id.

    Streams are ranked oldest export first; for an id present in several, the copy
    from the highest-ranked (latest) stream wins: it has the newer text, edit date
    and reactions. Yields ``(message, index of its stream)``; memory is one message
    per stream.
    """
    if len(streams) == 1:
        for message in streams[0]:
            yield message, 0
        return
    heap: list[tuple[int, int, Message, Generator[Message, None, None]]] = []
    for rank, stream in enumerate(streams):
        first = next(stream, None)
        if first is not None:
            heap.append((first["id"], -rank, first, stream))
    heapq.heapify(heap)
    while heap:
        message_id, winner_rank, winner, _ = heap[0]
        while heap and heap[0][0] == message_id:
            _, rank, _, stream = heapq.heappop(heap)
            following = next(stream, None)
            if following is not None:
                heapq.heappush(heap, (following["id"], rank, following, stream))
        yield winner, -winner_rank
