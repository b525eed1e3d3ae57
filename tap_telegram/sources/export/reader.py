"""The bytes ijson reads from an export: long strings in linear time, too long ones refused.

ijson's C parser (yajl) reads a file in chunks; a string that spans chunks is kept in
a buffer and lexed again *from its start* with every new chunk, so a string of n bytes
read in fixed 64 KB chunks costs n²/64 KB: a 40 MB text took 39 s, 200 MB over five
minutes (issue 27). :class:`LinearReader` hands ijson larger chunks while it is inside
a run of bytes without a string delimiter (each read twice the last, up to
:data:`MAX_READ`), so the lexer's rescans add up to a few times the string's length,
and goes back to 64 KB at the next quote.

A run longer than :data:`MAX_STRING` (16 MiB) is refused with one line: a Telegram
message holds at most 4,096 characters of text, and no value of a real export comes
near that (``ExportFormatError``, exit 4). Memory stays bounded by it.
"""

from __future__ import annotations

from typing import BinaryIO

from tap_telegram.errors import ExportFormatError

#: The chunk ijson asks for by default, and the first read of every run.
BASE_READ = 1 << 16
#: Longest run of bytes without an unescaped quote (a string, or anything else).
MAX_STRING = 1 << 24
#: The largest single read while inside a long run (reads double up to it).
MAX_READ = MAX_STRING


class LongStringError(ExportFormatError):
    """A string (or any value) of the export is longer than :data:`MAX_STRING` bytes."""


class LinearReader:
    """A read-only stream over ``raw`` for ijson: adaptive reads, bounded runs.

    Only ``read`` is offered (ijson's C reader then takes whatever length each read
    returns); ``tell`` is the underlying file's, so error positions stay positions in
    the file.
    """

    def __init__(self, raw: BinaryIO, name: str, *, plain: bool = False) -> None:
        self._raw = raw
        #: The file's own bytes are read (UTF-8): positions in the stream are file offsets.
        self.plain = plain
        self._name = name
        self._size = BASE_READ
        #: Bytes since the last unescaped quote (or the start of the file).
        self._run = 0

    def read(self, size: int = -1) -> bytes:
        """The next chunk: at least ``size`` bytes (more inside a long run)."""
        if size == 0:
            return b""
        data = self._raw.read(max(size, self._size) if size > 0 else size)
        if not data:
            return data
        last = _quote(data, last=True)
        # The run so far ends at the first quote of this chunk (or goes on through it).
        self._run += len(data) if last < 0 else _quote(data, last=False)
        if self._run > MAX_STRING:
            raise LongStringError(
                f"export file {self._name}: near byte {self.tell()}: a string (or value) is "
                f"longer than {MAX_STRING >> 20} MiB, which no Telegram Desktop export holds "
                "(a message has at most 4,096 characters); the file is damaged or not an export"
            )
        if last < 0:
            self._size = min(self._size * 2, MAX_READ)
        else:
            self._run = len(data) - last - 1
            self._size = BASE_READ
        return data

    def tell(self) -> int:
        """Bytes read from the file so far."""
        return self._raw.tell()

    def close(self) -> None:
        """Close the file."""
        self._raw.close()

    def __enter__(self) -> LinearReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quote(data: bytes, *, last: bool) -> int:
    r"""Index of the first (or last) ``"`` in ``data`` not escaped by a backslash, or -1.

    (A quote after an escaped backslash, ``\\"``, counts as escaped: that only
    makes a read larger or a run look longer, never a record wrong.)
    """
    start, end = 0, len(data)
    while True:
        index = data.rfind(b'"', start, end) if last else data.find(b'"', start, end)
        if index < 0 or index == 0 or data[index - 1] != 0x5C:  # not after a backslash
            return index
        if last:
            end = index
        else:
            start = index + 1
