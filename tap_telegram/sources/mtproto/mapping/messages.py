"""Pure functions from Telethon's raw TL objects to records.

No network and no client here: a history page (``messages.Messages`` and friends)
carries the messages plus the users and chats they reference, and that is all these
functions look at. Each record field comes from exactly one function below, so "where
does ``sender_name`` come from" has a one-hop answer. Nested objects (entities,
reactions, forwards, actions, media) are spelled by the builders of
:mod:`tap_telegram.records`; marked ids come from :mod:`tap_telegram.records.ids`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from telethon import utils
from telethon.tl import types

from tap_telegram.records import builders, ids, links
from tap_telegram.records.constants import GENERAL_TOPIC_ID, UTC
from tap_telegram.records.schemas import empty_chat, empty_message, empty_user
from tap_telegram.sources.mtproto.mapping.media import map_media, snake_case, tl_to_json

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ActionRecord,
        ChatRecord,
        EntityRecord,
        ForwardRecord,
        MessageRecord,
        ReactionRecord,
        UserRecord,
    )

# Telethon's TL objects carry no types (the package has no ``py.typed``): they enter
# as ``Any`` and leave as the typed records of :mod:`tap_telegram.records.types`.

Entity = types.User | types.Chat | types.Channel | types.ChatForbidden | types.ChannelForbidden


@dataclasses.dataclass
class PeerIndex:
    """Users and chats of one response, by marked id; plus who "me" is."""

    entities: dict[int, Any] = dataclasses.field(default_factory=dict)
    self_id: int | None = None

    @classmethod
    def from_response(
        cls, users: Iterable[Any], chats: Iterable[Any], self_id: int | None
    ) -> PeerIndex:
        """Index the ``users`` and ``chats`` vectors of a response."""
        index = cls(self_id=self_id)
        for entity in (*users, *chats):
            if isinstance(entity, (types.UserEmpty, types.ChatEmpty)):
                continue
            index.entities[peer_id(entity)] = entity
        return index

    def get(self, marked_id: int | None) -> Any | None:
        """The entity with this marked id, when the response included it."""
        return None if marked_id is None else self.entities.get(marked_id)


#: Peer and entity classes → (peer kind, attribute holding the bare id).
PEER_CLASSES: dict[type, tuple[str, str]] = {
    types.PeerUser: ("user", "user_id"),
    types.PeerChat: ("chat", "chat_id"),
    types.PeerChannel: ("channel", "channel_id"),
    types.User: ("user", "id"),
    types.UserEmpty: ("user", "id"),
    types.Chat: ("chat", "id"),
    types.ChatForbidden: ("chat", "id"),
    types.ChatEmpty: ("chat", "id"),
    types.Channel: ("channel", "id"),
    types.ChannelForbidden: ("channel", "id"),
}


def _peer_class(peer: Any) -> tuple[str, str] | None:
    """The :data:`PEER_CLASSES` entry of ``peer`` (by exact class first: the fast path)."""
    known = PEER_CLASSES.get(type(peer))
    if known is None and peer is not None:
        known = next((item for cls, item in PEER_CLASSES.items() if isinstance(peer, cls)), None)
    return known


def peer_type(peer: Any) -> str | None:
    """``user``, ``chat`` or ``channel`` for a Peer (or entity); ``None`` for None."""
    known = _peer_class(peer)
    return known[0] if known is not None else None


def peer_id(peer: Any) -> int:
    """The marked id of a Peer or entity.

    Peers and entities go through :func:`tap_telegram.records.ids.marked_id`, the one
    rule all sources share; anything else Telethon accepts (input peers, dialogs)
    through Telethon's ``get_peer_id``.
    """
    known = _peer_class(peer)
    if known is None:
        return int(utils.get_peer_id(peer))
    kind, attribute = known
    return ids.marked_id(kind, getattr(peer, attribute))


def marked_id(peer: Any) -> int | None:
    """:func:`peer_id`, with ``None`` (no peer) staying ``None``."""
    return None if peer is None else peer_id(peer)


def chat_type(entity: Any) -> str:
    """The tap's chat kind: user, group, supergroup or channel."""
    if isinstance(entity, (types.User, types.UserEmpty)):
        return "user"
    if isinstance(entity, (types.Chat, types.ChatForbidden, types.ChatEmpty)):
        return "group"
    if isinstance(entity, types.Channel) and entity.megagroup:
        return "supergroup"
    if isinstance(entity, types.ChannelForbidden) and entity.megagroup:
        return "supergroup"
    return "channel"


