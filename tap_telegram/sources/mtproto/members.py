"""MTProto reads for the ``topics`` and ``participants`` streams.

Kept apart from history paging (:mod:`.history`): these are small, separate
requests that run once per chat and return whole lists.

* Topics: ``messages.getForumTopics`` paged by ``(offset_date, offset_id,
  offset_topic)`` of the last topic of a page, until a page adds nothing.
* Participants: ``channels.getParticipants`` (paged, 200 a page) for supergroups,
  forums and channels; the participant list in ``messages.getFullChat`` for basic
  groups; nothing for private chats. Where Telegram only lets admins list members
  (CHAT_ADMIN_REQUIRED, broadcast channels) the chat is skipped with a log line
  naming it, not failed: its messages were readable and are kept.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from telethon import TelegramClient, errors, functions
from telethon.tl import types

from tap_telegram.sources.base import Record, UserRegistry
from tap_telegram.sources.mtproto.calls import Caller
from tap_telegram.sources.mtproto.chats import ResolvedChat
from tap_telegram.sources.mtproto.mapping.members import map_participant, map_topic
from tap_telegram.sources.mtproto.mapping.messages import map_user

TOPICS_PAGE = 100
PARTICIPANTS_PAGE = 200


async def fetch_topics(caller: Caller, chat: ResolvedChat) -> list[Record]:
    """Every topic of a forum (newest first, as Telegram lists them); ``[]`` elsewhere."""
    if not getattr(chat.entity, "forum", False):
        return []
    records: list[Record] = []
    seen: set[int] = set()
    offset_date: Any = None
    offset_id = offset_topic = 0
    while True:
        response = await caller(
            functions.messages.GetForumTopicsRequest(
                peer=chat.input_peer,
                offset_date=offset_date,
                offset_id=offset_id,
                offset_topic=offset_topic,
                limit=TOPICS_PAGE,
            ),
            chat=chat.label,
        )
        new = [topic for topic in response.topics if topic.id not in seen]
        if not new:
            break
        for topic in new:
            seen.add(topic.id)
            record = map_topic(topic, chat.chat_id)
            if record is not None:
                records.append(record)
        # Telegram pages by the last topic's newest message (date, id) and the topic id.
        last = new[-1]
        offset_topic = last.id
        offset_id = getattr(last, "top_message", 0)
        dates = {m.id: m.date for m in response.messages if getattr(m, "date", None)}
        offset_date = dates.get(offset_id, getattr(last, "date", None))
        if len(seen) >= response.count:
            break
    return records


async def fetch_participants(
    client: TelegramClient,
    caller: Caller,
    chat: ResolvedChat,
    users: UserRegistry,
    logger: logging.Logger,
) -> list[Record]:
    """Members of one chat with role, join date and inviter; ``[]`` when not listable."""
    entity = chat.entity
    if isinstance(entity, types.User):
        logger.info("chat %s: participants skipped: a private chat has no member list", chat.label)
        return []
    if isinstance(entity, types.Chat):
        return _basic_group(chat, logger)
    if not isinstance(entity, types.Channel):
        logger.info("chat %s: participants skipped: the chat is not accessible", chat.label)
        return []
    records = await _channel_members(client, caller, chat, users)
    if records is None:
        logger.info(
            "chat %s: participants skipped: Telegram lets only admins list the members "
            "of this chat (CHAT_ADMIN_REQUIRED)",
            chat.label,
        )
        return []
    logger.info("chat %s: %d participants", chat.label, len(records))
    return records


async def _channel_members(
    client: TelegramClient, caller: Caller, chat: ResolvedChat, users: UserRegistry
) -> list[Record] | None:
    """Members of a supergroup or channel, page after page; ``None``: admins only.

    Pages end when one adds no new member or the offset reaches Telegram's count.
    """
    entity = chat.entity
    records: list[Record] = []
    seen: set[int] = set()
    offset = 0
    input_channel = types.InputChannel(entity.id, entity.access_hash or 0)
    while True:
        request = functions.channels.GetParticipantsRequest(
            channel=input_channel,
            filter=types.ChannelParticipantsRecent(),
            offset=offset,
            limit=PARTICIPANTS_PAGE,
            hash=0,
        )
        response = await caller.call(
            functools.partial(_admin_optional, client, request),
            chat=chat.label,
            what="GetParticipantsRequest",
        )
        if response is None:
            return None
        if not isinstance(response, types.channels.ChannelParticipants):
            break
        for user in response.users:
            if isinstance(user, types.User):
                users.add(map_user(user))
        page = [map_participant(p, chat.chat_id) for p in response.participants]
        fresh = [r for r in page if r["user_id"] not in seen]
        if not fresh:
            break
        seen.update(r["user_id"] for r in fresh)
        records.extend(fresh)
        offset += len(response.participants)
        if offset >= response.count:
            break
    return records


async def _admin_optional(client: TelegramClient, request: Any) -> Any:
    """Send ``request``; ``None`` when Telegram answers CHAT_ADMIN_REQUIRED."""
    try:
        return await client(request)
    except errors.ChatAdminRequiredError:
        return None


def _basic_group(chat: ResolvedChat, logger: logging.Logger) -> list[Record]:
    """Basic groups list their members in the full chat info the tap already has."""
    participants = getattr(chat.full, "participants", None)
    if not isinstance(participants, types.ChatParticipants):
        logger.info(
            "chat %s: participants skipped: Telegram did not share the member list",
            chat.label,
        )
        return []
    records = [map_participant(p, chat.chat_id) for p in participants.participants]
    logger.info("chat %s: %d participants", chat.label, len(records))
    return records
