"""Find Telegram Desktop exports on disk and scan each file once.

:func:`find_exports` turns ``export_path`` into scanned files, oldest first.
:func:`scan_file` takes a fast path for the common single-chat ``result.json``
(header from the first parse events, then ijson's C item builder over the messages,
keeping only ids) and otherwise the event scan of :mod:`.scan`, which reads
whole-account exports and produces the precise error for broken files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.encoding import open_export
from tap_telegram.sources.export.mapping.dates import has_offset
from tap_telegram.sources.export.mapping.parts import describe
from tap_telegram.sources.export.scan import scan_events
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


def _candidates(folder: Path, seen: set[Path], logger: logging.Logger) -> Iterator[Path]:
    """Export files under ``folder``, depth first, each real folder once (symlink loops)."""
    real = folder.resolve()
    if real in seen:
        return
    seen.add(real)
    result = folder / "result.json"
    if result.is_file():
        yield result
        return
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        if not seen - {real}:
            raise ExportFormatError(
                f"export_path {folder}: cannot read the folder ({error.strerror}); check its "
                "permissions"
            ) from None
        logger.warning("tap-telegram: skipping folder %s: %s", folder, error.strerror)
        return
    for entry in entries:
        if entry.is_file() and entry.suffix.lower() == ".json":
            yield entry
    for entry in entries:
        if entry.is_dir() and not entry.name.startswith("."):
            yield from _candidates(entry, seen, logger)


def scan_file(path: Path, logger: logging.Logger) -> ExportFile:
    """Scan one file; raise :class:`ExportFormatError` if it is not a usable export.

    A single-chat export whose header comes before its messages (as tdesktop writes
    it) takes the fast path: the header from the first parse events, then one pass
    of ijson's C item builder over the messages. Anything else (whole-account
    exports, unusual key order, wrong shapes) gets the event scan, which also
    produces the precise error.
    """
    try:
        stat = path.stat()
        export = ExportFile(path=path, size=stat.st_size, mtime=stat.st_mtime)
        header = _single_chat_header(path)
        if header is None or not _scan_single(export, header):
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


def _single_chat_header(path: Path) -> dict[str, Any] | None:
    """``name``/``type``/``id`` when the file starts like a single-chat export.

    Reads root-level keys until ``messages`` opens; ``None`` (use the event scan)
    when the root is not an object, a header key is missing or not a scalar, or
    another key holds a container first (a whole-account export).
    """
    header: dict[str, Any] = {}
    with open_export(path) as handle:
        events = ijson.basic_parse(handle, use_float=True)
        try:
            if next(events, None) != ("start_map", None):
                return None
            key = None
            for event, value in events:
                if event == "map_key":
                    key = value
                elif key == "messages":
                    return header if event == "start_array" and len(header) == 3 else None
                elif event in {"start_map", "start_array", "end_map"}:
                    return None
                elif key in ("name", "type", "id"):
                    header[key] = value
        except PARSE_ERRORS:
            return None
    return None


def _scan_single(export: ExportFile, header: dict[str, Any]) -> bool:
    """Fast scan of a single-chat export's messages; ``False`` to fall back.

    Builds each message in C (faster than looking at parse events in Python) and
    notes what :class:`ChatSpan` keeps, as the event scan does.
    """
    raw_id, export_type, name = header["id"], header["type"], header["name"]
    if type(raw_id) is not int or raw_id <= 0 or type(export_type) is not str:
        return False
    if name is not None and type(name) is not str:
        return False
    span = ChatSpan(export, "messages.item", 0, name, export_type, raw_id)
    count = 0
    last_id = high = MIN_ID
    ordered, stamped = True, False
    with open_export(export.path) as handle:
        try:
            for message in ijson.items(handle, "messages.item", use_float=True):
                count += 1
                if type(message) is not dict:
                    if span.bad_at is None:
                        span.bad_at, span.bad_what = count, not_an_object(describe(message))
                    continue
                message_id = message.get("id")
                if type(message_id) is int and MIN_ID < message_id < MAX_ID and message_id:
                    if message_id <= last_id:
                        ordered = False
                    elif message_id > high:
                        high = message_id
                    if count == 1:
                        span.first_id = message_id
                    last_id = message_id
                elif span.bad_at is None:
                    span.bad_at, span.bad_what = count, bad_id(message_id)
                if "date_unixtime" in message:
                    stamped = True
                else:
                    _undated(span, message)
                if "action" in message and message["action"] == "topic_created":
                    span.forum = True
        except PARSE_ERRORS:
            return False
    span.count, span.ordered = count, ordered
    span.str_peers = span.str_peers or stamped
    span.max_id = high if high != MIN_ID else None
    export.chats.append(span)
    finish_file(export)
    return True


def _undated(span: ChatSpan, message: dict[str, Any]) -> None:
    """A message without ``date_unixtime``: note a local date and its peer-id era."""
    date = message.get("date")
    if type(date) is str and not has_offset(date):
        span.local_dates = True
    for key in ("from_id", "actor_id"):
        value = message.get(key)
        if type(value) is int:
            span.int_peers = True
        elif type(value) is str:
            span.str_peers = True