def display_name(entity: Any) -> str | None:
    """A user's "first last" or a chat's title."""
    if entity is None:
        return None
    if isinstance(entity, types.User):
        name = " ".join(part for part in (entity.first_name, entity.last_name) if part)
        return name or None
    return getattr(entity, "title", None) or None


def username_of(entity: Any) -> str | None:
    """The main username (first active one when only ``usernames`` is set)."""
    if entity is None:
        return None
    name = getattr(entity, "username", None)
    if name:
        return str(name)
    for item in getattr(entity, "usernames", None) or []:
        if getattr(item, "active", False):
            return str(item.username)
    return None


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Telethon dates are aware UTC already; naive ones are taken as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sender_peer(message: Any, chat_peer: Any, self_id: int | None) -> tuple[int | None, str | None]:
    """Who sent a message, as (marked id, type), following Telethon's own rule.

    ``from_id`` is absent on channel posts (the channel is the sender) and on
    incoming private messages (the other user is); an outgoing message without it
    was sent by the account itself.
    """
    if message.from_id is not None:
        return marked_id(message.from_id), peer_type(message.from_id)
    if getattr(message, "post", False) or (
        not message.out and isinstance(chat_peer, types.PeerUser)
    ):
        return marked_id(chat_peer), peer_type(chat_peer)
    if message.out and self_id is not None:
        return self_id, "user"
    return None, None


def map_entities(entities: Iterable[Any] | None) -> list[EntityRecord] | None:
    """Message entities as ``{type, offset, length, url, user_id, ...}`` dicts."""
    if not entities:
        return None
    out: list[EntityRecord] = []
    for entity in entities:
        kind = snake_case(type(entity).__name__.removeprefix("Input").removeprefix("MessageEntity"))
        user_id = getattr(entity, "user_id", None)  # an InputUser on InputMessageEntity*
        out.append(
            builders.entity(
                kind,
                entity.offset,
                entity.length,
                url=getattr(entity, "url", None),
                user_id=user_id if isinstance(user_id, int) else None,
                language=getattr(entity, "language", None),
                custom_emoji_id=getattr(entity, "document_id", None),
            )
        )
    return out


def map_reactions(reactions: Any) -> list[ReactionRecord] | None:
    """Reaction counts: standard emoji, custom emoji (by document id) or paid."""
    if reactions is None or not getattr(reactions, "results", None):
        return None
    out: list[ReactionRecord] = []
    for result in reactions.results:
        reaction = result.reaction
        custom = isinstance(reaction, types.ReactionCustomEmoji)
        out.append(
            builders.reaction(
                result.count,
                emoji=getattr(reaction, "emoticon", None),
                custom_emoji_id=reaction.document_id if custom else None,
                paid=type(reaction).__name__ == "ReactionPaid",
            )
        )
    return out


def map_forward(header: Any) -> ForwardRecord | None:
    """The ``fwd_from`` header of a forwarded message."""
    if header is None:
        return None
    return builders.forward(
        from_id=marked_id(header.from_id),
        from_type=peer_type(header.from_id),
        from_name=header.from_name,
        date=utc(header.date),
        channel_post=header.channel_post,
        post_author=header.post_author,
    )


def map_action(action: Any) -> ActionRecord:
    """A service message's action: snake_case type plus its own fields."""
    name = type(action).__name__.removeprefix("MessageAction")
    details = tl_to_json(action)
    assert isinstance(details, dict)
    details.pop("_", None)
    return builders.action(snake_case(name), details)


