"""MTProto reads for the ``admin_log`` stream: ``channels.getAdminLog``, after a bookmark.

Telegram keeps a channel's or supergroup's admin log for 48 hours and shows it to its
admins only (core.telegram.org/api/recent-actions). ``getAdminLog`` answers newest
first, at most 100 events a call, with ``min_id`` / ``max_id`` bounding the event ids
(exclusive). So a chat is read from its newest event down to the bookmark
(``min_id`` = bookmark, then ``max_id`` = the oldest id of the previous answer), and
the events are handed out oldest first, in pages of :data:`PAGE`, for the stream to
checkpoint after each. A quiet chat costs one request (an empty answer).

Chats where the account is neither creator nor admin are skipped without a request:
the channel object of the dialogs says so (``creator``, ``admin_rights``). A
``CHAT_ADMIN_REQUIRED`` nonetheless (rights taken away meanwhile) skips the chat too.
Each skip is one log line, never an error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from typing import Any

from telethon import functions
from telethon.tl import types

from tap_telegram.records.types import AdminEventRecord, plain
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.members import admin_optional
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.mapping.admin_log import map_event
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_user
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.users import UserRegistry

#: Events per ``getAdminLog`` call (Telegram's most) and per page handed to the stream.
PAGE = 100


def is_admin(entity: Any) -> bool:
    """Whether the account may read a chat's admin log and statistics (creator or admin).

    Read from the channel object the dialogs already sent: no request.
    """
    return isinstance(entity, types.Channel) and bool(entity.creator or entity.admin_rights)


def admin_only_skip(chat: ResolvedChat, stream: str, logger: logging.Logger) -> bool:
    """Log the one line that says why ``stream`` skips a chat; ``False``: it does not."""
    entity = chat.entity
    if not isinstance(entity, types.Channel):
        reason = "only channels and supergroups have one"
    elif not is_admin(entity):
        reason = "the account is not an admin of this chat"
    else:
        return False
    logger.info("chat %s: %s skipped: %s", chat.label, stream, reason)
    return True


async def read_admin_log(
    caller: Caller,
    chat: ResolvedChat,
    after_id: int,
    users: UserRegistry,
    logger: logging.Logger,
    *,
    self_id: int | None,
) -> list[Record] | None:
    """Every event of the chat's log with an id above ``after_id``, oldest first.

    ``None`` when Telegram refuses (CHAT_ADMIN_REQUIRED): the chat is skipped, one line.
    """
    input_channel = types.InputChannel(chat.entity.id, chat.entity.access_hash or 0)
    records: dict[int, AdminEventRecord] = {}
    max_id = 0
    while True:
        request = functions.channels.GetAdminLogRequest(
            channel=input_channel, q="", max_id=max_id, min_id=after_id, limit=PAGE
        )
        response = await caller.call(
            functools.partial(admin_optional, caller.client, request),
            chat=chat.label,
            what="GetAdminLogRequest",
        )
        if response is None:
            logger.info(
                "chat %s: admin_log skipped: Telegram shows the admin log to admins only "
                "(CHAT_ADMIN_REQUIRED)",
                chat.label,
            )
            return None
        peers = PeerIndex.from_response(response.users, response.chats, self_id)
        fresh = [
            event
            for event in response.events
            if event.id > after_id and (not max_id or event.id < max_id) and event.id not in records
        ]
        for event in fresh:
            records[event.id] = map_event(event, chat.chat_id, peers)
            actor = peers.get(int(event.user_id))
            if isinstance(actor, types.User):
                users.add(plain(map_user(actor)))
        if not fresh or len(response.events) < PAGE:
            break
        max_id = min(event.id for event in fresh)
    return [plain(records[event_id]) for event_id in sorted(records)]


def pages(records: list[Record]) -> Iterator[list[Record]]:
    """``records`` in pages of :data:`PAGE` (a page is the stream's unit of progress)."""
    for start in range(0, len(records), PAGE):
        yield records[start : start + PAGE]
