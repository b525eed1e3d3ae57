"""Forum topic records built from mapped messages, for sources without a topic list.

A Telegram Desktop export has no list of topics, only the ``topic_created`` service
message that opened each one (mapped to action ``topic_create``). These functions
turn such a ``messages`` record into a ``topics`` record, so the export fills the
same stream as MTProto's ``messages.getForumTopics``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap_telegram.records.constants import GENERAL_TOPIC_ID
from tap_telegram.records.schemas import TOPIC_KEYS


def general_topic(chat_id: int) -> dict[str, Any]:
    """The General topic every forum has (it has no creation message)."""
    record: dict[str, Any] = dict.fromkeys(TOPIC_KEYS)
    record.update(chat_id=chat_id, id=GENERAL_TOPIC_ID, title="General")
    return record


def topic_from_message(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ``topics`` record from a ``topic_create`` service message; ``None`` otherwise.

    The topic's id is the id of that message; its creator is the message's sender.
    """
    action = message.get("action") or {}
    if action.get("type") != "topic_create":
        return None
    details = action.get("details") or {}
    record: dict[str, Any] = dict.fromkeys(TOPIC_KEYS)
    color = details.get("icon_color")
    emoji = details.get("icon_emoji_id")
    record.update(
        chat_id=message["chat_id"],
        id=message["id"],
        title=details.get("title"),
        icon_color=color if isinstance(color, int) else None,
        icon_emoji_id=str(emoji) if emoji else None,
        created=message.get("date"),
        creator_id=message.get("sender_id"),
    )
    return record
