"""MTProto reads for the ``topics`` and ``participants`` streams.

Kept apart from history paging (:mod:`.history.reader`): these are small, separate
requests that run once per chat and return whole lists.

* Topics: ``messages.getForumTopics`` paged by ``(offset_date, offset_id,
  offset_topic)`` of the last topic of a page, until a page adds nothing.
* Participants: ``channels.getParticipants`` (paged, 200 a page) for supergroups,
  forums and channels, each page sent with the hash of what it held last time, so
  that unchanged pages come back "not modified" (``channelParticipantsNotModified``)
  and add no records; the participant list in ``messages.getFullChat`` for basic
  groups; nothing for private chats. When to list again is the source's decision
  (:mod:`.chats.refresh`). Where Telegram only lets admins list members
  (CHAT_ADMIN_REQUIRED, broadcast channels) the chat is skipped with a log line
  naming it, not failed: its messages were readable and are kept.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterable
from typing import Any

from telethon import TelegramClient, errors, functions
from telethon.tl import types

from tap_telegram.records.types import TopicRecord, plain, plain_list
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.mapping.members import map_participant, map_topic
from tap_telegram.sources.mtproto.mapping.messages import map_user
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.users import UserRegistry

TOPICS_PAGE = 100
PARTICIPANTS_PAGE = 200
MASK64 = (1 << 64) - 1


async def fetch_topics(caller: Caller, chat: ResolvedChat) -> list[Record]:
    """Every topic of a forum (newest first, as Telegram lists them); ``[]`` elsewhere."""
    if not getattr(chat.entity, "forum", False):
        return []
    records: list[TopicRecord] = []
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
    return plain_list(records)


@dataclasses.dataclass
class MemberList:
    """What listing a chat's members gave: records, Telegram's count and page hashes."""

    records: list[Record] = dataclasses.field(default_factory=list)
    #: Members Telegram counts (``None``: unknown, e.g. nothing could be listed).
    count: int | None = None
    #: Per page of :data:`PARTICIPANTS_PAGE`, the hash of its member ids: sent next
    #: time, Telegram answers "not modified" for a page that did not change.
    hashes: list[int] = dataclasses.field(default_factory=list)
    #: False when only admins may list the members (CHAT_ADMIN_REQUIRED).
    listable: bool = True


def member_hash(user_ids: Iterable[int]) -> int:
    """Telegram's hash of a list of ids (core.telegram.org/api/offsets, "Hash generation").

    Unsigned 64-bit arithmetic, read as a signed ``long``; ``channels.getParticipants``
    takes it over the user ids of the page the client already has.
    """
    value = 0
    for user_id in user_ids:
        value ^= value >> 21
        value = (value ^ (value << 35)) & MASK64
        value ^= value >> 4
        value = (value + (user_id & MASK64)) & MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


async def fetch_participants(
    client: TelegramClient,
    caller: Caller,
    chat: ResolvedChat,
    users: UserRegistry,
    logger: logging.Logger,
    *,
    known: MemberList | None = None,
) -> MemberList:
    """Members of one chat with role, join date and inviter (none when not listable).

    ``known`` is what the last listing gave (its hashes and count): pages that did not
    change since are answered "not modified" by Telegram and yield no records.
    """
    entity = chat.entity
    if isinstance(entity, types.User):
        logger.info("chat %s: participants skipped: a private chat has no member list", chat.label)
        return MemberList()
    if isinstance(entity, types.Chat):
        return _basic_group(chat, logger)
    if not isinstance(entity, types.Channel):
        logger.info("chat %s: participants skipped: the chat is not accessible", chat.label)
        return MemberList()
    listed = await _channel_members(client, caller, chat, users, known or MemberList())
    if not listed.listable:
        logger.info(
            "chat %s: participants skipped: Telegram lets only admins list the members "
            "of this chat (CHAT_ADMIN_REQUIRED)",
            chat.label,
        )
        return listed
    logger.info(
        "chat %s: %d participants (%d listed, the others unchanged)",
        chat.label,
        listed.count or 0,
        len(listed.records),
    )
    return listed


async def _channel_members(
    client: TelegramClient,
    caller: Caller,
    chat: ResolvedChat,
    users: UserRegistry,
    known: MemberList,
) -> MemberList:
    """Members of a supergroup or channel, page after page, each page with its last hash.

    Pages end when one adds no new member or the offset reaches Telegram's count; a
    page answered "not modified" keeps its hash and counts as a full page, up to the
    count known from last time.
    """
    entity = chat.entity
    listed = MemberList(count=known.count)
    seen: set[int] = set()
    input_channel = types.InputChannel(entity.id, entity.access_hash or 0)
    while True:
        index = len(listed.hashes)
        previous = known.hashes[index] if index < len(known.hashes) else 0
        request = functions.channels.GetParticipantsRequest(
            channel=input_channel,
            filter=types.ChannelParticipantsRecent(),
            offset=index * PARTICIPANTS_PAGE,
            limit=PARTICIPANTS_PAGE,
            hash=previous,
        )
        response = await caller.call(
            functools.partial(admin_optional, client, request),
            chat=chat.label,
            what="GetParticipantsRequest",
        )
        if response is None:
            return MemberList(listable=False)
        if isinstance(response, types.channels.ChannelParticipantsNotModified):
            listed.hashes.append(previous)
            if (index + 1) * PARTICIPANTS_PAGE >= (known.count or 0):
                break
            continue
        if not isinstance(response, types.channels.ChannelParticipants):
            break
        for user in response.users:
            if isinstance(user, types.User):
                users.add(plain(map_user(user)))
        page = [map_participant(p, chat.chat_id) for p in response.participants]
        fresh = [r for r in page if r["user_id"] not in seen]
        listed.count = response.count
        if not fresh:
            break
        listed.hashes.append(member_hash(r["user_id"] for r in page))
        seen.update(r["user_id"] for r in fresh)
        listed.records.extend(plain_list(fresh))
        if (index + 1) * PARTICIPANTS_PAGE >= response.count or len(page) < PARTICIPANTS_PAGE:
            break
    return listed


async def admin_optional(client: TelegramClient, request: Any) -> Any:
    """Send ``request``; ``None`` when Telegram answers CHAT_ADMIN_REQUIRED."""
    try:
        return await client(request)
    except errors.ChatAdminRequiredError:
        return None


def _basic_group(chat: ResolvedChat, logger: logging.Logger) -> MemberList:
    """Basic groups list their members in their full info (fetched this run)."""
    participants = getattr(chat.full, "participants", None)
    if not isinstance(participants, types.ChatParticipants):
        logger.info(
            "chat %s: participants skipped: Telegram did not share the member list",
            chat.label,
        )
        return MemberList()
    records = [map_participant(p, chat.chat_id) for p in participants.participants]
    logger.info("chat %s: %d participants", chat.label, len(records))
    return MemberList(records=plain_list(records), count=len(records))
