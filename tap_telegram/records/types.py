"""The records' types: one TypedDict per stream and per nested object of the schemas.

The schemas (:mod:`.schemas`, :mod:`.moderation`, :mod:`.statistics`) say what a target
receives; these types say the same to the type checker, so a mapper that misspells a
key or puts a string where an id goes fails ``mypy`` instead of a warehouse load.
``tests/records/test_types.py`` fails when a schema's properties and its TypedDict's
keys differ (every stream, every nested object, in the same order).

TypedDicts, not classes: a record stays the plain ``dict`` singer-sdk serialises, so
typing costs nothing at run time. Every key is present in every record (the builders
start from all keys set to ``None``), hence ``total=True`` everywhere; the only
optional keys are the ``media`` extras a kind adds (:class:`MediaRecord`). Datetimes
are aware ``datetime`` objects until the SDK writes them.

No ``from __future__ import annotations`` here: TypedDict reads its annotations at
class creation, and the tests read the key sets from the classes.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeAlias, TypedDict, cast

#: A value of a free-form JSON object (``action.details``, ``admin_log.details``).
JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
#: A free-form JSON object: the parts of a record whose keys a source decides.
JSONObject: TypeAlias = dict[str, JSONValue]


class EntityRecord(TypedDict):
    """One ``entities[]`` item of a message (:func:`.builders.entity`)."""

    type: str
    offset: int
    length: int
    url: str | None
    user_id: int | None
    language: str | None
    custom_emoji_id: str | None


class ForwardRecord(TypedDict):
    """A message's ``fwd_from`` (:func:`.builders.forward`)."""

    from_id: int | None
    from_type: str | None
    from_name: str | None
    date: dt.datetime | None
    channel_post: int | None
    post_author: str | None


class ReactionRecord(TypedDict):
    """One ``reactions[]`` item of a message (:func:`.builders.reaction`)."""

    emoji: str | None
    custom_emoji_id: str | None
    paid: bool
    count: int | None


class PollAnswerRecord(TypedDict):
    """One ``media.answers[]`` item of a poll (:func:`.media.poll_answer`)."""

    text: str | None
    voters: int | None
    chosen: bool | None


class _DeclaredMedia(TypedDict):
    """The ``media`` keys the schema declares: present in every media object."""

    kind: str
    id: str | None
    mime_type: str | None
    size: int | None
    file_name: str | None
    duration: float | None
    width: int | None
    height: int | None
    title: str | None
    performer: str | None
    emoji: str | None
    url: str | None
    question: str | None
    answers: list[PollAnswerRecord] | None
    total_voters: int | None
    closed: bool | None
    quiz: bool | None
    multiple_choice: bool | None
    latitude: float | None
    longitude: float | None
    address: str | None
    period: int | None
    first_name: str | None
    last_name: str | None
    phone_number: str | None
    user_id: int | None
    site_name: str | None
    description: str | None
    value: int | None
    path: str | None
    sha256: str | None


class MediaRecord(_DeclaredMedia, total=False):
    """A message's ``media``: the declared keys, plus the extras of some kinds.

    The schema allows extra keys (``additional_properties``); the ones the builders of
    :mod:`.media` write are here, present only on their kind (or flag). A giveaway
    also keeps the export's own fields (:func:`.media.with_extras`), which no type
    lists.
    """

    items: list[str | None]  # to_do
    amount: int | None  # invoice
    currency: str | None  # invoice
    receipt_message_id: int | None  # invoice
    stars: int | None  # paid_media
    spoiler: bool  # set only when true
    ttl_seconds: int  # set only when self-destructing


class ActionRecord(TypedDict):
    """A service message's ``action`` (:func:`.builders.action`)."""

    type: str
    details: JSONObject


class MessageRecord(TypedDict):
    """A ``messages`` record (also a tombstone, and a message inside an admin-log event)."""

    chat_id: int
    id: int
    date: dt.datetime | None
    edit_date: dt.datetime | None
    sender_id: int | None
    sender_type: str | None
    sender_name: str | None
    sender_username: str | None
    text: str | None
    entities: list[EntityRecord] | None
    reply_to_msg_id: int | None
    reply_to_top_id: int | None
    topic_id: int | None
    fwd_from: ForwardRecord | None
    via_bot_id: int | None
    post_author: str | None
    views: int | None
    forwards: int | None
    replies_count: int | None
    reactions: list[ReactionRecord] | None
    media_type: str | None
    media: MediaRecord | None
    grouped_id: int | None
    pinned: bool | None
    silent: bool | None
    is_service: bool | None
    action: ActionRecord | None
    deleted: bool | None
    deleted_detected_at: dt.datetime | None
    deleted_scope: str | None
    comment_post_id: int | None
    comment_channel_id: int | None
    link: str | None


class ChatRecord(TypedDict):
    """A ``chats`` record."""

    id: int
    type: str | None
    title: str | None
    username: str | None
    participants_count: int | None
    about: str | None
    is_forum: bool | None
    is_verified: bool | None
    is_scam: bool | None
    linked_chat_id: int | None
    migrated_to_id: int | None
    created: dt.datetime | None
    source: str | None
    link: str | None
    folders: list[str] | None
    #: Edits and deletions of the chat's delivered messages made before this time are
    #: delivered (the sweep re-checked them all); ``None``: not yet known.
    changes_complete_until: dt.datetime | None


