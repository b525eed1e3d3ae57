"""Bot API JSON → records: shapes from the Bot API docs, names as the MTProto source uses."""

from __future__ import annotations

from typing import Any

from tap_telegram.records.schemas import CHAT_KEYS, MESSAGE_KEYS, USER_KEYS
from tap_telegram.records.types import plain
from tap_telegram.sources.bot_api.mapping import messages as mapping
from tap_telegram.sources.bot_api.mapping.messages import (
    map_chat,
    map_user,
    message_users,
    update_message,
)
from tests.fake_bot_api import ALICE, BOB, CHANNEL, GROUP, message


def map_message(raw: dict[str, Any]) -> dict[str, Any]:
    """The mapper's record as a plain dict: these tests read nested keys without None checks."""
    return plain(mapping.map_message(raw))


PHOTO = [
    {"file_id": "a", "file_unique_id": "s1", "width": 90, "height": 60, "file_size": 900},
    {"file_id": "b", "file_unique_id": "s3", "width": 1280, "height": 853, "file_size": 98000},
    {"file_id": "c", "file_unique_id": "s2", "width": 320, "height": 213, "file_size": 9000},
]


def test_plain_group_message_has_every_key_and_the_user_sender():
    record = map_message(message(GROUP, 42, "hello"))
    assert tuple(record) == MESSAGE_KEYS
    assert record["chat_id"] == -1001111111111
    assert record["id"] == 42
    assert record["date"].isoformat() == "2025-10-09T08:54:02+00:00"
    assert record["sender_id"] == ALICE["id"]
    assert record["sender_type"] == "user"
    assert record["sender_name"] == "Alice A"
    assert record["sender_username"] == "alice"
    assert record["text"] == "hello"
    assert record["is_service"] is False
    assert record["edit_date"] is None


def test_channel_post_and_anonymous_admin_are_sent_by_the_chat():
    post = map_message(message(CHANNEL, 7, "news", author_signature="Ed"))
    assert (post["sender_id"], post["sender_type"], post["sender_name"]) == (
        CHANNEL["id"],
        "channel",
        "News",
    )
    assert post["post_author"] == "Ed"
    anonymous = map_message(
        {
            **message(GROUP, 8, "as the group"),
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
            "sender_chat": GROUP,
        }
    )
    assert (anonymous["sender_id"], anonymous["sender_type"]) == (GROUP["id"], "channel")
    basic = {"id": -4000000001, "type": "group", "title": "Basic"}
    in_basic = map_message({**message(basic, 1, "x"), "sender_chat": basic})
    assert in_basic["sender_type"] == "chat"


