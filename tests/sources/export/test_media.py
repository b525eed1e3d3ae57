"""Pure mapping of export media kinds, polls and service actions to records."""

from __future__ import annotations

from typing import Any

import pytest

from tap_telegram.sources.export.mapping.messages import map_message
from tap_telegram.sources.export.mapping.parts import map_action, map_media
from tests.sources.export.support import message

CHAT = -1001234567890


def test_poll_answers_voters_and_formatted_question():
    poll: dict[str, Any] = {
        "question": ["Which ", {"type": "bold", "text": "orchestrator"}, "?"],
        "closed": False,
        "total_voters": 17,
        "answers": [
            {"text": "Airflow", "voters": 9, "chosen": True},
            {"text": [{"type": "plain", "text": "cron"}], "voters": 8, "chosen": False},
        ],
    }
    kind, media = map_media({"poll": poll})
    assert kind == "poll"
    assert media is not None
    assert media["question"] == media["title"] == "Which orchestrator?"
    assert media["answers"] == [
        {"text": "Airflow", "voters": 9, "chosen": True},
        {"text": "cron", "voters": 8, "chosen": False},
    ]
    assert (media["total_voters"], media["closed"]) == (17, False)


MEDIA_CASES = [
    (
        {"photo": "photos/p.jpg", "photo_file_size": 1000, "width": 800, "height": 600},
        "photo",
        {
            "size": 1000,
            "width": 800,
            "height": 600,
            "path": "photos/p.jpg",
            "mime_type": "image/jpeg",
        },
    ),
    (
        {"photo": "(File not included. Change data exporting settings to download.)"},
        "photo",
        {"path": None, "size": None},
    ),
    (
        {
            "file": "files/a.pdf",
            "file_name": "a.pdf",
            "file_size": 5,
            "mime_type": "application/pdf",
        },
        "document",
        {"file_name": "a.pdf", "size": 5, "mime_type": "application/pdf"},
    ),
    (
        {"file": "stickers/s.webp", "media_type": "sticker", "sticker_emoji": "😂", "width": 512},
        "sticker",
        {"emoji": "😂", "file_name": "s.webp"},
    ),
    ({"file": "v.mp4", "media_type": "video_message", "duration_seconds": 9}, "video_note", {}),
    ({"file": "a.ogg", "media_type": "voice_message", "duration_seconds": 17}, "voice", {}),
    ({"file": "g.mp4", "media_type": "animation"}, "animation", {}),
    (
        {"file": "v.mp4", "media_type": "video_file", "duration_seconds": 31, "height": 9},
        "video",
        {"duration": 31, "height": 9},
    ),
    (
        {"file": "s.mp3", "media_type": "audio_file", "performer": "Kino", "title": "Звезда"},
        "audio",
        {"performer": "Kino", "title": "Звезда"},
    ),
    (
        {"contact_information": {"first_name": "M", "last_name": "K", "phone_number": "+1"}},
        "contact",
        {"first_name": "M", "last_name": "K", "phone_number": "+1", "user_id": None},
    ),
    (
        {"location_information": {"latitude": 52.5, "longitude": 13.4}},
        "geo",
        {"latitude": 52.5, "longitude": 13.4},
    ),
    (
        {
            "location_information": {"latitude": 1, "longitude": 2},
            "live_location_period_seconds": 900,
        },
        "geo_live",
        {"period": 900},
    ),
    (
        {"place_name": "Markthalle", "address": "Str. 1", "location_information": None},
        "venue",
        {"title": "Markthalle", "address": "Str. 1", "latitude": None},
    ),
    (
        {"game_title": "Dash", "game_description": "Run", "game_link": "https://t.me/b?game=d"},
        "game",
        {"title": "Dash", "description": "Run", "url": "https://t.me/b?game=d"},
    ),
    (
        {"invoice_information": {"title": "P", "amount": 299, "currency": "EUR"}},
        "invoice",
        {"title": "P", "amount": 299, "currency": "EUR"},
    ),
    ({"paid_stars_amount": 25}, "paid_media", {"stars": 25}),
    (
        {"giveaway_information": {"quantity": 3, "kind": "overwrite?"}},
        "giveaway",
        {"quantity": 3},
    ),
    (
        {"photo": "p.jpg", "media_spoiler": True, "self_destruct_period_seconds": 10},
        "photo",
        {"spoiler": True, "ttl_seconds": 10},
    ),
]


@pytest.mark.parametrize(("fields", "kind", "expected"), MEDIA_CASES)
def test_media_kinds(fields, kind, expected):
    media_type, media = map_media(fields)
    assert media_type == kind
    assert media is not None
    assert media["kind"] == kind
    assert media["id"] is None
    for key, value in expected.items():
        assert dict(media)[key] == value, key


def test_message_without_media():
    assert map_media({"text": "x"}) == (None, None)


@pytest.mark.parametrize(
    ("fields", "kind", "details"),
    [
        ({"action": "invite_members", "members": ["Лена"]}, "chat_add_user", {"members": ["Лена"]}),
        ({"action": "remove_members", "members": ["Max"]}, "chat_delete_user", {}),
        ({"action": "edit_group_title", "title": "Дача"}, "chat_edit_title", {"title": "Дача"}),
        ({"action": "topic_created", "title": "العربية"}, "topic_create", {"title": "العربية"}),
        ({"action": "join_group_by_link", "inviter": "Yuki"}, "chat_joined_by_link", {}),
        (
            {"action": "phone_call", "duration_seconds": 754},
            "phone_call",
            {"duration_seconds": 754},
        ),
        ({"action": "some_future_action", "x": 1}, "some_future_action", {"x": 1}),
        ({"information_text": "changed the wallpaper"}, "custom_action", {}),
        (
            {"action": "set_same_chat_wallpaper", "message_id": 3},
            "set_chat_wall_paper",
            {"same": True},
        ),
    ],
)
def test_service_actions(fields, kind, details):
    raw = message(5, "", type="service", actor="Anna", actor_id="user7", **fields)
    del raw["from"], raw["from_id"]
    record = map_message(raw, CHAT)
    assert record is not None
    assert record["is_service"] is True
    assert (record["sender_id"], record["sender_name"]) == (7, "Anna")
    assert record["text"] is None
    action = record["action"]
    assert action is not None
    assert action["type"] == kind
    for key, value in details.items():
        assert action["details"][key] == value
    assert "actor" not in action["details"]
    assert "date" not in action["details"]


def test_pin_message_points_at_the_pinned_message():
    raw = message(6, "", type="service", actor="A", actor_id="user1", action="pin_message")
    raw["message_id"] = 5
    record = map_message(raw, CHAT)
    assert record is not None
    assert record["reply_to_msg_id"] == 5
    assert record["action"] is not None
    assert record["action"]["details"]["message_id"] == 5


def test_service_without_actor_has_no_sender():
    action = map_action({"action": "send_payment", "amount": 299, "currency": "EUR"})
    assert action == {
        "type": "payment_sent",
        "details": {"amount": 299, "currency": "EUR", "export_action": "send_payment"},
    }
