"""Find Telegram Desktop exports on disk and scan each file once.

:func:`find_exports` turns ``export_path`` into scanned files, oldest first.
:func:`scan_file` runs the event scan of :mod:`.scan` over each file: it reads
single-chat and whole-account exports, bounds their nesting, and produces the precise
error for broken files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.scan import scan_events
from tap_telegram.sources.export.spans import (
    ExportFile,
    export_error,
)


def find_exports(export_path: str, logger: logging.Logger) -> list[ExportFile]:
    """Scan ``export_path`` (a file, or a folder searched recursively), oldest first.

    In a folder, a directory that holds a ``result.json`` is one export: its
    subfolders are that export's media (where a ``.json`` file someone sent in a chat
    may sit) and are not searched. Elsewhere every ``*.json`` is tried; one that is
    not an export is skipped with a warning. Files are ordered by modification time,
    then path: when several exports hold the same chat, the later one wins.
    """
    root = Path(export_path).expanduser()
    if not root.exists():
        raise ExportFormatError(
            f"export_path {root}: no such file or folder; point export_path at a Telegram "
            "Desktop export (its result.json or the folder that contains it)"
        )
    if root.is_file():
        return [scan_file(root, logger)]
    found = []
    for path in _candidates(root, set(), logger):
        try:
            found.append(scan_file(path, logger))
        except ExportFormatError as error:
            if path.name == "result.json" or getattr(error, "looks_like_export", False):
                raise
            logger.warning("tap-telegram: skipping %s, not a Telegram Desktop export", path)
    if not found:
        raise ExportFormatError(
            f"export_path {root}: the folder has no Telegram Desktop JSON export (no result.json "
            "or other .json file with 'messages' or 'chats'); export with format JSON and "
            "point export_path at the export's folder"
        )
    found.sort(key=lambda item: (item.mtime, str(item.path)))
    return found


def _candidates(
    folder: Path, seen: set[Path], logger: logging.Logger, inside: Path | None = None
) -> Iterator[Path]:
    """Export files under ``folder``, depth first, each real folder once (symlink loops).

    **Symbolic links** are followed only while they stay inside ``export_path``
    (``inside``: its resolved path): a link that leads out of it (to another export,
    to ``/``) is skipped with a warning, never read. A ``result.json`` makes its folder
    one export; other ``.json`` files beside it are said, not read.
    """
    real = folder.resolve()
    inside = inside or real
    if real in seen:
        return
    seen.add(real)
    result = folder / "result.json"
    if _is_file(result, inside, logger):
        others = sorted(
            entry.name
            for entry in _entries(folder, seen, real, logger)
            if entry.name != "result.json" and entry.suffix.lower() == ".json"
        )
        if others:
            logger.warning(
                "tap-telegram: %s: reading result.json only; the other JSON file(s) beside it "
                "(%s) are not read: to read one, move it into a folder of its own",
                folder,
                ", ".join(others[:5]) + (", ..." if len(others) > 5 else ""),
            )
        yield result
        return
    entries = _entries(folder, seen, real, logger)
    for entry in entries:
        if entry.suffix.lower() == ".json" and _is_file(entry, inside, logger):
            yield entry
    for entry in entries:
        if not entry.name.startswith(".") and _is_dir(entry, inside, logger):
            yield from _candidates(entry, seen, logger, inside)


def _entries(folder: Path, seen: set[Path], real: Path, logger: logging.Logger) -> list[Path]:
    """The folder's entries, sorted; an unreadable folder is an error at the top, else skipped."""
    try:
        return sorted(folder.iterdir())
    except OSError as error:
        if not seen - {real}:
            raise ExportFormatError(
                f"export_path {folder}: cannot read the folder ({error.strerror}); check its "
                "permissions"
            ) from None
        logger.warning("tap-telegram: skipping folder %s: %s", folder, error.strerror)
        return []


def _inside(path: Path, inside: Path, logger: logging.Logger) -> bool:
    """Whether ``path`` resolves inside ``export_path`` (a link out is skipped and said)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return False
    if real == inside or real.is_relative_to(inside):
        return True
    logger.warning(
        "tap-telegram: skipping %s: a symbolic link that leads out of export_path (to %s); "
        "only files inside export_path are read",
        path,
        real,
    )
    return False


def _is_file(path: Path, inside: Path, logger: logging.Logger) -> bool:
    try:
        return path.is_file() and _inside(path, inside, logger)
    except OSError:
        return False


def _is_dir(path: Path, inside: Path, logger: logging.Logger) -> bool:
    try:
        return path.is_dir() and _inside(path, inside, logger)
    except OSError:
        return False


def scan_file(path: Path, logger: logging.Logger) -> ExportFile:
    """Scan one file; raise :class:`ExportFormatError` if it is not a usable export.

    Every file gets the event scan (:mod:`.scan`, ijson's ``basic_parse``): it bounds
    the nesting depth before anything is built. ijson's item builder (``items``,
    ``parse``) keeps a path string per parse event, so a deeply nested file costs it
    memory of depth times events (160 KB of brackets took gigabytes); the single-chat
    fast path that used it saved about 8 % of the scan time and is gone (issue 27).
    """
    try:
        stat = path.stat()
        export = ExportFile(path=path, size=stat.st_size, mtime=stat.st_mtime)
        scan_events(export)
    except OSError as error:
        raise export_error(
            path, "cannot read", error.strerror or str(error), "check the path"
        ) from None
    logger.info(
        "tap-telegram: %s: %d chat(s), %d messages, %.1f MB",
        path,
        len(export.chats),
        sum(chat.count for chat in export.chats),
        export.size / 1e6,
    )
    return export
