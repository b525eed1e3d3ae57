"""The history primitive: one chat's messages in an id range, as mapped pages.

:meth:`HistoryReader.pages` is how the fetcher (:mod:`.history.fetch`) reads a chat page after
page; :meth:`HistoryReader.page` and :meth:`HistoryReader.newest` are single pages, what
the parallel lanes (:mod:`.history.lanes`) are made of; :func:`get_history` is the one request
behind them and the probes. It
sends raw ``messages.getHistory`` requests rather than ``iter_messages``: the tap
chooses the page size, never sleeps between pages (Telethon sleeps 1 s per page on
long iterations), checkpoints per page, and runs several pagers (chats, lanes)
on the same loop under one rate budget.

A page is mapped (:mod:`.mapping.messages`), its senders registered for the ``users``
stream, and enriched before it is handed on: comment links (:mod:`.chats.comments`) and
downloaded files (:mod:`.downloads.media`). Everything here runs on the source's event loop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from telethon import functions
from telethon.tl import types

from tap_telegram.records.types import plain
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.comments import CommentLinker
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.downloads.media import MediaDownloader
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_message, map_user
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.users import UserRegistry


@dataclasses.dataclass(frozen=True)
class Page:
    """One ``getHistory`` answer: its records and what it says about the ids around them.

    A page read upwards from ``after`` holds the ``page_size`` oldest messages above
    it, so it *covers* ``(after, top]``: every message in between is in it, whatever
    the gaps. A short page does not prove the end of the chat (Telethon notes that
    some channels withhold messages); only an empty one does.
    """

    #: Mapped and enriched records (ids above the reader's ``after``, oldest first).
    records: list[Record]
    #: Highest and lowest message id of the answer before any filter (0 when empty).
    top: int
    low: int
    #: Messages in the answer before any filter.
    count: int
    #: Messages in the whole chat, as the answer says (``count``, or those it holds).
    total: int
    #: The answer is the chat's whole history (``messages.Messages``; never for channels).
    complete: bool


@dataclasses.dataclass(frozen=True)
class _Answer:
    """What :meth:`HistoryReader._map_page` reads of an answer, for messages from elsewhere."""

    messages: list[Any]
    users: list[Any]
    chats: list[Any]


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

        One :meth:`page` per page, no sleeps, until ``up_to_id`` or an empty answer (a
        complete ``messages.Messages`` answer ends it too). Pages are never empty;
        ``since`` drops older messages.
        """
        while up_to_id is None or after_id < up_to_id:
            page = await self.page(chat, after_id, since, up_to_id)
            if page.records:
                yield page.records
            if page.top <= after_id or page.complete:
                return  # nothing newer than after_id
            # Continue after everything this response covered (even if all filtered out).
            after_id = page.top

    async def page(
        self,
        chat: ResolvedChat,
        after_id: int,
        since: dt.datetime | None = None,
        up_to_id: int | None = None,
    ) -> Page:
        """One request: the ``page_size`` oldest messages above ``after_id``.

        ``offset_id=after+1, add_offset=-limit`` (core.telegram.org/api/offsets): the
        answer covers ``(after_id, page.top]``. Records above ``up_to_id`` are dropped.
        """
        limit = self.page_size
        return await self._read(
            chat, after_id, up_to_id, since, offset_id=after_id + 1, add_offset=-limit
        )

    async def newest(
        self, chat: ResolvedChat, after_id: int, since: dt.datetime | None = None
    ) -> Page:
        """One request: the chat's ``page_size`` newest messages (records above ``after_id``).

        What the fetcher asks first when it does not know a channel's newest id: the
        answer says it, and is the chat's last page rather than a wasted probe.
        """
        return await self._read(chat, after_id, None, since, offset_id=0, add_offset=0)

    async def _read(
        self,
        chat: ResolvedChat,
        after_id: int,
        up_to_id: int | None,
        since: dt.datetime | None,
        *,
        offset_id: int,
        add_offset: int,
    ) -> Page:
        """Send one ``getHistory``; map, register and enrich what it returned."""
        response = await get_history(
            self.caller,
            chat,
            offset_id=offset_id,
            add_offset=add_offset,
            limit=self.page_size,
        )
        ids = [message.id for message in response.messages]
        records = self._map_page(chat, response, after_id, since, up_to_id)
        if records:
            await self._enrich(chat, records, response.messages)
        return Page(
            records,
            max(ids, default=0),
            min(ids, default=0),
            len(ids),
            getattr(response, "count", len(ids)),
            isinstance(response, types.messages.Messages),
        )

    def in_order(self, chat: ResolvedChat) -> bool:
        """Whether the chat must be read by one pager, page after page (no parallel lanes).

        Discussion groups: the comment linker learns thread roots from earlier pages
        and assumes it has seen every id between the first one read and the current.
        """
        return chat.chat_id in self.comments

    def chat_finished(self, chat: ResolvedChat) -> None:
        """Called by the fetcher after a chat's last page: per-chat totals."""
        if self.downloader is not None:
            self.downloader.log_totals(chat.label)

    async def records_of(
        self, chat: ResolvedChat, messages: list[Any], users: list[Any], chats: list[Any]
    ) -> list[Record]:
        """Messages that did not come from ``getHistory`` (an update log's edits), as records.

        Mapped, registered and enriched exactly like a history page, ascending by id.
        """
        answer = _Answer(messages=messages, users=users, chats=chats)
        records = self._map_page(chat, answer, after_id=-(2**63), since=None)
        if records:
            await self._enrich(chat, records, messages)
        return records

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
        # The chat itself, when a response leaves it out: its username and forum flag
        # make each record's ``link`` and ``topic_id``.
        peers.entities.setdefault(chat.chat_id, chat.entity)
        records = []
        for message in response.messages:
            if message.id <= after_id or (up_to_id is not None and message.id > up_to_id):
                continue
            mapped = map_message(message, chat.chat_id, peers)
            if mapped is None:
                continue
            record = plain(mapped)
            if since is not None and record["date"] < since:
                continue
            records.append(record)
        records.sort(key=lambda record: record["id"])
        # Each sender once per page (a page has ~100 messages but few senders).
        senders = {r["sender_id"] for r in records if r["sender_type"] == "user"}
        for sender_id in sorted(senders):
            user = peers.get(sender_id)
            if isinstance(user, types.User):
                self.users.add(plain(map_user(user)))
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
    (core.telegram.org/api/offsets); pages and probes (:mod:`.history.probes`) differ only in
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
