"""Builders of the objects nested in a ``messages`` record (media: :mod:`.media`).

Entities, reactions, forwards and service actions: every source produces these, so
their shape is spelled here and nowhere else. A source reads its native object (a TL
object, an export dict, a Bot API dict), checks it as it must, and passes plain values
to a builder. Adding a key to a sub-record is then one edit here (plus the schema),
and the sources cannot drift apart in key names, key order or the normalisations below.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tap_telegram.records.schemas import empty_message

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ActionRecord,
        EntityRecord,
        ForwardRecord,
        JSONObject,
        MessageRecord,
        ReactionRecord,
    )


def entity(
    kind: str,
    offset: int,
    length: int,
    *,
    url: str | None = None,
    user_id: int | None = None,
    language: str | None = None,
    custom_emoji_id: str | int | None = None,
) -> EntityRecord:
    """One ``entities[]`` item; ``kind`` is already a name of :data:`.constants.ENTITY_TYPES`.

    Offsets and lengths count UTF-16 code units, as Telegram does. An empty
    ``language`` (a ``pre`` block without one) is ``None``; a custom emoji id is a
    string (64-bit ids do not survive JSON numbers everywhere).
    """
    return {
        "type": kind,
        "offset": offset,
        "length": length,
        "url": url,
        "user_id": user_id,
        "language": language or None,
        "custom_emoji_id": None if custom_emoji_id is None else str(custom_emoji_id),
    }


def reaction(
    count: int | None,
    *,
    emoji: str | None = None,
    custom_emoji_id: str | int | None = None,
    paid: bool = False,
) -> ReactionRecord:
    """One ``reactions[]`` item: a standard emoji, a custom emoji (by id) or paid stars."""
    return {
        "emoji": emoji,
        "custom_emoji_id": None if custom_emoji_id is None else str(custom_emoji_id),
        "paid": paid,
        "count": count,
    }


def forward(
    *,
    from_id: int | None = None,
    from_type: str | None = None,
    from_name: str | None = None,
    date: dt.datetime | None = None,
    channel_post: int | None = None,
    post_author: str | None = None,
) -> ForwardRecord:
    """``fwd_from`` of a forwarded message; ``from_id`` is a marked id of ``from_type``."""
    return {
        "from_id": from_id,
        "from_type": from_type,
        "from_name": from_name,
        "date": date,
        "channel_post": channel_post,
        "post_author": post_author,
    }


def action(kind: str, details: JSONObject) -> ActionRecord:
    """A service message's ``action``: a name of :data:`.constants.ACTION_TYPES` and its fields.

    ``details`` stays source-shaped (each source knows different fields of an
    action); only the type name is shared vocabulary.
    """
    return {"type": kind, "details": details}


def tombstone(chat_id: int, message_id: int, detected_at: dt.datetime, scope: str) -> MessageRecord:
    """The record that tells a target a delivered message was deleted.

    Every field ``None`` but the keys, ``deleted``, ``deleted_detected_at`` and
    ``deleted_scope`` (``chat``: gone for everyone; ``account``: gone from this
    account's view, the most Telegram says for private chats and basic groups).
    """
    record = empty_message(chat_id, message_id)
    record["deleted"] = True
    record["deleted_detected_at"] = detected_at
    record["deleted_scope"] = scope
    return record
