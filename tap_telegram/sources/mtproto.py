"""MTProto source: full history through a user session (Telethon).

Layers, each small:

* :mod:`.telethon_client` builds the client (the seam the fake Telegram uses);
* :mod:`.loop` runs its event loop in a thread of its own;
* :mod:`.mtproto_calls` sends every request with the tap's error and flood policy;
* :mod:`.mtproto_chats` turns the ``chats`` setting into resolved entities;
* this module pages through history and maps pages to records.

History is read with raw ``messages.getHistory`` requests rather than
``iter_messages``: the tap chooses the page size, never sleeps between pages (Telethon
sleeps 1 s per page on long iterations), checkpoints per page, and can later run
several pagers (chats, id windows) on the same loop under one rate budget.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from telethon import TelegramClient, functions
from telethon.tl import types

from tap_telegram.errors import ConfigError, SessionError
from tap_telegram.mapping.mtproto import PeerIndex, map_chat, map_message, map_user
from tap_telegram.sources.base import MessageQuery, Record, Source
from tap_telegram.sources.loop import LoopThread
from tap_telegram.sources.mtproto_calls import (
    BOT_SESSION,
    BOT_TOKEN,
    LOGIN_HINT,
    Caller,
    CallStats,
)
from tap_telegram.sources.mtproto_chats import ResolvedChat, resolve_chats
from tap_telegram.sources.mtproto_comments import CommentLinker, add_discussion_groups
from tap_telegram.sources.mtproto_download import MediaDownloader, settings_of
from tap_telegram.sources.mtproto_lookback import window_start
from tap_telegram.sources.mtproto_members import fetch_participants, fetch_topics
from tap_telegram.sources.takeout import Takeout
from tap_telegram.sources.telethon_client import (
    ClientFactory,
    ClientSettings,
    build_client,
    open_session,
    session_file_exists,
)

#: Seconds between progress lines of one chat.
PROGRESS_EVERY = 15.0


class MTProtoSource(Source):
    """Reads chats and their full history with a Telegram user session."""

    name = "mtproto"

    def __init__(
        self,
        config: Mapping[str, Any],
        logger: logging.Logger,
        client_factory: ClientFactory = build_client,
    ) -> None:
        super().__init__(config, logger)
        self._client_factory = client_factory
        self._runner: LoopThread | None = None
        self._client: TelegramClient | None = None
        self._caller: Caller | None = None
        self._takeout: Takeout | None = None
        self._self_id: int | None = None
        self._chats: list[ResolvedChat] | None = None
        self._chat_records: list[Record] | None = None
        self._downloader: MediaDownloader | None = None
        #: Discussion groups (``include_comments``): ties comments to channel posts.
        self._comments: dict[int, CommentLinker] = {}

    # -- lifecycle -----------------------------------------------------------------

    def _settings(self) -> ClientSettings:
        api_id = self.config.get("api_id")
        api_hash = self.config.get("api_hash")
        if not api_id:
            raise ConfigError(
                "setting 'api_id' is required for source mtproto; get it at my.telegram.org"
            )
        if not api_hash:
            raise ConfigError(
                "setting 'api_hash' is required for source mtproto; get it at my.telegram.org"
            )
        if not self.config.get("session_string") and not self.config.get("session_file"):
            raise ConfigError(
                "setting 'session_string' (or 'session_file') is required for source "
                f"mtproto; {LOGIN_HINT}"
            )
        session_string = self.config.get("session_string")
        if session_string and BOT_TOKEN.match(str(session_string).strip()):
            raise ConfigError(f"setting 'session_string' holds a bot token: {BOT_SESSION}")
        session_file = self.config.get("session_file")
        if not session_string and session_file and not session_file_exists(session_file):
            raise ConfigError(
                f"setting 'session_file': no session file at {session_file}; create it with "
                f"`tap-telegram login --session-file {session_file}`"
            )
        try:
            session = open_session(
                self.config.get("session_string"), self.config.get("session_file")
            )
        except ValueError:
            raise ConfigError(
                f"setting 'session_string' is not a Telethon string session; {LOGIN_HINT}"
            ) from None
        return ClientSettings(
            session=session,
            api_id=int(api_id),
            api_hash=str(api_hash),
            dc_id=self.config.get("dc_id"),
            server_address=self.config.get("server_address"),
            server_port=self.config.get("server_port"),
        )

    def open(self) -> None:
        """Start the loop, connect and check the session belongs to a user."""
        if self._runner is not None:
            return
        settings = self._settings()
        self._runner = LoopThread()
        self._runner.run(self._connect(settings))

    async def _connect(self, settings: ClientSettings) -> None:
        client = self._client_factory(settings)
        self._client = client
        self._caller = Caller(
            client, self.logger, max_flood_wait=float(self.config.get("max_flood_wait", 300))
        )
        try:
            # Through the caller: connect() itself can raise AuthKeyDuplicated or FloodWait.
            await self._caller.call(client.connect, chat="-", what="connect")
        except OSError as exc:
            raise SessionError(
                f"cannot reach Telegram ({type(exc).__name__}); check the network and "
                "dc_id/server_address/server_port"
            ) from None
        me = await self._caller(functions.users.GetUsersRequest([types.InputUserSelf()]), chat="-")
        if not me or not isinstance(me[0], types.User):
            raise SessionError(f"the session is not logged in; {LOGIN_HINT}")
        if me[0].bot:
            raise ConfigError(BOT_SESSION)
        self._self_id = me[0].id
        if self.config.get("use_takeout"):
            # From here on every request goes through the takeout (export limits).
            self._takeout = Takeout(client, self._caller, self.logger)
            self._caller.client = await self._takeout.start()
        media = settings_of(self.config)
        if media is not None:
            # The plain client: Telethon's downloader sends upload.getFile on its own
            # senders, outside any takeout wrapper, whichever client it is called on.
            self._downloader = MediaDownloader(client, self._caller, self.logger, media)

    def close(self) -> None:
        """Disconnect the client and stop the loop; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            if self._takeout is not None:
                runner.run(self._takeout.finish(self.succeeded and not self.failures))
            if self._client is not None:
                runner.run(_disconnect(self._client))
        finally:
            runner.close()

    @property
    def _run(self) -> LoopThread:
        self.open()
        assert self._runner is not None
        return self._runner

    # -- chats ---------------------------------------------------------------------

    def resolved_chats(self) -> list[ResolvedChat]:
        """The selected chats, resolved on first call and cached."""
        if self._chats is None:
            runner = self._run
            assert self._client is not None
            assert self._caller is not None
            self._chats = runner.run(
                resolve_chats(
                    self._caller.client, self._caller, self.config, self.logger, self.chat_failed
                )
            )
            if self.config.get("include_comments"):
                self._chats, self._comments = runner.run(
                    add_discussion_groups(
                        self._caller.client,
                        self._caller,
                        self._chats,
                        self.logger,
                        self.chat_failed,
                    )
                )
        return self._chats

    def chats(self) -> list[Record]:
        """``chats`` records (with full info: about, members, linked chat)."""
        if self._chat_records is None:
            self._chat_records = [
                map_chat(chat.entity, chat.full) for chat in self.resolved_chats()
            ]
        return self._chat_records

    def call_stats(self, chat_id: int | None = None) -> dict[str, float]:
        """Requests and flood waits of one chat (``None``: the whole run), from the caller."""
        if self._caller is None:
            return {}
        if chat_id is None:
            return self._caller.totals().as_dict()
        for chat in self._chats or []:
            if chat.chat_id == chat_id:
                return self._caller.stats_for(chat.label).as_dict()
        return {}

    def _chat(self, chat_id: int) -> ResolvedChat:
        for chat in self.resolved_chats():
            if chat.chat_id == chat_id:
                return chat
        raise KeyError(chat_id)

    # -- history -------------------------------------------------------------------

    def message_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Pages of one chat, oldest first; the next page is fetched while this one is written."""
        chat = self._chat(query.chat_id)
        runner = self._run
        pages = self._history(chat, query)
        pending: concurrent.futures.Future[list[Record]] | None = runner.submit(
            pages.__anext__()  # type: ignore[arg-type]
        )
        try:
            while pending is not None:
                try:
                    page = pending.result()
                except StopAsyncIteration:
                    pending = None
                    break
                pending = runner.submit(pages.__anext__())  # type: ignore[arg-type]
                yield page
        finally:
            if pending is not None:
                # Let the prefetch finish (one page) so the generator can be closed;
                # the error that matters, if any, is the one already propagating.
                with contextlib.suppress(BaseException):
                    pending.result()
            runner.run(pages.aclose())  # type: ignore[attr-defined]

    async def _history(
        self, chat: ResolvedChat, query: MessageQuery
    ) -> AsyncIterator[list[Record]]:
        """Walk ``messages.getHistory`` from ``after_id`` towards the newest message."""
        assert self._caller is not None
        limit = int(self.config.get("page_size") or 100)
        after_id = query.after_id
        if query.since is not None:
            after_id = max(after_id, await self._last_id_before(chat, query.since))
        progress = _Progress(self.logger, chat.label, self._caller.stats_for(chat.label))
        while True:
            response = await self._caller(
                functions.messages.GetHistoryRequest(
                    peer=chat.input_peer,
                    offset_id=after_id + 1,
                    offset_date=None,
                    add_offset=-limit,
                    limit=limit,
                    max_id=0,
                    min_id=0,
                    hash=0,
                ),
                chat=chat.label,
            )
            page = self._map_page(chat, response, after_id, query.since)
            if chat.chat_id in self._comments:
                await self._comments[chat.chat_id].annotate(page, response.messages)
            if not page:
                break
            if self._downloader is not None:
                await self._downloader.page(chat, response.messages, page)
            after_id = page[-1]["id"]
            progress.add(len(page), after_id)
            yield page
        progress.done()
        if self._downloader is not None:
            self._downloader.log_totals(chat.label)

    def _map_page(
        self, chat: ResolvedChat, response: Any, after_id: int, since: dt.datetime | None
    ) -> list[Record]:
        """Map one response; keep ids above ``after_id`` (and dates from ``since``), ascending."""
        peers = PeerIndex.from_response(response.users, response.chats, self._self_id)
        records = []
        for message in response.messages:
            if message.id <= after_id:
                continue
            record = map_message(message, chat.chat_id, peers)
            if record is None or (since is not None and record["date"] < since):
                continue
            records.append(record)
        records.sort(key=lambda record: record["id"])
        for record in records:
            if record["sender_type"] == "user":
                user = peers.get(record["sender_id"])
                if isinstance(user, types.User):
                    self.users.add(map_user(user))
        return records

    def topics(self, chat_id: int) -> Iterator[Record]:
        """Topics of a forum (see :mod:`.mtproto_members`)."""
        runner = self._run
        assert self._caller is not None
        yield from runner.run(fetch_topics(self._caller, self._chat(chat_id)))

    def participants(self, chat_id: int) -> Iterator[Record]:
        """Members of a chat, where the account may list them (see :mod:`.mtproto_members`)."""
        runner = self._run
        assert self._caller is not None
        chat = self._chat(chat_id)
        # The caller's client: inside a takeout, member lists go through it too.
        yield from runner.run(
            fetch_participants(self._caller.client, self._caller, chat, self.users, self.logger)
        )

    def lookback_start(
        self, chat_id: int, bookmark: int, *, messages: int, since: dt.datetime | None
    ) -> int:
        """Where the chat's lookback window starts (see :mod:`.mtproto_lookback`)."""
        chat = self._chat(chat_id)
        assert self._caller is not None
        return self._run.run(
            window_start(self._caller, chat, bookmark, messages=messages, since=since)
        )

    async def _last_id_before(self, chat: ResolvedChat, since: dt.datetime) -> int:
        """Id of the newest message older than ``since`` (0 if none): turns a date into an id."""
        assert self._caller is not None
        response = await self._caller(
            functions.messages.GetHistoryRequest(
                peer=chat.input_peer,
                offset_id=0,
                offset_date=since,
                add_offset=0,
                limit=1,
                max_id=0,
                min_id=0,
                hash=0,
            ),
            chat=chat.label,
        )
        ids = [message.id for message in response.messages if message.date < since]
        return max(ids, default=0)


