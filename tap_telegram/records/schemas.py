"""Record schemas shared by every source: the keys and types of each stream's records.

One module so that the MTProto, export and Bot API sources cannot drift apart: a
source's mapping functions build dicts with exactly these keys, and the Singer streams
only point at the schemas defined here. Nested object types used in more than one
place (peers, entities, reactions) are defined once and reused, as in
MeltanoLabs/tap-github's ``schema_objects``. The names a value may take live in
:mod:`.constants`, the builders of nested objects in :mod:`.builders` and
:mod:`.media`, marked ids in :mod:`.ids`, and the same keys as TypedDicts (what the
mappers return, checked against these schemas by a test) in :mod:`.types`.

Conventions every source follows:

* Chat and peer ids are *marked* ids (:mod:`.ids`): users positive, basic groups
  ``-id``, channels and supergroups ``-(10**12 + id)`` (e.g. ``-1001234567890``). The
  same chat therefore has the same ``chat_id`` whichever source read it.
* Datetimes are timezone-aware UTC ``datetime`` objects.
* Optional values are ``None`` rather than missing keys: every record carries every
  key of its schema, so CSV columns are stable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from singer_sdk import typing as th

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ChatRecord,
        ContactRecord,
        MediaRecord,
        MessageRecord,
        ParticipantRecord,
        TopicRecord,
        UserRecord,
    )

ENTITY = th.ObjectType(
    th.Property("type", th.StringType, description="bold, italic, url, text_url, mention, ..."),
    th.Property("offset", th.IntegerType, description="Start, in UTF-16 code units."),
    th.Property("length", th.IntegerType, description="Length, in UTF-16 code units."),
    th.Property("url", th.StringType, description="Target of a text_url."),
    th.Property("user_id", th.IntegerType, description="User of a mention_name."),
    th.Property("language", th.StringType, description="Language of a pre block."),
    th.Property("custom_emoji_id", th.StringType, description="Id of a custom emoji."),
    additional_properties=False,
)

FORWARD = th.ObjectType(
    th.Property("from_id", th.IntegerType, description="Marked id of the original sender."),
    th.Property("from_type", th.StringType, description="user, chat or channel."),
    th.Property("from_name", th.StringType, description="Name when the sender hides the id."),
    th.Property("date", th.DateTimeType, description="Date of the original message."),
    th.Property("channel_post", th.IntegerType, description="Message id in the origin channel."),
    th.Property("post_author", th.StringType, description="Signature in the origin channel."),
    additional_properties=False,
)

REACTION = th.ObjectType(
    th.Property("emoji", th.StringType, description="The emoji, for standard reactions."),
    th.Property("custom_emoji_id", th.StringType, description="Id, for custom emoji reactions."),
    th.Property("paid", th.BooleanType, description="True for paid (star) reactions."),
    th.Property("count", th.IntegerType),
    additional_properties=False,
)

POLL_ANSWER = th.ObjectType(
    th.Property("text", th.StringType),
    th.Property("voters", th.IntegerType, description="Votes, when the results are visible."),
    th.Property("chosen", th.BooleanType, description="The account voted for it."),
    additional_properties=False,
)

#: Structured fields of polls, places, contacts, web pages, dice and downloads.
MEDIA_DETAILS = (
    th.Property("question", th.StringType, description="Poll question."),
    th.Property("answers", th.ArrayType(POLL_ANSWER), description="Poll answers."),
    th.Property("total_voters", th.IntegerType, description="Poll voters, when visible."),
    th.Property("closed", th.BooleanType, description="Poll closed."),
    th.Property("quiz", th.BooleanType, description="Poll is a quiz."),
    th.Property("multiple_choice", th.BooleanType, description="Poll allows several answers."),
    th.Property("latitude", th.NumberType, description="Geo, live location or venue."),
    th.Property("longitude", th.NumberType, description="Geo, live location or venue."),
    th.Property("address", th.StringType, description="Venue address."),
    th.Property("period", th.IntegerType, description="Live location period, seconds."),
    th.Property("first_name", th.StringType, description="Shared contact."),
    th.Property("last_name", th.StringType, description="Shared contact."),
    th.Property("phone_number", th.StringType, description="Shared contact's phone."),
    th.Property("user_id", th.IntegerType, description="Shared contact's user id, if any."),
    th.Property("site_name", th.StringType, description="Web page site name."),
    th.Property("description", th.StringType, description="Web page or game description."),
    th.Property("value", th.IntegerType, description="Dice value."),
    th.Property("path", th.StringType, description="File relative to media_dir (or the export)."),
    th.Property("sha256", th.StringType, description="SHA-256 of the downloaded file (hex)."),
)

MEDIA = th.ObjectType(
    th.Property("kind", th.StringType, description="Same value as the message's media_type."),
    th.Property("id", th.StringType, description="Photo or document id (string: 64-bit)."),
    th.Property("mime_type", th.StringType),
    th.Property("size", th.IntegerType, description="Bytes."),
    th.Property("file_name", th.StringType),
    th.Property("duration", th.NumberType, description="Seconds, for audio and video."),
    th.Property("width", th.IntegerType),
    th.Property("height", th.IntegerType),
    th.Property("title", th.StringType, description="Audio title, web page or game title."),
    th.Property("performer", th.StringType),
    th.Property("emoji", th.StringType, description="Sticker or dice emoji."),
    th.Property("url", th.StringType, description="Web page URL."),
    # Kind-specific structured fields; unset (absent or None) for other kinds.
    *MEDIA_DETAILS,
    # Anything else a source knows about the media is kept as extra keys.
    additional_properties=True,
)

ACTION = th.ObjectType(
    th.Property(
        "type", th.StringType, description="chat_add_user, pin_message, chat_edit_title, ..."
    ),
    th.Property(
        "details",
        th.ObjectType(additional_properties=True),
        description="The action's own fields (user ids, new title, ...).",
    ),
    additional_properties=False,
)

MESSAGE_SCHEMA = th.PropertiesList(
    th.Property("chat_id", th.IntegerType, required=True, description="Marked id of the chat."),
    th.Property("id", th.IntegerType, required=True, description="Message id within the chat."),
    # Not required: a deletion tombstone carries only the keys and the deleted_* fields.
    th.Property("date", th.DateTimeType),
    th.Property("edit_date", th.DateTimeType),
    th.Property("sender_id", th.IntegerType, description="Marked id of the sender."),
    th.Property("sender_type", th.StringType, description="user, chat or channel."),
    th.Property("sender_name", th.StringType),
    th.Property("sender_username", th.StringType),
    th.Property("text", th.StringType),
    th.Property("entities", th.ArrayType(ENTITY)),
    th.Property("reply_to_msg_id", th.IntegerType),
    th.Property("reply_to_top_id", th.IntegerType, description="Thread (or forum topic) root."),
    th.Property("topic_id", th.IntegerType, description="Forum topic; 1 = General."),
    th.Property("fwd_from", FORWARD),
    th.Property("via_bot_id", th.IntegerType),
    th.Property("post_author", th.StringType),
    th.Property("views", th.IntegerType),
    th.Property("forwards", th.IntegerType),
    th.Property("replies_count", th.IntegerType),
    th.Property("reactions", th.ArrayType(REACTION)),
    th.Property("media_type", th.StringType),
    th.Property("media", MEDIA),
    th.Property("grouped_id", th.IntegerType, description="Album id shared by its messages."),
    th.Property("pinned", th.BooleanType),
    th.Property("silent", th.BooleanType),
    th.Property("is_service", th.BooleanType, description="Joins, pins, title changes, ..."),
    th.Property("action", ACTION),
    # -- lookback and comments (docs/changes.md) --
    th.Property(
        "deleted",
        th.BooleanType,
        description="True on a tombstone: a delivered message is gone (track_changes, lookback).",
    ),
    th.Property("deleted_detected_at", th.DateTimeType, description="When the tap saw it gone."),
    th.Property(
        "deleted_scope",
        th.StringType,
        description=(
            "On a tombstone: chat (channels, supergroups: gone for everyone) or account "
            "(private chats, basic groups: this account no longer sees it)."
        ),
    ),
    th.Property(
        "comment_post_id",
        th.IntegerType,
        description="A comment in a discussion group: id of the channel post it belongs to.",
    ),
    th.Property(
        "comment_channel_id", th.IntegerType, description="Marked id of that post's channel."
    ),
    th.Property(
        "link",
        th.StringType,
        description="t.me link (channels and supergroups; null in private chats, basic groups).",
    ),
).to_dict()

CHAT_SCHEMA = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True, description="Marked chat id."),
    th.Property("type", th.StringType, description="user, group, supergroup or channel."),
    th.Property("title", th.StringType, description="Title, or the user's name."),
    th.Property("username", th.StringType),
    th.Property("participants_count", th.IntegerType),
    th.Property("about", th.StringType),
    th.Property("is_forum", th.BooleanType),
    th.Property("is_verified", th.BooleanType),
    th.Property("is_scam", th.BooleanType),
    th.Property("linked_chat_id", th.IntegerType, description="Discussion group or channel."),
    th.Property(
        "migrated_to_id",
        th.IntegerType,
        description="A basic group upgraded to a supergroup: the supergroup's id.",
    ),
    th.Property("created", th.DateTimeType, description="Creation (or join) date when known."),
    th.Property("source", th.StringType, description="mtproto, export or bot_api."),
    th.Property("link", th.StringType, description="https://t.me/<username>, when public."),
    th.Property(
        "folders",
        th.ArrayType(th.StringType),
        description="Titles of the chat folders it is in (MTProto; null unless chats names one).",
    ),
    th.Property(
        "changes_complete_until",
        th.DateTimeType,
        description=(
            "Edits and deletions of the chat's delivered messages made before this time "
            "have been delivered (the sweep re-checked them all), as of the STATE the run "
            "started from; null: not known yet (MTProto, verify_requests_per_run)."
        ),
    ),
).to_dict()

USER_SCHEMA = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True),
    th.Property("username", th.StringType),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("is_bot", th.BooleanType),
    th.Property("is_verified", th.BooleanType),
    th.Property("is_premium", th.BooleanType),
    th.Property("is_deleted", th.BooleanType),
    th.Property("is_scam", th.BooleanType),
    th.Property("is_fake", th.BooleanType),
    th.Property("lang_code", th.StringType),
).to_dict()

TOPIC_SCHEMA = th.PropertiesList(
    th.Property("chat_id", th.IntegerType, required=True, description="Marked id of the forum."),
    th.Property("id", th.IntegerType, required=True, description="Topic id (its first message)."),
    th.Property("title", th.StringType),
    th.Property("icon_color", th.IntegerType, description="RGB of the default icon."),
    th.Property("icon_emoji_id", th.StringType, description="Custom emoji of the icon."),
    th.Property("created", th.DateTimeType),
    th.Property("creator_id", th.IntegerType, description="Marked id of who created it."),
    th.Property("top_message_id", th.IntegerType, description="Newest message of the topic."),
    th.Property("closed", th.BooleanType),
    th.Property("pinned", th.BooleanType),
    th.Property("hidden", th.BooleanType, description="General topic hidden."),
).to_dict()

PARTICIPANT_SCHEMA = th.PropertiesList(
    th.Property("chat_id", th.IntegerType, required=True, description="Marked id of the chat."),
    th.Property("user_id", th.IntegerType, required=True, description="Marked id of the member."),
    th.Property(
        "role", th.StringType, description="creator, admin, member, restricted, banned or left."
    ),
    th.Property("joined", th.DateTimeType, description="Join (or promotion/ban) date."),
    th.Property("inviter_id", th.IntegerType, description="Who added or promoted the member."),
    th.Property("rank", th.StringType, description="Admin title."),
    th.Property("source", th.StringType, description="mtproto or export."),
).to_dict()

CONTACT_SCHEMA = th.PropertiesList(
    th.Property("user_id", th.IntegerType, required=True, description="The contact's user id."),
    th.Property("mutual", th.BooleanType, description="The user has the account as a contact too."),
    th.Property("first_name", th.StringType, description="As saved in the contact list."),
    th.Property("last_name", th.StringType, description="As saved in the contact list."),
    th.Property("username", th.StringType),
    th.Property("is_bot", th.BooleanType),
    th.Property("is_deleted", th.BooleanType),
    th.Property("link", th.StringType, description="https://t.me/<username>, when public."),
).to_dict()

MESSAGE_KEYS: tuple[str, ...] = tuple(MESSAGE_SCHEMA["properties"])
CHAT_KEYS: tuple[str, ...] = tuple(CHAT_SCHEMA["properties"])
USER_KEYS: tuple[str, ...] = tuple(USER_SCHEMA["properties"])
MEDIA_KEYS: tuple[str, ...] = tuple(MESSAGE_SCHEMA["properties"]["media"]["properties"])
TOPIC_KEYS: tuple[str, ...] = tuple(TOPIC_SCHEMA["properties"])
PARTICIPANT_KEYS: tuple[str, ...] = tuple(PARTICIPANT_SCHEMA["properties"])
CONTACT_KEYS: tuple[str, ...] = tuple(CONTACT_SCHEMA["properties"])


def empty_message(chat_id: int, message_id: int) -> MessageRecord:
    """Return a message record with every key present and set to ``None``.

    Mappers start from this so that each record carries the full key set even when
    a source has no value for a field.
    """
    # The keys are the schema's, which are the TypedDict's (tests/records/test_types.py);
    # built from the schema so the order is the schema's, by the fastest way CPython has.
    record = cast("MessageRecord", dict.fromkeys(MESSAGE_KEYS))
    record["chat_id"] = chat_id
    record["id"] = message_id
    return record


def empty_media(kind: str) -> MediaRecord:
    """A ``media`` object of ``kind`` with every declared key present and ``None``.

    Both the MTProto and the export mappers start from it, so the two cannot drift.
    """
    record = cast("MediaRecord", dict.fromkeys(MEDIA_KEYS))  # keys: as in empty_message
    record["kind"] = kind
    return record


def empty_chat(chat_id: int) -> ChatRecord:
    """Return a chat record with every key present and set to ``None``."""
    record = cast("ChatRecord", dict.fromkeys(CHAT_KEYS))  # keys: as in empty_message
    record["id"] = chat_id
    return record


def empty_user(user_id: int) -> UserRecord:
    """Return a user record with every key present and set to ``None``."""
    record = cast("UserRecord", dict.fromkeys(USER_KEYS))  # keys: as in empty_message
    record["id"] = user_id
    return record


def empty_topic(chat_id: int, topic_id: int) -> TopicRecord:
    """Return a topic record with every key present and set to ``None``."""
    record = cast("TopicRecord", dict.fromkeys(TOPIC_KEYS))  # keys: as in empty_message
    record["chat_id"] = chat_id
    record["id"] = topic_id
    return record


def empty_participant(chat_id: int, user_id: int) -> ParticipantRecord:
    """Return a participant record with every key present and set to ``None``."""
    record = cast("ParticipantRecord", dict.fromkeys(PARTICIPANT_KEYS))  # as in empty_message
    record["chat_id"] = chat_id
    record["user_id"] = user_id
    return record


def empty_contact(user_id: int) -> ContactRecord:
    """Return a contact record with every key present and set to ``None``."""
    record = cast("ContactRecord", dict.fromkeys(CONTACT_KEYS))  # keys: as in empty_message
    record["user_id"] = user_id
    return record
