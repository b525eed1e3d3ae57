"""The history primitive: one chat's messages in an id range, as mapped pages.

:meth:`HistoryReader.pages` is how the fetcher (:mod:`.fetch`) reads a chat, whole or
as id windows; :func:`get_history` is the one request behind it and the probes. It
sends raw ``messages.getHistory`` requests rather than ``iter_messages``: the tap
chooses the page size, never sleeps between pages (Telethon sleeps 1 s per page on
long iterations), checkpoints per page, and runs several pagers (chats, id windows)
on the same loop under one rate budget.

A page is mapped (:mod:`.mapping.messages`), its senders registered for the ``users``
stream, and enriched before it is handed on: comment links (:mod:`.comments`) and
downloaded files (:mod:`.download`). Everything here runs on the source's event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from telethon import functions
from telethon.tl import types

from tap_telegram.sources.base import Record, UserRegistry
from tap_telegram.sources.mtproto.calls import Caller
from tap_telegram.sources.mtproto.chats import ResolvedChat
from tap_telegram.sources.mtproto.comments import CommentLinker
from tap_telegram.sources.mtproto.download import MediaDownloader
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_message, map_user


class HistoryReader:
    """Reads, maps and enriches history pages of the run's chats."""

    def __init__(
        self,
        caller: Caller,
        users: UserRegistry,
        *,
        self_id: int | None,
        page_size: int,
        downloader: MediaDownloader | None = None,
    ) -> None:
        self.caller = caller
        #: Where the senders of every page are registered (the ``users`` stream).
        self.users = users
        #: The account's own user id: messages it sent map as outgoing.
        self.self_id = self_id
        self.page_size = page_size
        self.downloader = downloader
        #: Discussion groups (``include_comments``) by marked id: ties comments to posts.
        self.comments: dict[int, CommentLinker] = {}

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
        never empty; ``since`` drops older messages. The fetcher runs several of these
        at once (chats, id windows) under one budget.
        """
        limit = self.page_size
        while up_to_id is None or after_id < up_to_id:
            response = await get_history(
                self.caller, chat, offset_id=after_id + 1, add_offset=-limit, limit=limit
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

    def in_order(self, chat: ResolvedChat) -> bool:
        """Whether the chat must be read by one pager, page after page (no id windows).

        Discussion groups: the comment linker learns thread roots from earlier pages
        and assumes it has seen every id between the first one read and the current.
        """
        return chat.chat_id in self.comments

    def chat_finished(self, chat: ResolvedChat) -> None:
        """Called by the fetcher after a chat's last page: per-chat totals."""
        if self.downloader is not None:
            self.downloader.log_totals(chat.label)

    def _map_page(
        self,
        chat: ResolvedChat,
        response: Any,
        after_id: int,
        since: dt.datetime | None,
        up_to_id: int | None = None,
    ) -> list[Record]:
        """Map one response; keep ids in ``(after_id, up_to_id]`` (dates from ``since``)."""
        peers = PeerIndex.from_response(response.users, response.chats, self.self_id)
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

    async def _enrich(self, chat: ResolvedChat, page: list[Record], raw: list[Any]) -> None:
        """What a page gets beyond the mapping: comment links, downloaded files."""
        if chat.chat_id in self.comments:
            await self.comments[chat.chat_id].annotate(page, raw)
        if self.downloader is not None:
            await self.downloader.page(chat, raw, page)


async def get_history(
    caller: Caller,
    chat: ResolvedChat,
    *,
    offset_id: int = 0,
    offset_date: dt.datetime | None = None,
    add_offset: int = 0,
    limit: int = 1,
) -> Any:
    """One ``messages.getHistory`` request: the one way the tap reads messages.

    Telegram positions the answer at the newest message below ``offset_id`` (or
    before ``offset_date``) and moves ``add_offset`` messages towards older ones
    (core.telegram.org/api/offsets); pages and probes (:mod:`.probes`) differ only in
    these numbers.
    """
    return await caller(
        functions.messages.GetHistoryRequest(
            peer=chat.input_peer,
            offset_id=offset_id,
            offset_date=offset_date,
            add_offset=add_offset,
            limit=limit,
            max_id=0,
            min_id=0,
            hash=0,
        ),
        chat=chat.label,
    )
