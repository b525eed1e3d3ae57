"""Pure functions from Telethon forum topics, chat participants and contacts to records.

Split from :mod:`tap_telegram.sources.mtproto.mapping.messages` (messages) because these come from
other requests (``messages.getForumTopics``, ``channels.getParticipants``,
``messages.getFullChat``, ``contacts.getContacts``) and feed other streams (``topics``,
``participants``, ``contacts``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tap_telegram.records import links
from tap_telegram.records.schemas import empty_contact, empty_participant, empty_topic
from tap_telegram.sources.mtproto.mapping.messages import marked_id, peer_id, username_of, utc

if TYPE_CHECKING:
    from tap_telegram.records.types import ContactRecord, ParticipantRecord, TopicRecord


def map_topic(topic: Any, chat_id: int) -> TopicRecord | None:
    """A ``topics`` record; ``None`` for a deleted topic (``ForumTopicDeleted``)."""
    if not isinstance(topic, types.ForumTopic):
        return None
    record = empty_topic(chat_id, topic.id)
    record.update(
        {
            "title": topic.title,
            "icon_color": topic.icon_color,
            "icon_emoji_id": str(topic.icon_emoji_id) if topic.icon_emoji_id else None,
            "created": utc(topic.date),
            "creator_id": marked_id(topic.from_id),
            "top_message_id": topic.top_message,
            "closed": bool(topic.closed),
            "pinned": bool(topic.pinned),
            "hidden": bool(topic.hidden),
        }
    )
    return record


def participant_role(participant: Any) -> str:
    """creator, admin, member, restricted, banned or left.

    A ``ChannelParticipantBanned`` that may still read the chat is only restricted;
    one with ``view_messages`` taken away is banned (kicked).
    """
    if isinstance(participant, (types.ChannelParticipantCreator, types.ChatParticipantCreator)):
        return "creator"
    if isinstance(participant, (types.ChannelParticipantAdmin, types.ChatParticipantAdmin)):
        return "admin"
    if isinstance(participant, types.ChannelParticipantBanned):
        if participant.left:
            return "left"
        rights = participant.banned_rights
        return "banned" if getattr(rights, "view_messages", False) else "restricted"
    if isinstance(participant, types.ChannelParticipantLeft):
        return "left"
    return "member"


def map_participant(participant: Any, chat_id: int) -> ParticipantRecord:
    """A ``participants`` record from any ``ChannelParticipant*`` / ``ChatParticipant*``."""
    user_id = getattr(participant, "user_id", None)
    member = (
        peer_id(types.PeerUser(user_id)) if isinstance(user_id, int) else peer_id(participant.peer)
    )
    inviter = getattr(participant, "inviter_id", None)
    if isinstance(participant, types.ChannelParticipantAdmin):
        inviter = participant.promoted_by or inviter
    elif isinstance(participant, types.ChannelParticipantBanned):
        inviter = participant.kicked_by
    record = empty_participant(chat_id, member)
    record.update(
        {
            "role": participant_role(participant),
            "joined": utc(getattr(participant, "date", None)),
            "inviter_id": inviter or None,
            "rank": getattr(participant, "rank", None) or None,
            "source": "mtproto",
        }
    )
    return record


def map_contact(contact: Any, user: Any | None) -> ContactRecord:
    """A ``contacts`` record from a ``Contact`` and its ``User`` (names as saved by the account).

    The phone number is deliberately not mapped, as in ``users``.
    """
    record = empty_contact(contact.user_id)
    record["mutual"] = bool(contact.mutual)
    if isinstance(user, types.User):
        record.update(
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "username": username_of(user),
                "is_bot": bool(user.bot),
                "is_deleted": bool(user.deleted),
                "link": links.chat_link(username_of(user)),
            }
        )
    return record