class _Progress:
    """Logs a chat's progress at INFO every :data:`PROGRESS_EVERY` seconds."""

    def __init__(self, logger: logging.Logger, label: str, stats: CallStats) -> None:
        self.logger = logger
        self.label = label
        self.stats = stats
        self.count = 0
        self.started = self.last = time.monotonic()

    def add(self, count: int, last_id: int) -> None:
        self.count += count
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            rate = self.count / max(now - self.started, 1e-9)
            self.logger.info(
                "chat %s: %d messages so far (%.0f msg/s), at id %d, %d flood waits (%.0f s)",
                self.label,
                self.count,
                rate,
                last_id,
                self.stats.flood_waits,
                self.stats.flood_seconds,
            )

    def done(self) -> None:
        elapsed = time.monotonic() - self.started
        self.logger.info(
            "chat %s: %d new messages in %.1f s (%.0f msg/s), %d requests, %d flood waits (%.0f s)",
            self.label,
            self.count,
            elapsed,
            self.count / max(elapsed, 1e-9),
            self.stats.requests,
            self.stats.flood_waits,
            self.stats.flood_seconds,
        )


async def _disconnect(client: TelegramClient) -> None:
    """Disconnect inside the loop: ``client.disconnect()`` must be *called* there too."""
    await client.disconnect()