class UserRecord(TypedDict):
    """A ``users`` record (never a phone number)."""

    id: int
    username: str | None
    first_name: str | None
    last_name: str | None
    is_bot: bool | None
    is_verified: bool | None
    is_premium: bool | None
    is_deleted: bool | None
    is_scam: bool | None
    is_fake: bool | None
    lang_code: str | None


class TopicRecord(TypedDict):
    """A ``topics`` record: one forum topic."""

    chat_id: int
    id: int
    title: str | None
    icon_color: int | None
    icon_emoji_id: str | None
    created: dt.datetime | None
    creator_id: int | None
    top_message_id: int | None
    closed: bool | None
    pinned: bool | None
    hidden: bool | None


class ParticipantRecord(TypedDict):
    """A ``participants`` record: one member of one chat."""

    chat_id: int
    user_id: int
    role: str | None
    joined: dt.datetime | None
    inviter_id: int | None
    rank: str | None
    source: str | None


class ContactRecord(TypedDict):
    """A ``contacts`` record: one entry of the account's contact list."""

    user_id: int
    mutual: bool | None
    first_name: str | None
    last_name: str | None
    username: str | None
    is_bot: bool | None
    is_deleted: bool | None
    link: str | None


class AdminEventRecord(TypedDict):
    """An ``admin_log`` record: one event of a channel's admin log."""

    chat_id: int
    id: int
    date: dt.datetime | None
    user_id: int | None
    user_name: str | None
    action: str | None
    target_user_id: int | None
    prev_value: str | None
    new_value: str | None
    message: MessageRecord | None
    prev_message: MessageRecord | None
    details: JSONObject | None


class RecentPostRecord(TypedDict):
    """One ``channel_stats.recent_posts[]`` item: a post's or a story's interactions."""

    msg_id: int | None
    story_id: int | None
    views: int | None
    forwards: int | None
    reactions: int | None


class ChannelStatsRecord(TypedDict):
    """A ``channel_stats`` record: one broadcast channel's snapshot of one day."""

    chat_id: int
    date: dt.datetime | None
    period_start: dt.datetime | None
    followers: float | None
    followers_previous: float | None
    views_per_post: float | None
    views_per_post_previous: float | None
    shares_per_post: float | None
    shares_per_post_previous: float | None
    reactions_per_post: float | None
    reactions_per_post_previous: float | None
    views_per_story: float | None
    views_per_story_previous: float | None
    shares_per_story: float | None
    shares_per_story_previous: float | None
    reactions_per_story: float | None
    reactions_per_story_previous: float | None
    enabled_notifications_percent: float | None
    recent_posts: list[RecentPostRecord] | None


class TopPosterRecord(TypedDict):
    """One ``group_stats.top_posters[]`` item."""

    user_id: int | None
    messages: int | None
    avg_chars: int | None


class TopAdminRecord(TypedDict):
    """One ``group_stats.top_admins[]`` item."""

    user_id: int | None
    deleted: int | None
    kicked: int | None
    banned: int | None


class TopInviterRecord(TypedDict):
    """One ``group_stats.top_inviters[]`` item."""

    user_id: int | None
    invitations: int | None


class GroupStatsRecord(TypedDict):
    """A ``group_stats`` record: one supergroup's snapshot of one day."""

    chat_id: int
    date: dt.datetime | None
    period_start: dt.datetime | None
    members: float | None
    members_previous: float | None
    messages: float | None
    messages_previous: float | None
    viewers: float | None
    viewers_previous: float | None
    posters: float | None
    posters_previous: float | None
    top_posters: list[TopPosterRecord] | None
    top_admins: list[TopAdminRecord] | None
    top_inviters: list[TopInviterRecord] | None


class StatsGraphRecord(TypedDict):
    """A ``stats_graphs`` record: one point of one series of one graph."""

    chat_id: int
    message_id: int
    graph: str
    x: int
    series: str
    date: dt.datetime | None
    series_name: str | None
    series_type: str | None
    value: float | None


#: A record of any stream.
AnyRecord: TypeAlias = (
    MessageRecord
    | ChatRecord
    | UserRecord
    | TopicRecord
    | ParticipantRecord
    | ContactRecord
    | AdminEventRecord
    | ChannelStatsRecord
    | GroupStatsRecord
    | StatsGraphRecord
)
#: A record as the source contract and singer-sdk take it (``singer_sdk.helpers.types.Record``).
PlainRecord: TypeAlias = dict[str, Any]


def plain(record: AnyRecord) -> PlainRecord:
    """``record`` as the contract's plain dict: the same object, only its type widens.

    The seam between the typed mappers and the stream-agnostic plumbing (the source
    contract, the Singer side, singer-sdk), which takes ``dict[str, Any]``: mypy lets a
    TypedDict widen only to ``Mapping``, though at run time it *is* that dict.
    """
    return cast("PlainRecord", record)


def plain_list(records: Sequence[AnyRecord]) -> list[PlainRecord]:
    """A list of records as :func:`plain` sees one (the same list object when given one)."""
    return cast("list[PlainRecord]", records)