def topic_id(message: Any, chat: Any) -> int | None:
    """The forum topic of a message; ``None`` outside forums.

    Telegram's rule (as tdlib applies it): a reply header flagged ``forum_topic``
    names the topic in ``reply_to_top_id`` (replies) or ``reply_to_msg_id`` (the
    first level of a topic); the service message that created a topic *is* the
    topic; everything else belongs to General, whose id is 1.
    """
    if not getattr(chat, "forum", False):
        return None
    reply = message.reply_to
    if isinstance(reply, types.MessageReplyHeader) and reply.forum_topic:
        return int(reply.reply_to_top_id or reply.reply_to_msg_id)
    if isinstance(message, types.MessageService) and isinstance(
        message.action, types.MessageActionTopicCreate
    ):
        return int(message.id)
    return GENERAL_TOPIC_ID


def map_message(message: Any, chat_id: int, peers: PeerIndex) -> MessageRecord | None:
    """One history message → a ``messages`` record (``None`` for MessageEmpty)."""
    if not isinstance(message, (types.Message, types.MessageService)):
        return None
    record = empty_message(chat_id, message.id)
    record["date"] = utc(message.date)
    sender_id, sender_kind = sender_peer(message, message.peer_id, peers.self_id)
    sender = peers.get(sender_id)
    record["sender_id"] = sender_id
    record["sender_type"] = sender_kind
    record["sender_name"] = display_name(sender)
    record["sender_username"] = username_of(sender)
    reply = message.reply_to
    if isinstance(reply, types.MessageReplyHeader):
        record["reply_to_msg_id"] = reply.reply_to_msg_id
        record["reply_to_top_id"] = reply.reply_to_top_id
    chat = peers.get(chat_id)
    record["topic_id"] = topic_id(message, chat)
    record["link"] = links.message_link(
        chat_id, message.id, username=username_of(chat), topic_id=record["topic_id"]
    )
    record["silent"] = bool(message.silent)
    record["reactions"] = map_reactions(message.reactions)
    if isinstance(message, types.MessageService):
        record["is_service"] = True
        record["pinned"] = False
        record["action"] = map_action(message.action)
        return record
    record["is_service"] = False
    record["edit_date"] = utc(message.edit_date)
    record["text"] = message.message
    record["entities"] = map_entities(message.entities)
    record["fwd_from"] = map_forward(message.fwd_from)
    record["via_bot_id"] = message.via_bot_id
    record["post_author"] = message.post_author
    record["views"] = message.views
    record["forwards"] = message.forwards
    record["replies_count"] = message.replies.replies if message.replies else None
    record["grouped_id"] = message.grouped_id
    record["pinned"] = bool(message.pinned)
    if message.media is not None:
        record["media_type"], record["media"] = map_media(message.media)
    return record


def map_user(user: Any) -> UserRecord:
    """A ``users`` record. The phone number is deliberately not mapped."""
    record = empty_user(user.id)
    record.update(
        {
            "username": username_of(user),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_bot": bool(user.bot),
            "is_verified": bool(user.verified),
            "is_premium": bool(user.premium),
            "is_deleted": bool(user.deleted),
            "is_scam": bool(user.scam),
            "is_fake": bool(user.fake),
            "lang_code": user.lang_code,
        }
    )
    return record


def map_chat(entity: Any, full: Any | None = None) -> ChatRecord:
    """A ``chats`` record from an entity and, when available, its full info."""
    record = empty_chat(peer_id(entity))
    record.update(
        {
            "type": chat_type(entity),
            "title": display_name(entity),
            "username": username_of(entity),
            "is_forum": bool(getattr(entity, "forum", False)),
            "is_verified": bool(getattr(entity, "verified", False)),
            "is_scam": bool(getattr(entity, "scam", False)),
            "participants_count": getattr(entity, "participants_count", None),
            "created": utc(getattr(entity, "date", None)),
            "source": "mtproto",
            "link": links.chat_link(username_of(entity)),
        }
    )
    successor = getattr(entity, "migrated_to", None)
    if isinstance(successor, types.InputChannel):
        record["migrated_to_id"] = ids.marked_id("channel", successor.channel_id)
    if full is not None:
        record["about"] = getattr(full, "about", None) or None
        count = getattr(full, "participants_count", None)
        participants = getattr(full, "participants", None)
        if count is None and isinstance(participants, types.ChatParticipants):
            count = len(participants.participants)
        if count is not None:
            record["participants_count"] = count
        linked = getattr(full, "linked_chat_id", None)
        if linked:
            record["linked_chat_id"] = ids.marked_id("channel", linked)
    return record