def test_entities_use_the_mtproto_names_and_keep_utf16_offsets():
    text = "😀 bold link @bob +123 code"
    entities: list[dict[str, Any]] = [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.org"},
        {"type": "text_mention", "offset": 13, "length": 4, "user": BOB},
        {"type": "phone_number", "offset": 18, "length": 4},
        {"type": "pre", "offset": 23, "length": 4, "language": "python"},
        {
            "type": "custom_emoji",
            "offset": 0,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
        {"type": "strikethrough", "offset": 0, "length": 1},
        {"type": "expandable_blockquote", "offset": 0, "length": 1},
    ]
    record = map_message(message(GROUP, 1, text, entities=entities))
    assert [(e["type"], e["offset"], e["length"]) for e in record["entities"]] == [
        ("bold", 3, 4),
        ("text_url", 8, 4),
        ("mention_name", 13, 4),
        ("phone", 18, 4),
        ("pre", 23, 4),
        ("custom_emoji", 0, 2),
        ("strike", 0, 1),
        ("blockquote", 0, 1),
    ]
    by_type = {e["type"]: e for e in record["entities"]}
    assert by_type["text_url"]["url"] == "https://example.org"
    assert by_type["mention_name"]["user_id"] == BOB["id"]
    assert by_type["pre"]["language"] == "python"
    assert by_type["custom_emoji"]["custom_emoji_id"] == "5368324170671202286"
    assert by_type["bold"]["url"] is None


def test_caption_photo_album_thread_and_reply():
    raw = message(GROUP, 5, "unused")
    del raw["text"]
    raw.update(
        caption="a cat",
        caption_entities=[{"type": "italic", "offset": 2, "length": 3}],
        photo=PHOTO,
        media_group_id="13613459023094340",
        message_thread_id=4,
        is_topic_message=True,
        reply_to_message=message(GROUP, 4, "topic root"),
    )
    record = map_message(raw)
    assert record["text"] == "a cat"
    assert record["entities"][0]["type"] == "italic"
    assert record["media_type"] == "photo"
    media = record["media"]
    assert (media["id"], media["width"], media["height"], media["size"]) == ("s3", 1280, 853, 98000)
    assert media["mime_type"] == "image/jpeg"
    assert record["grouped_id"] == 13613459023094340
    assert record["reply_to_msg_id"] == 4
    assert record["reply_to_top_id"] == 4


def test_documents_prefer_the_specific_kind():
    animation = {
        "file_unique_id": "g",
        "width": 320,
        "height": 240,
        "duration": 3,
        "mime_type": "video/mp4",
    }
    record = map_message(
        message(
            GROUP,
            1,
            "",
            animation=animation,
            document={"file_unique_id": "g", "file_name": "x.mp4"},
        )
    )
    assert record["media_type"] == "animation"
    assert record["media"]["duration"] == 3
    audio = {
        "file_unique_id": "a",
        "duration": 200,
        "performer": "P",
        "title": "T",
        "file_name": "t.mp3",
    }
    assert map_message(message(GROUP, 2, "", audio=audio))["media"]["performer"] == "P"
    note = {"file_unique_id": "n", "length": 240, "duration": 5}
    record = map_message(message(GROUP, 3, "", video_note=note))
    assert (record["media_type"], record["media"]["width"]) == ("video_note", 240)
    sticker = {
        "file_unique_id": "st",
        "width": 512,
        "height": 512,
        "emoji": "😀",
        "type": "regular",
    }
    assert map_message(message(GROUP, 4, "", sticker=sticker))["media"]["emoji"] == "😀"


def test_poll_venue_live_location_contact_dice():
    poll = {
        "id": "555",
        "question": "Lunch?",
        "options": [{"text": "Yes", "voter_count": 3}, {"text": "No", "voter_count": 1}],
        "total_voter_count": 4,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    media = map_message(message(GROUP, 1, "", poll=poll))["media"]
    # A bot never votes and is not told who did: ``chosen`` is unknown, but present.
    assert media["answers"] == [
        {"text": "Yes", "voters": 3, "chosen": None},
        {"text": "No", "voters": 1, "chosen": None},
    ]
    assert (media["total_voters"], media["quiz"], media["question"]) == (4, False, "Lunch?")
    location = {"latitude": 52.5, "longitude": 13.4}
    venue = {"location": location, "title": "Cafe", "address": "Main St 1"}
    record = map_message(message(GROUP, 2, "", venue=venue, location=location))
    assert record["media_type"] == "venue"
    assert (record["media"]["title"], record["media"]["latitude"]) == ("Cafe", 52.5)
    live = map_message(message(GROUP, 3, "", location={**location, "live_period": 900}))
    assert (live["media_type"], live["media"]["period"]) == ("geo_live", 900)
    contact = {"phone_number": "+100", "first_name": "C", "user_id": 77}
    assert map_message(message(GROUP, 4, "", contact=contact))["media"]["user_id"] == 77
    dice = map_message(message(GROUP, 5, "", dice={"emoji": "🎲", "value": 6}))
    assert (dice["media_type"], dice["media"]["value"]) == ("dice", 6)


def test_forward_origins():
    def fwd(origin: dict) -> dict:
        return map_message(message(GROUP, 1, "fw", forward_origin=origin))["fwd_from"]

    user = fwd({"type": "user", "date": 1_700_000_000, "sender_user": BOB})
    assert (user["from_id"], user["from_type"], user["from_name"]) == (BOB["id"], "user", "Bob")
    assert user["date"].isoformat() == "2023-11-14T22:13:20+00:00"
    hidden = fwd({"type": "hidden_user", "date": 1, "sender_user_name": "Secret"})
    assert (hidden["from_id"], hidden["from_name"]) == (None, "Secret")
    channel = fwd(
        {"type": "channel", "date": 1, "chat": CHANNEL, "message_id": 99, "author_signature": "Ed"}
    )
    assert (channel["from_id"], channel["from_type"], channel["channel_post"]) == (
        CHANNEL["id"],
        "channel",
        99,
    )
    assert channel["post_author"] == "Ed"
    chat = fwd({"type": "chat", "date": 1, "sender_chat": GROUP})
    assert (chat["from_id"], chat["from_type"]) == (GROUP["id"], "channel")


def test_service_messages_are_actions():
    joined = message(GROUP, 1, "")
    del joined["text"]
    joined["new_chat_members"] = [BOB]
    record = map_message(joined)
    assert record["is_service"] is True
    assert record["action"] == {"type": "chat_add_user", "details": {"users": [BOB["id"]]}}
    assert record["pinned"] is False
    assert {u["id"] for u in message_users(joined)} == {ALICE["id"], BOB["id"]}
    pinned = message(GROUP, 2, "")
    del pinned["text"]
    pinned["pinned_message"] = message(GROUP, 1, "pinned one")
    record = map_message(pinned)
    assert record["action"]["type"] == "pin_message"
    assert record["reply_to_msg_id"] == 1
    title = map_message({**message(GROUP, 3, ""), "new_chat_title": "New"})
    assert title["action"] == {"type": "chat_edit_title", "details": {"title": "New"}}
    migrated = map_message({**message(GROUP, 4, ""), "migrate_to_chat_id": -1001234567890})
    assert migrated["action"] == {"type": "chat_migrate_to", "details": {"channel_id": 1234567890}}
    basic = {"id": -1001234567890, "type": "supergroup", "title": "Now super"}
    moved = map_message({**message(basic, 1, ""), "migrate_from_chat_id": -4000000001})
    assert moved["action"] == {"type": "channel_migrate_from", "details": {"chat_id": 4000000001}}
    created = map_message({**message(GROUP, 5, ""), "group_chat_created": True})
    assert created["action"] == {"type": "chat_create", "details": {}}
    topic = map_message(
        {**message(GROUP, 6, ""), "forum_topic_created": {"name": "Bugs", "icon_color": 1}}
    )
    assert topic["action"] == {"type": "topic_create", "details": {"name": "Bugs", "icon_color": 1}}


def test_users_chats_and_updates():
    user = map_user({**BOB, "is_premium": True})
    assert tuple(user) == USER_KEYS
    assert (user["first_name"], user["lang_code"], user["is_premium"]) == ("Bob", "de", True)
    private = map_chat({"id": 1002, "type": "private", "first_name": "Bob", "last_name": "B"})
    assert tuple(private) == CHAT_KEYS
    assert (private["type"], private["title"], private["source"]) == ("user", "Bob B", "bot_api")
    forum = map_chat({**GROUP, "is_forum": True, "description": "About", "linked_chat_id": -1002})
    assert (forum["is_forum"], forum["about"], forum["linked_chat_id"]) == (True, "About", -1002)
    assert update_message({"update_id": 1, "edited_channel_post": {"message_id": 1}}) == (
        {"message_id": 1},
        True,
    )
    assert update_message({"update_id": 2, "message_reaction": {}}) is None
