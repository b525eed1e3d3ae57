"""``t.me`` links to messages and chats, by Telegram's own rules (core.telegram.org/api/links).

Telegram links a message only in channels and supergroups (their message ids are the
chat's own); private chats and basic groups number messages per account, and no link
opens one, so their ``link`` is ``None``. The forms, from "Message links" on that page:

* public (the chat has a username): ``https://t.me/<username>/<id>``;
* private: ``https://t.me/c/<channel id>/<id>``, the bare channel id (the marked id
  without its ``-100`` prefix); it opens for members only;
* in a forum topic: ``https://t.me/<username>/<topic>/<id>`` or
  ``https://t.me/c/<channel id>/<topic>/<id>``. The General topic (id 1) and the
  message that created a topic take the plain form: a link to a topic's creation
  message opens the topic, and Telegram reads ``/1`` in a forum as General.

A chat's own link is ``https://t.me/<username>`` ("Public username links"); a chat
without a username has none (private channels have only invite links, which the tap
does not read). Every source calls these two functions, so the three cannot disagree.
"""

from __future__ import annotations

from tap_telegram.records.constants import GENERAL_TOPIC_ID
from tap_telegram.records.ids import split_marked_id

#: Where every link points (``me_url_prefix`` of Telegram's config).
T_ME = "https://t.me/"


def chat_link(username: str | None) -> str | None:
    """``https://t.me/<username>`` of a public user, bot, group or channel; else ``None``."""
    return f"{T_ME}{username}" if username else None


def message_link(
    chat_id: int, message_id: int, *, username: str | None = None, topic_id: int | None = None
) -> str | None:
    """The link of message ``message_id`` of the chat with marked id ``chat_id``.

    ``None`` for private chats and basic groups (not channel marked ids) and for ids
    Telegram never hands out (zero or negative: an export's shifted ids of a migrated
    basic group). ``username`` picks the public form; ``topic_id`` the forum form.
    """
    kind, bare_id = split_marked_id(chat_id)
    if kind != "channel" or message_id <= 0 or bare_id <= 0:
        return None
    base = f"{T_ME}{username}" if username else f"{T_ME}c/{bare_id}"
    if topic_id is not None and topic_id not in (GENERAL_TOPIC_ID, message_id):
        return f"{base}/{topic_id}/{message_id}"
    return f"{base}/{message_id}"
