"""Forum topic records built from mapped messages, for sources without a topic list.

A Telegram Desktop export has no list of topics, only the ``topic_created`` service
message that opened each one (mapped to action ``topic_create``). These functions
turn such a ``messages`` record into a ``topics`` record, so the export fills the
same stream as MTProto's ``messages.getForumTopics``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tap_telegram.records.constants import GENERAL_TOPIC_ID
from tap_telegram.records.schemas import empty_topic

if TYPE_CHECKING:
    from tap_telegram.records.types import TopicRecord


def general_topic(chat_id: int) -> TopicRecord:
    """The General topic every forum has (it has no creation message)."""
    record = empty_topic(chat_id, GENERAL_TOPIC_ID)
    record["title"] = "General"
    return record


def topic_from_message(message: Mapping[str, Any]) -> TopicRecord | None:
    """A ``topics`` record from a ``topic_create`` service message; ``None`` otherwise.

    The topic's id is the id of that message; its creator is the message's sender.
    ``message`` is a ``messages`` record as the source contract passes it (a plain dict).
    """
    action = message.get("action") or {}
    if action.get("type") != "topic_create":
        return None
    details = action.get("details") or {}
    record = empty_topic(message["chat_id"], message["id"])
    color = details.get("icon_color")
    emoji = details.get("icon_emoji_id")
    record.update(
        {
            "title": details.get("title"),
            "icon_color": color if isinstance(color, int) else None,
            "icon_emoji_id": str(emoji) if emoji else None,
            "created": message.get("date"),
            "creator_id": message.get("sender_id"),
        }
    )
    return record
