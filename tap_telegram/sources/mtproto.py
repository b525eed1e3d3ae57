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

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from telethon import TelegramClient, functions
from telethon.tl import types

from tap_telegram.errors import ConfigError, SessionError
from tap_telegram.mapping.mtproto import PeerIndex, map_chat, map_message, map_user
from tap_telegram.sources.base import MessageQuery, Record, Source
from tap_telegram.sources.loop import LoopThread
from tap_telegram.sources.mtproto_calls import BOT_SESSION, LOGIN_HINT, Caller
from tap_telegram.sources.mtproto_chats import ResolvedChat, resolve_chats
from tap_telegram.sources.mtproto_fetch import Fetcher, FetchSettings
from tap_telegram.sources.mtproto_rate import RateBudget
from tap_telegram.sources.telethon_client import (
    ClientFactory,
    ClientSettings,
    build_client,
    open_session,
)


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
        self._self_id: int | None = None
        self._chats: list[ResolvedChat] | None = None
        self._chat_records: list[Record] | None = None
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

    def close(self) -> None:
        """Disconnect the client and stop the loop; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self._caller is not None:
            self.logger.info("mtproto: %s", self._caller.budget.summary())
        try:
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
                    self._client, self._caller, self.config, self.logger, self.chat_failed
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
                yield page
            if raw_top <= after_id:
                return  # nothing newer than after_id
            # Continue after everything this response covered (even if all filtered out).
            after_id = raw_top

    async def top_id(self, chat: ResolvedChat) -> int:
        """Id of the chat's newest message (0 for an empty chat): one request."""
        assert self._caller is not None
        response = await self._caller(
            functions.messages.GetHistoryRequest(
                peer=chat.input_peer,
                offset_id=0,
                offset_date=None,
                add_offset=0,
                limit=1,
                max_id=0,
                min_id=0,
                hash=0,
            ),
            chat=chat.label,
        )
        return max((message.id for message in response.messages), default=0)

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

    async def last_id_before(self, chat: ResolvedChat, since: dt.datetime) -> int:
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


async def _disconnect(client: TelegramClient) -> None:
    """Disconnect inside the loop: ``client.disconnect()`` must be *called* there too."""
    await client.disconnect()
