"""Pure functions: Bot API JSON objects (Update, Message, Chat, User) → records.

The Bot API already speaks the tap's conventions: chat ids are *marked* ids
(``-100…`` for channels and supergroups), entity offsets count UTF-16 code units.
What differs is naming, and that is mapped here onto the names the MTProto source
uses (``text_link`` → ``text_url``, ``private`` → ``user``, service fields →
``MessageAction*`` names), so a warehouse table fed by both sources agrees.

The names are those of :mod:`tap_telegram.records.constants`; entities, forwards and
actions are spelled by the builders of :mod:`tap_telegram.records`, the same ones the
other two sources call, so this module only picks fields. Media: :mod:`.media`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tap_telegram.records import builders, ids, links
from tap_telegram.records.constants import CHAT_PEER_TYPES, UTC
from tap_telegram.records.schemas import empty_chat, empty_message, empty_user
from tap_telegram.sources.bot_api.mapping.media import map_media

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ActionRecord,
        ChatRecord,
        EntityRecord,
        ForwardRecord,
        JSONObject,
        MessageRecord,
        UserRecord,
    )

#: Update fields that carry a message, and whether the message is an edit.
MESSAGE_UPDATES: dict[str, bool] = {
    "message": False,
    "edited_message": True,
    "channel_post": False,
    "edited_channel_post": True,
}

#: Bot API chat types → the tap's chat types.
BOT_API_CHAT_TYPES = {
    "private": "user",
    "group": "group",
    "supergroup": "supergroup",
    "channel": "channel",
}

#: Bot API entity types → the tap's entity types where they differ.
BOT_API_ENTITY_TYPES = {
    "text_link": "text_url",
    "text_mention": "mention_name",
    "phone_number": "phone",
    "strikethrough": "strike",
    "expandable_blockquote": "blockquote",
    "date_time": "formatted_date",
}

#: Service-message fields → the tap's action types (``MessageAction*`` in snake case).
ACTIONS = {
    "new_chat_members": "chat_add_user",
    "left_chat_member": "chat_delete_user",
    "new_chat_title": "chat_edit_title",
    "new_chat_photo": "chat_edit_photo",
    "delete_chat_photo": "chat_delete_photo",
    "group_chat_created": "chat_create",
    "supergroup_chat_created": "channel_create",
    "channel_chat_created": "channel_create",
    "migrate_to_chat_id": "chat_migrate_to",
    "migrate_from_chat_id": "channel_migrate_from",
    "pinned_message": "pin_message",
    "message_auto_delete_timer_changed": "set_messages_ttl",
    "forum_topic_created": "topic_create",
    "forum_topic_edited": "topic_edit",
    "forum_topic_closed": "topic_edit",
    "forum_topic_reopened": "topic_edit",
    "video_chat_started": "group_call",
    "video_chat_ended": "group_call",
    "video_chat_scheduled": "group_call_scheduled",
    "boost_added": "boost_apply",
}


def unix(value: Any) -> dt.datetime | None:
    """A Bot API ``date`` (Unix seconds) as an aware UTC datetime."""
    if value is None:
        return None
    return dt.datetime.fromtimestamp(int(value), UTC)


def full_name(user: Mapping[str, Any]) -> str | None:
    """``first_name last_name`` of a User (or of a private Chat)."""
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return name or None


def update_message(update: Mapping[str, Any]) -> tuple[dict[str, Any], bool] | None:
    """``(message, is_edit)`` of an Update that carries a message, else ``None``."""
    for key, is_edit in MESSAGE_UPDATES.items():
        message = update.get(key)
        if isinstance(message, dict):
            return message, is_edit
    return None


def map_entities(entities: Any) -> list[EntityRecord] | None:
    """MessageEntity objects → entity records (same builder as the export)."""
    if not entities:
        return None
    out: list[EntityRecord] = []
    for entity in entities:
        kind = BOT_API_ENTITY_TYPES.get(entity["type"], entity["type"])
        # Each optional field belongs to one type (url: text_link, user: text_mention, ...).
        out.append(
            builders.entity(
                kind,
                entity["offset"],
                entity["length"],
                url=entity.get("url"),
                user_id=(entity.get("user") or {}).get("id"),
                language=entity.get("language"),
                custom_emoji_id=entity.get("custom_emoji_id"),
            )
        )
    return out


def map_forward(origin: Mapping[str, Any] | None) -> ForwardRecord | None:
    """``forward_origin`` (MessageOriginUser/HiddenUser/Chat/Channel) → ``fwd_from``."""
    if not origin:
        return None
    kind = origin.get("type")
    date, signature = unix(origin.get("date")), origin.get("author_signature")
    if kind == "user":
        user = origin.get("sender_user") or {}
        return builders.forward(
            from_id=user.get("id"),
            from_type="user",
            from_name=full_name(user),
            date=date,
            post_author=signature,
        )
    if kind == "hidden_user":
        name = origin.get("sender_user_name")
        return builders.forward(from_name=name, date=date, post_author=signature)
    if kind in ("chat", "channel"):
        chat = origin.get("sender_chat" if kind == "chat" else "chat") or {}
        return builders.forward(
            from_id=chat.get("id"),
            from_type=_peer_type(chat) if kind == "chat" else "channel",
            from_name=chat.get("title"),
            date=date,
            channel_post=origin.get("message_id") if kind == "channel" else None,
            post_author=signature,
        )
    return builders.forward(date=date, post_author=signature)


def _peer_type(chat: Mapping[str, Any]) -> str:
    """The peer kind of a chat: ``channel`` for channels and supergroups, else ``chat``."""
    return CHAT_PEER_TYPES.get(BOT_API_CHAT_TYPES.get(chat.get("type", ""), ""), "chat")


def map_action(message: Mapping[str, Any]) -> ActionRecord | None:
    """The service action of a message (joins, pins, title changes, ...), if any.

    ``details`` uses MTProto's field names where the action exists there (``users``,
    ``user_id``, ``title``, ``channel_id``), else the Bot API object's own fields.
    """
    field = next((name for name in ACTIONS if name in message), None)
    if field is None:
        return None
    value = message[field]
    if field == "new_chat_members":
        details: JSONObject = {"users": [user["id"] for user in value]}
    elif field == "left_chat_member":
        details = {"user_id": value["id"]}
    elif field == "pinned_message":
        details = {"message_id": value.get("message_id")}
    elif field == "new_chat_title":
        details = {"title": value}
    elif field == "migrate_to_chat_id":  # MTProto: the bare channel id
        details = {"channel_id": ids.split_marked_id(int(value))[1]}
    elif field == "migrate_from_chat_id":  # MTProto: the bare basic-group id
        details = {"chat_id": ids.split_marked_id(int(value))[1]}
    elif isinstance(value, dict):
        details = dict(value)
    elif isinstance(value, list):
        details = {}
    else:
        details = {"value": value} if value is not True else {}
    return builders.action(ACTIONS[field], details)


def map_message(message: Mapping[str, Any]) -> MessageRecord:
    """One Bot API Message → a ``messages`` record.

    The sender is ``sender_chat`` when set (channel posts, anonymous admins, posts
    forwarded from a linked channel) and ``from`` otherwise, as MTProto's ``from_id``.
    ``message_thread_id`` becomes ``reply_to_top_id`` (the thread or forum topic).
    """
    chat = message["chat"]
    record = empty_message(int(chat["id"]), int(message["message_id"]))
    record["date"] = unix(message["date"])
    record["edit_date"] = unix(message.get("edit_date"))
    sender_chat, user = message.get("sender_chat"), message.get("from")
    if sender_chat:
        record.update(
            {
                "sender_id": sender_chat["id"],
                "sender_type": _peer_type(sender_chat),
                "sender_name": sender_chat.get("title") or full_name(sender_chat),
                "sender_username": sender_chat.get("username"),
            }
        )
    elif user:
        record.update(
            {
                "sender_id": user["id"],
                "sender_type": "user",
                "sender_name": full_name(user),
                "sender_username": user.get("username"),
            }
        )
    action = map_action(message)
    text_key = "text" if "text" in message else "caption"
    text = message.get(text_key)
    # No text and no caption is empty text, as MTProto and exports have it; a service
    # message has none.
    record["text"] = "" if text is None and action is None else text
    record["entities"] = map_entities(
        message.get("entities" if text_key == "text" else "caption_entities")
    )
    reply = message.get("reply_to_message")
    if reply:
        record["reply_to_msg_id"] = reply.get("message_id")
    record["reply_to_top_id"] = message.get("message_thread_id")
    record["fwd_from"] = map_forward(message.get("forward_origin"))
    record["via_bot_id"] = (message.get("via_bot") or {}).get("id")
    record["post_author"] = message.get("author_signature")
    group = message.get("media_group_id")
    record["grouped_id"] = int(group) if isinstance(group, str) and group.isdigit() else None
    record["media_type"], record["media"] = map_media(message)
    record["is_service"] = action is not None
    record["action"] = action
    if action is not None:
        record["pinned"] = False
        if action["type"] == "pin_message":
            record["reply_to_msg_id"] = message["pinned_message"].get("message_id")
    topic = message.get("message_thread_id") if message.get("is_topic_message") else None
    record["link"] = links.message_link(
        record["chat_id"], record["id"], username=chat.get("username"), topic_id=topic
    )
    return record


def map_user(user: Mapping[str, Any]) -> UserRecord:
    """A Bot API User → a ``users`` record."""
    record = empty_user(int(user["id"]))
    record.update(
        {
            "username": user.get("username"),
            "first_name": user.get("first_name"),
            "last_name": user.get("last_name"),
            "is_bot": bool(user.get("is_bot")),
            "is_premium": bool(user.get("is_premium")),
            "lang_code": user.get("language_code"),
        }
    )
    return record


def map_chat(chat: Mapping[str, Any]) -> ChatRecord:
    """A Bot API Chat (from an update) or ChatFullInfo (from getChat) → a ``chats`` record."""
    record = empty_chat(int(chat["id"]))
    record.update(
        {
            "type": BOT_API_CHAT_TYPES.get(chat.get("type", ""), chat.get("type")),
            "title": chat.get("title") or full_name(chat),
            "username": chat.get("username"),
            "is_forum": bool(chat.get("is_forum")),
            "about": chat.get("description") or chat.get("bio") or None,
            "linked_chat_id": chat.get("linked_chat_id"),
            "source": "bot_api",
            "link": links.chat_link(chat.get("username")),
        }
    )
    return record


def message_users(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Users a message names: its sender, a forwarded-from user, new and left members."""
    users = [message.get("from"), (message.get("forward_origin") or {}).get("sender_user")]
    users += message.get("new_chat_members") or []
    users.append(message.get("left_chat_member"))
    return [user for user in users if isinstance(user, dict) and "id" in user]
