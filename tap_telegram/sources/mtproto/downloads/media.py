"""Optional media downloads (setting ``media_dir``) for the MTProto source.

Run per history page, after the page is mapped and before it is yielded, so a record
always carries ``media.path`` and ``media.sha256`` of a file that is complete on disk.
Kept simple and bounded: one file at a time, filtered by kind (``media_kinds``) and
size (``media_max_size``).

* Never twice: files are addressed by chat and Telegram's photo/document id
  (``<chat id>/<kind>/<id><ext>``); a file already present with the expected size
  is hashed, not downloaded again. A download goes to ``*.part`` and is renamed
  only when complete, so an interrupted run leaves no half file behind a good name.
* FILE_REFERENCE_EXPIRED (references expire after a while): the message is fetched
  again (``channels.getMessages`` / ``messages.getMessages``) for a fresh
  reference, and the download retried once.
* A file that still cannot be downloaded is logged and its record kept without a
  path: a missing file never loses a message.
* **Symbolic links** planted in ``media_dir`` are never followed: the ``.part`` file
  is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (a stale one, or a link in its
  place, is removed first, never written through); a final name that is a link (or
  not a regular file) is not reused: the download's rename replaces the link itself;
  and a file whose folder resolves outside ``media_dir`` (a linked chat folder) is
  not written, logged like a failed download.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import mimetypes
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from telethon import TelegramClient, errors, functions
from telethon.tl import types

from tap_telegram.errors import ConfigError
from tap_telegram.records.constants import FILE_KINDS
from tap_telegram.settings import Settings
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Seconds between download progress lines.
PROGRESS_EVERY = 15.0


def settings_of(settings: Settings) -> tuple[Path, set[str], int | None] | None:
    """``(media_dir, kinds, max_size)`` from the settings; ``None`` when downloads are off."""
    folder = settings.media_dir
    if not folder:
        return None
    kinds = set(settings.media_kinds or FILE_KINDS)
    unknown = sorted(kinds - set(FILE_KINDS))
    if unknown:
        raise ConfigError(
            f"setting 'media_kinds': unknown {', '.join(unknown)}; "
            f"use any of {', '.join(FILE_KINDS)}"
        )
    max_size = settings.media_max_size
    return Path(str(folder)).expanduser(), kinds, int(max_size) if max_size is not None else None


def relative_path(chat_id: int, media: Mapping[str, Any]) -> str:
    """``<chat id without sign>/<kind>/<media id><ext>``: stable, so reruns find the file.

    The id is written unsigned (Telethon reads 64-bit ids as signed): no file name
    starts with ``-``, which shells would take for an option.
    """
    name = media.get("file_name") or ""
    ext = Path(name).suffix if name else ""
    if not ext:
        ext = mimetypes.guess_extension(media.get("mime_type") or "") or ".bin"
    ext = "".join(c for c in ext if c.isalnum() or c == ".")[:12] or ".bin"
    unsigned = int(media["id"]) & 0xFFFF_FFFF_FFFF_FFFF
    return f"{abs(chat_id)}/{media['kind']}/{unsigned}{ext}"


def _regular_size(path: Path) -> int | None:
    """Size of ``path`` if it is a regular file itself (not a link to one), else None."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _create_new(part: Path) -> BinaryIO:
    """``part`` created anew for writing, never through a link (module docstring)."""
    part.unlink(missing_ok=True)  # a stale .part, or a link planted there: the entry goes
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(part, flags, 0o644), "w+b")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MediaDownloader:
    """Downloads the files of mapped pages into ``media_dir``."""

    def __init__(
        self,
        client: TelegramClient,
        caller: Caller,
        logger: logging.Logger,
        settings: tuple[Path, set[str], int | None],
    ) -> None:
        self.client = client
        self.caller = caller
        self.logger = logger
        self.root, self.kinds, self.max_size = settings
        self.downloaded = self.reused = self.failed = self.refetched = 0
        self.bytes = 0
        self._last_log = time.monotonic()
        #: Files being downloaded: a lock each, with how many pages wait on it.
        self._locks: dict[Path, tuple[asyncio.Lock, int]] = {}

    def wanted(self, media: Mapping[str, Any] | None) -> bool:
        """A file of a selected kind, with a known id, within ``media_max_size``."""
        if not media or media.get("kind") not in self.kinds or not media.get("id"):
            return False
        size = media.get("size")
        return self.max_size is None or (size is not None and size <= self.max_size)

    async def page(self, chat: ResolvedChat, messages: list[Any], records: list[Record]) -> None:
        """Download the wanted files of one mapped page; fill ``path`` and ``sha256``."""
        raw = {message.id: message for message in messages}
        for record in records:
            media = record.get("media")
            message = raw.get(record["id"])
            if message is None or not self.wanted(media):
                continue
            assert media is not None
            await self._one(chat, message, media)
        self._progress(chat.label)

    async def _one(self, chat: ResolvedChat, message: Any, media: dict[str, Any]) -> None:
        """One file, never two downloads of the same file at once.

        Id windows of one chat are read concurrently, and the same file (a forwarded
        copy) can appear in two of them: the second waits, then reuses the first's file.
        """
        relative = relative_path(chat.chat_id, media)
        target = self.root / relative
        lock, users = self._locks.get(target, (asyncio.Lock(), 0))
        self._locks[target] = (lock, users + 1)
        try:
            async with lock:
                await self._one_locked(chat, message, media, relative, target)
        finally:
            lock, users = self._locks[target]
            if users == 1:
                del self._locks[target]
            else:
                self._locks[target] = (lock, users - 1)

    async def _one_locked(
        self, chat: ResolvedChat, message: Any, media: dict[str, Any], relative: str, target: Path
    ) -> None:
        size = media.get("size")
        present = _regular_size(target)
        if present is not None and (size is None or present == size):
            self.reused += 1
        else:
            try:
                self._folder_inside(target)
                await self._download(chat, message, target)
            except (errors.RPCError, OSError, ValueError) as exc:
                self.failed += 1
                self.logger.warning(
                    "chat %s: message %d: could not download its %s (%s); "
                    "the record is kept without a path",
                    chat.label,
                    message.id,
                    media["kind"],
                    str(exc) if type(exc) is OSError and exc.errno is None else type(exc).__name__,
                )
                return
            self.downloaded += 1
            self.bytes += target.stat().st_size
        media["path"] = relative
        media["sha256"] = sha256_of(target)

    def _folder_inside(self, target: Path) -> None:
        """Create the target's folder; raise OSError if it resolves outside ``media_dir``."""
        # Resolved before mkdir: mkdir would create folders through a link.
        if not target.parent.resolve().is_relative_to(self.root.resolve()):
            msg = f"{target.parent} leads out of media_dir (a symbolic link)"
            raise OSError(msg)
        target.parent.mkdir(parents=True, exist_ok=True)

    async def _download(self, chat: ResolvedChat, message: Any, target: Path) -> None:
        part = target.with_name(target.name + ".part")
        media = message.media
        try:
            for attempt in (1, 2):
                try:
                    with _create_new(part) as handle:
                        await self.caller.call(
                            functools.partial(self._fetch, media, handle),
                            chat=chat.label,
                            what="GetFileRequest",
                        )
                    break
                except (errors.FileReferenceExpiredError, errors.FilerefUpgradeNeededError):
                    if attempt == 2:
                        raise
                    media = await self._refetch(chat, message.id)
                    self.refetched += 1
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)

    async def _fetch(self, media: Any, handle: Any) -> None:
        handle.seek(0)
        handle.truncate()
        await self.client.download_media(media, file=handle)

    async def _refetch(self, chat: ResolvedChat, message_id: int) -> Any:
        """The message's media again, with a fresh file reference."""
        ids = [types.InputMessageID(message_id)]
        entity = chat.entity
        if isinstance(entity, types.Channel):
            request: Any = functions.channels.GetMessagesRequest(
                channel=types.InputChannel(entity.id, entity.access_hash or 0), id=ids
            )
        else:
            request = functions.messages.GetMessagesRequest(id=ids)
        response = await self.caller(request, chat=chat.label)
        for message in response.messages:
            if message.id == message_id and getattr(message, "media", None) is not None:
                self.logger.info(
                    "chat %s: message %d: file reference expired; fetched the message again",
                    chat.label,
                    message_id,
                )
                return message.media
        raise errors.FileReferenceExpiredError(request)

    def _progress(self, label: str) -> None:
        now = time.monotonic()
        if now - self._last_log < PROGRESS_EVERY:
            return
        self._last_log = now
        self.log_totals(label)

    def log_totals(self, label: str) -> None:
        """One INFO line: files downloaded, reused, failed; bytes (run totals so far)."""
        self.logger.info(
            "chat %s: media so far in this run: %d downloaded (%.1f MB), %d already present, "
            "%d failed, %d references refreshed",
            label,
            self.downloaded,
            self.bytes / 1e6,
            self.reused,
            self.failed,
            self.refetched,
        )
