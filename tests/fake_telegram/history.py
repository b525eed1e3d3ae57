"""Telegram's paging semantics for history, in O(page + log N) (dialogs: :mod:`.dialogs`).

``messages.getHistory`` (as documented at core.telegram.org/api/offsets and as
Telethon's iterators rely on it):

1. Messages are ordered newest first.
2. The *position* is the index of the first message with ``id < offset_id``; when
   ``offset_id`` is 0, of the first with ``date < offset_date``; when both are 0,
   the newest message (position 0).
3. The window is ``[position + add_offset, position + add_offset + limit)``, cut to
   the existing messages (a negative ``add_offset`` moves towards newer messages;
   near the newest end the window shrinks rather than slides). ``limit`` is capped
   at 100.
4. Then only ``min_id < id < max_id`` are kept (each bound only when non-zero).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from telethon.tl import types

from tests.fake_telegram.hashing import to_ts
from tests.fake_telegram.peers import entities_tl
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.world import World

MAX_LIMIT = 100


def history_window(
    chat: ChatRecord,
    *,
    offset_id: int = 0,
    offset_date: dt.datetime | None = None,
    add_offset: int = 0,
    limit: int = MAX_LIMIT,
    max_id: int = 0,
    min_id: int = 0,
) -> tuple[list[int], bool]:
    """Message numbers of one getHistory page (newest first) and whether it is complete.

    "Complete" means the window covered the whole history (``messages.Messages``
    rather than a slice, for chats that are not channels).
    """
    total = chat.total
    if offset_id:
        position = total - chat.existing_below(chat.first_n_with_id_at_least(offset_id))
    elif offset_date is not None and to_ts(offset_date) > 0:
        position = total - chat.existing_below(chat.first_n_with_ts_at_least(to_ts(offset_date)))
    else:
        position = 0
    limit = min(max(limit, 0), MAX_LIMIT)
    start = position + add_offset
    end = start + limit
    complete = start <= 0 and end >= total
    start, end = max(start, 0), min(end, total)
    if end <= start:
        return [], complete
    numbers = chat.existing_from(chat.nth_existing(total - end), end - start)
    numbers.reverse()
    if min_id or max_id:
        numbers = [
            n
            for n in numbers
            if (not min_id or chat.id_of(n) > min_id) and (not max_id or chat.id_of(n) < max_id)
        ]
    return numbers, complete


def message_refs(message: Any, users: list[int], peers: list[int]) -> None:
    """Add the user ids and chat marked ids a message references to the lists."""
    for peer in (message.peer_id, message.from_id, getattr(message.fwd_from, "from_id", None)):
        if isinstance(peer, types.PeerUser):
            users.append(peer.user_id)
        elif isinstance(peer, types.PeerChat):
            peers.append(-peer.chat_id)
        elif isinstance(peer, types.PeerChannel):
            peers.append(-(10**12 + peer.channel_id))
    via = getattr(message, "via_bot_id", None)
    if via:
        users.append(via)
    action = getattr(message, "action", None)
    if action is not None:
        users.extend(getattr(action, "users", None) or ())
        for field in ("user_id", "inviter_id"):
            value = getattr(action, field, None)
            if value:
                users.append(value)
    for entity in getattr(message, "entities", None) or ():
        if isinstance(entity, types.MessageEntityMentionName):
            users.append(entity.user_id)
    replies = getattr(message, "replies", None)
    if replies is not None and replies.channel_id:
        peers.append(-(10**12 + replies.channel_id))


def with_entities(
    world: World, messages: Iterable[Any], *, bot_session: bool = False
) -> tuple[list[Any], list[Any]]:
    """``(users, chats)`` vectors referenced by some messages."""
    users: list[int] = []
    peers: list[int] = []
    for message in messages:
        message_refs(message, users, peers)
    return entities_tl(world, users, peers, bot_session=bot_session)


def history_response(
    world: World,
    chat: ChatRecord,
    numbers: list[int],
    complete: bool,
    *,
    bot_session: bool = False,
) -> Any:
    """``messages.ChannelMessages`` / ``MessagesSlice`` / ``Messages`` for a page."""
    messages = [world.factory.build(chat, n) for n in numbers]
    users, chats = with_entities(world, messages, bot_session=bot_session)
    if chat.is_channel:
        topics = forum_topics(world, chat, {world.factory.topic_of(chat, n) for n in numbers})
        return types.messages.ChannelMessages(
            pts=chat.pts,
            count=chat.total,
            messages=messages,
            topics=topics,
            chats=chats,
            users=users,
        )
    if complete:
        return types.messages.Messages(messages=messages, topics=[], chats=chats, users=users)
    return types.messages.MessagesSlice(
        count=chat.total, messages=messages, topics=[], chats=chats, users=users
    )


def forum_topics(world: World, chat: ChatRecord, topic_ids: Iterable[int]) -> list[Any]:
    """``ForumTopic`` objects (newest message of each found by scanning back)."""
    if chat.kind != "forum":
        return []
    wanted = sorted({t for t in topic_ids if 1 <= t <= len(chat.topics) + 1}, reverse=True)
    tops: dict[int, int] = {}
    for scanned, n in enumerate(chat.existing_desc(chat.count)):
        tops.setdefault(world.factory.topic_of(chat, n), n)
        if all(t in tops for t in wanted) or scanned >= 10_000:
            break
    out: list[Any] = []
    me = types.PeerUser(world.self_user.id)
    for topic_id in wanted:
        title = "General" if topic_id == 1 else chat.topics[topic_id - 2].title
        color = 0x6FB9F0 if topic_id == 1 else chat.topics[topic_id - 2].icon_color
        top = tops.get(topic_id, 0)
        record = chat.topics[topic_id - 2] if topic_id > 1 else None
        out.append(
            types.ForumTopic(
                id=topic_id,
                date=chat.date_of(topic_id),
                peer=world.peer(chat),
                title=title,
                icon_color=color,
                top_message=chat.id_of(top) if top else topic_id,
                read_inbox_max_id=0,
                read_outbox_max_id=0,
                unread_count=0,
                unread_mentions_count=0,
                unread_reactions_count=0,
                unread_poll_votes_count=0,
                from_id=me,
                notify_settings=types.PeerNotifySettings(),
                closed=bool(record and record.closed) or None,
                pinned=bool(record and record.pinned) or None,
            )
        )
    return out
