"""When a chat's members are listed again, and what the listing leaves in memory.

Listing members costs a request per 200 of them, so a quiet run lists none (issue 18):
a chat is listed when it is first seen, when something the run reads anyway shows its
members changed (the dialog's member count, a join or leave service message among the
messages read), and at the latest every ``participants_refresh_hours``
(:meth:`.refresh.SourceMemory.due_members`). The listing sends each page's hash from
last time, so pages that did not change come back "not modified" (:mod:`.members`).

The source hands this class the message pages on their way out (:meth:`MemberRefresh.watch`
notes the joins) and asks it for a chat's member records
(:meth:`MemberRefresh.records`), which decides, lists and remembers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator

from telethon.tl import types

from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.members import MemberList, fetch_participants
from tap_telegram.sources.mtproto.chats.refresh import FullInfo, SourceMemory
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat, fetch_full
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.mtproto.wire.loop import LoopThread
from tap_telegram.sources.users import UserRegistry

#: Service messages that change a chat's members (``action.type`` of the records).
JOINS = frozenset(
    {"chat_add_user", "chat_delete_user", "chat_joined_by_link", "chat_joined_by_request"}
)


class MemberRefresh:
    """One run's member listings: which chats are due, and listing them."""

    def __init__(
        self,
        memory: Callable[[], SourceMemory],
        chats: Callable[[], list[ResolvedChat]],
        logger: logging.Logger,
    ) -> None:
        #: The run's memory and selected chats, asked for when first needed (the
        #: memory is built once the source recalled what earlier runs kept).
        self._memory = memory
        self._chats = chats
        self._logger = logger
        #: Per chat, the newest join/leave service message read in this run.
        self.joins: dict[int, int] = {}

    def watch(self, chat_id: int, pages: Iterator[list[Record]]) -> Iterator[list[Record]]:
        """``pages`` as they are, noting the newest join/leave message of the chat."""
        try:
            for page in pages:
                joins = [r["id"] for r in page if (r.get("action") or {}).get("type") in JOINS]
                if joins:
                    self.joins[chat_id] = max(self.joins.get(chat_id, 0), *joins)
                yield page
        finally:
            close = getattr(pages, "close", None)
            if close is not None:  # an abandoned chat stops its read-ahead now
                close()

    def records(
        self, chat: ResolvedChat, runner: LoopThread, caller: Caller, users: UserRegistry
    ) -> Iterator[Record]:
        """A chat's member records when its listing is due, and what it leaves in memory.

        Private chats have no listing (:func:`.members.fetch_participants` says so); a
        basic group's members come with its full info, fetched now if the run did not.
        """
        memory = self._memory()
        if isinstance(chat.entity, types.User):
            yield from self._list(chat, MemberList(), runner, caller, users).records
            return
        if chat.chat_id not in self._due:
            self._logger.info(
                "chat %s: participants unchanged since the last listing (listed again when "
                "they change, or after participants_refresh_hours)",
                chat.label,
            )
            return
        if isinstance(chat.entity, types.Chat) and not isinstance(chat.full, types.ChatFull):
            # A basic group's members come with its full info: fetch it now.
            full = runner.run(fetch_full(caller, chat.entity, chat.label, self._logger))
            if full is not None:
                chat.full = full
                memory.remember_full(chat.chat_id, FullInfo.of(full))
        hashes, known = memory.member_hashes(chat.chat_id)
        listed = self._list(chat, MemberList(count=known, hashes=hashes), runner, caller, users)
        top = max(chat.top_message or 0, self.joins.get(chat.chat_id, 0))
        memory.remember_members(
            chat.chat_id, listed.count, listed.hashes, top=top, listable=listed.listable
        )
        yield from listed.records

    @functools.cached_property
    def _due(self) -> set[int]:
        """The chats whose members are listed in this run, decided at the first of them.

        By then the messages are read: their joins and leaves count (:mod:`.refresh`).
        """
        return self._memory().due_members(
            (
                chat.chat_id,
                getattr(chat.entity, "participants_count", None),
                self.joins.get(chat.chat_id, 0),
            )
            for chat in self._chats()
            if not isinstance(chat.entity, types.User)
        )

    def _list(
        self,
        chat: ResolvedChat,
        known: MemberList,
        runner: LoopThread,
        caller: Caller,
        users: UserRegistry,
    ) -> MemberList:
        """One chat's members (through the takeout when there is one)."""
        return runner.run(
            fetch_participants(caller.client, caller, chat, users, self._logger, known=known)
        )
