"""MTProto source: full history through a user session (Telethon).

Layers, each small:

* :mod:`.telethon_client` builds the client (the seam the fake Telegram uses);
* :mod:`.loop` runs its event loop in a thread of its own;
* :mod:`.mtproto_calls` sends every request with the tap's error and flood policy;
* :mod:`.mtproto_chats` turns the ``chats`` setting into resolved entities;
* :mod:`.mtproto_rate` is the shared, adaptive request budget;
* :mod:`.mtproto_fetch` reads chats ahead and splits big channels into id windows;
* this module pages through history (:meth:`MTProtoSource.pages`) and maps pages.

History is read with raw ``messages.getHistory`` requests rather than
``iter_messages``: the tap chooses the page size, never sleeps between pages (Telethon
sleeps 1 s per page on long iterations), checkpoints per page, and runs several
pagers (chats, id windows) on the same loop under one rate budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from telethon import TelegramClient, functions
from telethon.tl import types

from tap_telegram.errors import ChatError, ConfigError, SessionError
from tap_telegram.sources.base import HistorySource, MessageQuery, Record, SourceContext
from tap_telegram.sources.mtproto import probes
from tap_telegram.sources.mtproto.calls import (
    BOT_SESSION,
    BOT_TOKEN,
    LOGIN_HINT,
    Caller,
)
from tap_telegram.sources.mtproto.chats import ResolvedChat, resolve_chats
from tap_telegram.sources.mtproto.client import (
    ClientFactory,
    ClientSettings,
    build_client,
    open_session,
    session_file_exists,
)
from tap_telegram.sources.mtproto.comments import CommentLinker, add_discussion_groups
from tap_telegram.sources.mtproto.download import MediaDownloader, settings_of
from tap_telegram.sources.mtproto.fetch import Fetcher, FetchSettings
from tap_telegram.sources.mtproto.loop import LoopThread
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_chat, map_message, map_user
from tap_telegram.sources.mtproto.members import fetch_participants, fetch_topics
from tap_telegram.sources.mtproto.rate import RateBudget
from tap_telegram.sources.mtproto.takeout import Takeout


class MTProtoSource(HistorySource):
    """Reads chats and their full history with a Telegram user session."""

    name = "mtproto"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._client_factory: ClientFactory = context.client_factory or build_client
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
        self._fetch: Fetcher | None = None

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
            client,
            self.logger,
            max_flood_wait=float(self.config.get("max_flood_wait", 300)),
            budget=RateBudget(FetchSettings.from_config(self.config).requests, self.logger),
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
        if self._caller is not None:
            self.logger.info("mtproto: %s", self._caller.budget.summary())
        try:
            if self._fetch is not None:
                self._fetch.close()
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

    def plan(self, queries: list[MessageQuery]) -> None:
        """Start reading the planned chats ahead (see :mod:`.mtproto_fetch`)."""
        self._fetcher.plan(queries)

    def message_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Pages of one chat, oldest first, read ahead in the background while written."""
        return self._fetcher.pages(query)

    @property
    def _fetcher(self) -> Fetcher:
        if self._fetch is None:
            runner = self._run
            assert self._caller is not None
            self._fetch = Fetcher(
                runner, self, self._caller, self.logger, FetchSettings.from_config(self.config)
            )
        return self._fetch

    def chat(self, chat_id: int) -> ResolvedChat:
        """The resolved chat with this marked id (KeyError if it is not selected)."""
        return self._chat(chat_id)

    async def pages(
        self,
        chat: ResolvedChat,
        after_id: int,
        up_to_id: int | None = None,
        since: dt.datetime | None = None,
    ) -> AsyncIterator[list[Record]]:
        """THE history primitive: ids in ``(after_id, up_to_id]``, oldest first, as pages.

        One ``messages.getHistory`` per page (``offset_id=after+1, add_offset=-limit``
        returns the ``limit`` oldest messages above ``after``), no sleeps. Pages are
        never empty; ``since`` drops older messages. Runs on the source's loop: the
        fetcher runs several of these at once (chats, id windows) under one budget.
        """
        assert self._caller is not None
        limit = int(self.config.get("page_size") or 100)
        while up_to_id is None or after_id < up_to_id:
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
            raw_top = max((message.id for message in response.messages), default=0)
            page = self._map_page(chat, response, after_id, since, up_to_id)
            if page:
                await self._enrich(chat, page, response.messages)
                yield page
            if raw_top <= after_id:
                return  # nothing newer than after_id
            # Continue after everything this response covered (even if all filtered out).
            after_id = raw_top

    async def _enrich(self, chat: ResolvedChat, page: list[Record], raw: list[Any]) -> None:
        """What a page gets beyond the mapping: comment links, downloaded files."""
        if chat.chat_id in self._comments:
            await self._comments[chat.chat_id].annotate(page, raw)
        if self._downloader is not None:
            await self._downloader.page(chat, raw, page)

    def in_order(self, chat: ResolvedChat) -> bool:
        """Whether the chat must be read by one pager, page after page (no id windows).

        Discussion groups: the comment linker learns thread roots from earlier pages
        and assumes it has seen every id between the first one read and the current.
        """
        return chat.chat_id in self._comments

    def chat_finished(self, chat: ResolvedChat) -> None:
        """Called by the fetcher after a chat's last page: per-chat totals."""
        if self._downloader is not None:
            self._downloader.log_totals(chat.label)

    async def top_id(self, chat: ResolvedChat) -> int:
        """Id of the chat's newest message (0 for an empty chat): one request."""
        assert self._caller is not None
        return await probes.top_id(self._caller, chat)

    def _map_page(
        self,
        chat: ResolvedChat,
        response: Any,
        after_id: int,
        since: dt.datetime | None,
        up_to_id: int | None = None,
    ) -> list[Record]:
        """Map one response; keep ids in ``(after_id, up_to_id]`` (dates from ``since``)."""
        peers = PeerIndex.from_response(response.users, response.chats, self._self_id)
        records = []
        for message in response.messages:
            if message.id <= after_id or (up_to_id is not None and message.id > up_to_id):
                continue
            record = map_message(message, chat.chat_id, peers)
            if record is None or (since is not None and record["date"] < since):
                continue
            records.append(record)
        records.sort(key=lambda record: record["id"])
        # Each sender once per page (a page has ~100 messages but few senders).
        senders = {r["sender_id"] for r in records if r["sender_type"] == "user"}
        for sender_id in sorted(senders):
            user = peers.get(sender_id)
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

    def lookback_starts(
        self,
        bookmarks: Mapping[int, int],
        *,
        messages: int,
        since: dt.datetime | None,
        skip_failed: bool = False,
    ) -> dict[int, int]:
        """Where each chat's lookback window starts, probed concurrently.

        One or two requests per chat (see :mod:`.mtproto_lookback`).
        """
        assert self._caller is not None
        caller = self._caller

        async def probe_all() -> list[int | BaseException]:
            return await asyncio.gather(
                *(
                    probes.window_start(
                        caller, self._chat(chat_id), bookmark, messages=messages, since=since
                    )
                    for chat_id, bookmark in bookmarks.items()
                ),
                return_exceptions=True,
            )

        starts: dict[int, int] = {}
        for chat_id, result in zip(bookmarks, self._run.run(probe_all()), strict=True):
            if isinstance(result, ChatError) and skip_failed:
                continue
            if isinstance(result, BaseException):
                raise result
            starts[chat_id] = result
        return starts

    async def last_id_before(self, chat: ResolvedChat, since: dt.datetime) -> int:
        """Id of the newest message older than ``since`` (0 if none): one request."""
        assert self._caller is not None
        return await probes.last_id_before(self._caller, chat, since)


async def _disconnect(client: TelegramClient) -> None:
    """Disconnect inside the loop: ``client.disconnect()`` must be *called* there too."""
    await client.disconnect()
