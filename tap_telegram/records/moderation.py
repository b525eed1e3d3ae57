"""The ``admin_log`` stream's records: one per event of a channel's admin log.

Kept apart from :mod:`.schemas` (the message-history streams) because it is its own
concern; it reuses the message shape there for the messages an event carries, so a
deleted message in the admin log reads exactly like a row of ``messages``.

An event is one row: who (``user_id``) did what (``action``, the snake_case name of
Telegram's ``channelAdminLogEventAction*`` constructor, e.g. ``delete_message``,
``edit_message``, ``participant_toggle_ban``, ``change_title``) to whom
(``target_user_id``), with the message concerned (``message``: the deleted, pinned,
sent or stopped-poll message, or an edit's new version; ``prev_message``: an edit's
old version), plain before/after values as text (``prev_value`` / ``new_value``:
titles, descriptions, usernames, flags, slow-mode seconds) and every other field of
the action in ``details`` (a member's rights before and after, invite links, topics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from singer_sdk import typing as th

from tap_telegram.records.schemas import MESSAGE_SCHEMA

if TYPE_CHECKING:
    from tap_telegram.records.types import AdminEventRecord

#: A message inside another record: the ``messages`` record shape, or null.
NESTED_MESSAGE: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": MESSAGE_SCHEMA["properties"],
}

ADMIN_LOG_SCHEMA = th.PropertiesList(
    th.Property("chat_id", th.IntegerType, required=True, description="Marked id of the chat."),
    th.Property(
        "id", th.IntegerType, required=True, description="Event id (ascends with time, per chat)."
    ),
    th.Property("date", th.DateTimeType),
    th.Property("user_id", th.IntegerType, description="Marked id of who did it."),
    th.Property("user_name", th.StringType, description="That user's name when Telegram sent it."),
    th.Property(
        "action",
        th.StringType,
        description="delete_message, edit_message, participant_toggle_ban, change_title, ...",
    ),
    th.Property(
        "target_user_id",
        th.IntegerType,
        description="Marked id of the member acted upon (banned, promoted, invited, ranked).",
    ),
    th.Property("prev_value", th.StringType, description="A plain value before, as text."),
    th.Property("new_value", th.StringType, description="A plain value after, as text."),
    th.Property(
        "message",
        th.CustomType(NESTED_MESSAGE),
        description="The message concerned (an edit's new version), as a messages record.",
    ),
    th.Property(
        "prev_message",
        th.CustomType(NESTED_MESSAGE),
        description="An edit's message before it, as a messages record.",
    ),
    th.Property(
        "details",
        th.ObjectType(additional_properties=True),
        description="Every other field of the action (rights before/after, invites, topics).",
    ),
).to_dict()

ADMIN_LOG_KEYS: tuple[str, ...] = tuple(ADMIN_LOG_SCHEMA["properties"])


def empty_admin_event(chat_id: int, event_id: int) -> AdminEventRecord:
    """An ``admin_log`` record with every key present and ``None``."""
    # The keys are the schema's, which are the TypedDict's (tests/records/test_types.py).
    record = cast("AdminEventRecord", dict.fromkeys(ADMIN_LOG_KEYS))
    record["chat_id"] = chat_id
    record["id"] = event_id
    return record
