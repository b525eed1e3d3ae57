"""Open an export file for ijson whatever its encoding: UTF-8 (with or without BOM), UTF-16, UTF-32.

Telegram Desktop writes UTF-8 without a byte-order mark, but a file re-saved by an
editor may start with one (Notepad's UTF-8 with BOM), and PowerShell's
``Get-Content | Set-Content`` or an editor's "Unicode" writes UTF-16. JSON allows
UTF-8, UTF-16 and UTF-32 (RFC 8259 section 8.1 asks for UTF-8, older RFC 4627 sniffed
the others from the first bytes), and ijson's C parser reads only UTF-8 bytes. So:

* UTF-8 with a BOM: the handle is moved past the BOM. ijson reads the file itself and
  ``tell()`` is the real position in the file;
* UTF-16 / UTF-32 (by BOM, or by the pattern of zero bytes around the first ``{``):
  a :class:`Utf8Reader` decodes the file in chunks and hands ijson UTF-8. Its
  ``tell()`` is the number of bytes read *from the file*, so an error's byte position
  is still a position in the file the user has, never one in the converted text.

Memory stays one chunk, whatever the file size. The encoding is also named in error
messages (:func:`encoding_note`).
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tap_telegram.sources.export.reader import LinearReader

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: Bytes read from the file per chunk when converting.
CHUNK = 1 << 16

#: Byte-order marks, longest first (the UTF-32 LE mark starts like the UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff(head: bytes) -> tuple[str, int]:
    """``(encoding, BOM length)`` of a file from its first four bytes.

    Without a BOM, JSON text starts with an ASCII character, so its zero bytes tell
    the encoding apart (RFC 4627 section 3): ``00 00 00 xx`` UTF-32 BE, ``xx 00 00 00``
    UTF-32 LE, ``00 xx`` UTF-16 BE, ``xx 00`` UTF-16 LE, anything else UTF-8.
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name, len(bom)
    if len(head) >= 4 and head[:3] == b"\0\0\0":
        return "utf-32-be", 0
    if len(head) >= 4 and head[1:4] == b"\0\0\0":
        return "utf-32-le", 0
    if len(head) >= 2 and head[0] == 0:
        return "utf-16-be", 0
    if len(head) >= 2 and head[1] == 0:
        return "utf-16-le", 0
    return "utf-8", 0


class Utf8Reader(io.RawIOBase):
    """A read-only binary stream: the file's text re-encoded as UTF-8, read in chunks.

    ``tell()`` counts bytes consumed from the underlying file (see the module
    docstring). A byte sequence that is not valid in the file's encoding raises
    :class:`UnicodeDecodeError` from :meth:`read`, which the callers report like any
    damage, with the position.
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        """Yes: this stream is for reading."""
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of UTF-8 (at least one unless the file has ended)."""
        while not self._done and (size < 0 or len(self._pending) < size):
            chunk = self._raw.read(CHUNK)
            final = not chunk
            self._pending += self._decoder.decode(chunk, final=final).encode("utf-8")
            self._done = final
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        """Fill ``buffer`` with the next UTF-8 bytes (ijson's C reader asks this way)."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        """Bytes read from the file so far (a position in the file, not in the UTF-8)."""
        return self._raw.tell()

    def close(self) -> None:
        """Close the file."""
        self._raw.close()
        super().close()


def open_export(path: Path) -> BinaryIO:
    """``path`` opened for ijson: UTF-8 bytes, positioned after any BOM (module docstring)."""
    handle = path.open("rb")
    try:
        encoding, skip = sniff(handle.read(4))
        handle.seek(skip)
    except OSError:
        handle.close()
        raise
    stream = handle if encoding in ("utf-8", "utf-8-sig") else Utf8Reader(handle, encoding)
    # Long strings in linear time, too long ones refused (tap_telegram.sources.export.reader).
    return LinearReader(stream, str(path), plain=stream is handle)  # type: ignore[arg-type,return-value]


def encoding_note(path: Path) -> str:
    """`` (a UTF-16-LE file)`` when the file is not plain UTF-8, for error messages; else ``""``."""
    try:
        with path.open("rb") as handle:
            encoding, _ = sniff(handle.read(4))
    except OSError:
        return ""
    if encoding == "utf-8":
        return ""
    name = "UTF-8 with a byte-order mark" if encoding == "utf-8-sig" else encoding.upper()
    return f" (a {name} file)"
