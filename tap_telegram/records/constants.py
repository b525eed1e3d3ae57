"""The tap's record vocabulary: every name a record value may take, defined once.

The three sources speak three dialects (MTProto class names, Telegram Desktop's export
names, the Bot API's field names). Each source translates its own dialect into the
names below, which are MTProto's in snake case (``MessageEntityTextUrl`` →
``text_url``), so a warehouse table fed by several sources agrees. The translation
tables stay in the sources; ``tests/records/`` checks that every value they produce is
listed here, and that these lists match Telethon's classes.

Nothing here imports Telethon: an export or Bot API run must not load it.
"""

from __future__ import annotations

import datetime as dt

#: The one UTC every mapper hands out (``datetime.tzinfo is UTC`` holds for all).
UTC = dt.timezone.utc

#: Marked channel ids are ``-(CHANNEL_MARK + channel_id)`` (see :mod:`.ids`).
CHANNEL_MARK = 10**12

#: Id of the General topic every forum has (``topic_id`` of messages outside topics).
GENERAL_TOPIC_ID = 1

#: Kinds of chat (``chats.type``). ``user`` is a private (one-to-one) chat.
CHAT_TYPES = ("user", "group", "supergroup", "channel")

#: ``deleted_scope`` of a tombstone: gone for everyone (channels, supergroups) or gone
#: from this account's view (private chats, basic groups: Telegram does not say which).
SCOPE_CHAT, SCOPE_ACCOUNT = "chat", "account"

#: Kinds of peer (``sender_type``, ``fwd_from.from_type``): how its marked id is made.
PEER_TYPES = ("user", "chat", "channel")

#: Chat kind → peer kind: a basic group is a ``chat``, supergroups are ``channel``s.
CHAT_PEER_TYPES = {"user": "user", "group": "chat", "supergroup": "channel", "channel": "channel"}

#: Roles of the ``participants`` stream.
PARTICIPANT_ROLES = ("creator", "admin", "member", "restricted", "banned", "left")

#: Media kinds that are a file to download (setting ``media_kinds`` picks among them).
FILE_KINDS = ("photo", "document", "video", "video_note", "animation", "voice", "audio", "sticker")

#: Every ``media_type`` (= ``media.kind``): the file kinds, then one per other
#: ``MessageMedia*`` class. ``webpage`` keeps its historical spelling (not ``web_page``).
MEDIA_KINDS = (
    *FILE_KINDS,
    "poll",
    "geo",
    "geo_live",
    "venue",
    "contact",
    "dice",
    "game",
    "webpage",
    "invoice",
    "to_do",
    "giveaway",
    "giveaway_results",
    "paid_media",
    "story",
    "video_stream",
    "unsupported",
    "empty",
)

#: Every ``entities[].type``: ``MessageEntity*`` class names in snake case.
ENTITY_TYPES = (
    "unknown",
    "mention",
    "hashtag",
    "bot_command",
    "url",
    "email",
    "bold",
    "italic",
    "code",
    "pre",
    "text_url",
    "mention_name",
    "phone",
    "cashtag",
    "underline",
    "strike",
    "bank_card",
    "spoiler",
    "custom_emoji",
    "blockquote",
    "formatted_date",
    "diff_insert",
    "diff_replace",
    "diff_delete",
)

#: Every ``action.type`` of a service message: ``MessageAction*`` class names in snake
#: case. The export adds ``custom_action`` (already here) and passes through names of
#: actions newer than this list; ``unknown`` marks a service message without an action.
ACTION_TYPES = (
    "empty",
    "chat_create",
    "chat_edit_title",
    "chat_edit_photo",
    "chat_delete_photo",
    "chat_add_user",
    "chat_delete_user",
    "chat_joined_by_link",
    "chat_joined_by_request",
    "chat_joined_via_community",
    "chat_migrate_to",
    "channel_create",
    "channel_migrate_from",
    "change_community",
    "change_creator",
    "new_creator_pending",
    "pin_message",
    "history_clear",
    "game_score",
    "payment_sent",
    "payment_sent_me",
    "payment_refunded",
    "phone_call",
    "screenshot_taken",
    "custom_action",
    "bot_allowed",
    "managed_bot_created",
    "secure_values_sent",
    "secure_values_sent_me",
    "contact_sign_up",
    "geo_proximity_reached",
    "group_call",
    "group_call_scheduled",
    "invite_to_group_call",
    "conference_call",
    "set_messages_ttl",
    "set_chat_theme",
    "set_chat_wall_paper",
    "web_view_data_sent",
    "web_view_data_sent_me",
    "gift_premium",
    "gift_code",
    "gift_stars",
    "gift_ton",
    "giveaway_launch",
    "giveaway_results",
    "prize_stars",
    "star_gift",
    "star_gift_unique",
    "star_gift_purchase_offer",
    "star_gift_purchase_offer_declined",
    "boost_apply",
    "topic_create",
    "topic_edit",
    "suggest_profile_photo",
    "suggest_birthday",
    "requested_peer",
    "requested_peer_sent_me",
    "paid_messages_price",
    "paid_messages_refunded",
    "suggested_post_approval",
    "suggested_post_success",
    "suggested_post_refund",
    "todo_completions",
    "todo_append_tasks",
    "poll_append_answer",
    "poll_delete_answer",
    "no_forwards_request",
    "no_forwards_toggle",
)
