"""Admin-log events (``channelAdminLogEvent``) → ``admin_log`` records.

One function for every kind of event, none per kind: the ``action`` is the snake_case
name of the ``channelAdminLogEventAction*`` constructor, so a kind Telegram adds in a
later layer is mapped too. Messages an action carries go through the one message
mapper (:func:`.messages.map_message`), plain before/after values become text, the
member acted upon becomes ``target_user_id``, and every other field lands in
``details`` as JSON (see :mod:`tap_telegram.records.moderation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from tap_telegram.records.moderation import empty_admin_event
from tap_telegram.sources.mtproto.mapping.media import snake_case, tl_to_json
from tap_telegram.sources.mtproto.mapping.messages import (
    PeerIndex,
    display_name,
    map_message,
    marked_id,
    utc,
)

if TYPE_CHECKING:
    from tap_telegram.records.types import AdminEventRecord, JSONObject

ACTION_PREFIX = "ChannelAdminLogEventAction"
#: Fields holding a message: the record column each goes to.
MESSAGE_FIELDS: dict[str, Literal["message", "prev_message"]] = {
    "message": "message",
    "new_message": "message",
    "prev_message": "prev_message",
}
#: Fields holding a plain before/after value: the record column each goes to (as text).
VALUE_FIELDS: dict[str, Literal["prev_value", "new_value"]] = {
    "prev_value": "prev_value",
    "new_value": "new_value",
}
#: Fields naming the member acted upon (a participant object, or a user id).
TARGET_FIELDS = ("new_participant", "participant", "prev_participant", "user_id")


def map_event(event: Any, chat_id: int, peers: PeerIndex) -> AdminEventRecord:
    """One admin-log event of chat ``chat_id`` as an ``admin_log`` record."""
    record = empty_admin_event(chat_id, int(event.id))
    record["date"] = utc(event.date)
    record["user_id"] = int(event.user_id)
    record["user_name"] = display_name(peers.get(int(event.user_id)))
    action = event.action
    record["action"] = snake_case(type(action).__name__.removeprefix(ACTION_PREFIX))
    details: JSONObject = {}
    for name, value in _fields(action).items():
        column = MESSAGE_FIELDS.get(name)
        value_column = VALUE_FIELDS.get(name)
        if column is not None:
            record[column] = map_message(value, chat_id, peers) if value is not None else None
        elif value_column is not None and _plain(value):
            record[value_column] = _text(value)
        else:
            details[name] = tl_to_json(value)
    record["target_user_id"] = target_user(action)
    record["details"] = details or None
    return record


def target_user(action: Any) -> int | None:
    """Marked id of the member an action is about (``None``: it is about no member)."""
    for name in TARGET_FIELDS:
        value = getattr(action, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        user_id = getattr(value, "user_id", None)
        if isinstance(user_id, int):
            return user_id
        peer = getattr(value, "peer", None)
        if peer is not None:
            return marked_id(peer)
    return None


def _fields(action: Any) -> dict[str, Any]:
    """The action's own fields (TL ``to_dict`` minus the constructor name), objects kept."""
    names = [key for key in action.to_dict() if key != "_"]
    return {name: getattr(action, name) for name in names}


def _plain(value: Any) -> bool:
    """A value that reads well as text: strings, numbers, flags, lists of strings."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, (str, int, float, bool)) or value is None


def _text(value: Any) -> str | None:
    """``value`` as text: flags as true/false, lists comma-separated."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)
