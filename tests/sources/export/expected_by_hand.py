"""Expected ``messages`` records of the bundled export, one per message kind, WRITTEN BY HAND.

Never regenerate this file from the mapper (unlike ``tests/golden/``, which
``UPDATE_GOLDEN=1`` rewrites): each value below was read off the message's JSON in
``examples/telegram-export/result.json`` and the rules of the README's record schema
(dates from ``date_unixtime`` in UTC, marked chat ids, entity offsets in UTF-16 units,
``media.kind`` = ``media_type``, paths relative to the export). When the mapper and this
file disagree, decide which one is wrong; change this file only for an intended change
of the record shape, by hand (``test_handwritten.py`` compares field by field, so a new
field fails until it is written here).
"""

from __future__ import annotations

from typing import Any

LENA, ANNA, CARLOS, PRIYA = 5107788123, 6234509876, 1844213370, 2093388451
SAVED, ANNA_CHAT, DACHA = 5107788123, 6234509876, -923456781
DATAENG, MARKET = -1001765432109, -1001987654321

#: Every field of a message record, as a message with none of them set has it.
MESSAGE: dict[str, Any] = {
    "chat_id": None,
    "id": None,
    "date": None,
    "edit_date": None,
    "sender_id": None,
    "sender_type": None,
    "sender_name": None,
    "sender_username": None,
    "text": None,
    "entities": None,
    "reply_to_msg_id": None,
    "reply_to_top_id": None,
    "topic_id": None,
    "fwd_from": None,
    "via_bot_id": None,
    "post_author": None,
    "views": None,
    "forwards": None,
    "replies_count": None,
    "reactions": None,
    "media_type": None,
    "media": None,
    "grouped_id": None,
    "pinned": None,
    "silent": None,
    "is_service": False,
    "action": None,
    "deleted": None,
    "deleted_detected_at": None,
    "deleted_scope": None,
    "comment_post_id": None,
    "comment_channel_id": None,
    # core.telegram.org/api/links: channels and supergroups only; an export names no
    # username, so t.me/c/<id>/[<topic>/]<id> (plain in the General topic and a topic's root).
    "link": None,
}

#: Every field of ``media``, unset.
MEDIA: dict[str, Any] = dict.fromkeys(
    [
        "kind", "id", "mime_type", "size", "file_name", "duration", "width", "height",
        "title", "performer", "emoji", "url", "question", "answers", "total_voters",
        "closed", "quiz", "multiple_choice", "latitude", "longitude", "address", "period",
        "first_name", "last_name", "phone_number", "user_id", "site_name", "description",
        "value", "path", "sha256",
    ]
)  # fmt: skip

LENA_SENDS = {
    "sender_id": LENA,
    "sender_type": "user",
    "sender_name": "Лена Соколова",
    # The export's owner: her @username is in personal_information.
    "sender_username": "lena_sokol",
}
ANNA_SENDS = {"sender_id": ANNA, "sender_type": "user", "sender_name": "Анна Смирнова"}


def message(**fields: Any) -> dict[str, Any]:
    """A whole record: :data:`MESSAGE` with ``fields`` set."""
    unknown = set(fields) - set(MESSAGE)
    assert not unknown, f"not message fields: {unknown}"
    return {**MESSAGE, **fields}


def media(**fields: Any) -> dict[str, Any]:
    """A whole ``media`` object: :data:`MEDIA` with ``fields`` set."""
    unknown = set(fields) - set(MEDIA)
    assert not unknown, f"not media fields: {unknown}"
    return {**MEDIA, **fields}


#: Kind -> the expected record (``chat_id`` and ``id`` say which message it is).
BY_KIND: dict[str, dict[str, Any]] = {
    # date_unixtime 1705303852 = 2024-01-15 07:30:52 UTC (the file's local time is UTC+3).
    "text": message(
        chat_id=SAVED,
        id=48008,
        date="2024-01-15T07:30:52+00:00",
        **LENA_SENDS,
        text="Список на переезд: коробки, скотч, Anmeldung, интернет, страховка",
    ),
    # A text of strings and entity objects: "🎂" is two UTF-16 units, so "Thank you"
    # starts at 32; the custom emoji "❤️" (U+2764 U+FE0F) at 32 + 9 + 17 = 58.
    "text with entities and reactions": message(
        link="https://t.me/c/1987654321/27",
        chat_id=MARKET,
        id=27,
        date="2024-01-20T10:07:05+00:00",
        sender_id=MARKET,
        sender_type="channel",
        sender_name="Tokyo Night Market 東京夜市",
        text="🎂 The night market turns five! Thank you for every visit ❤️",
        entities=[
            {
                "type": "bold",
                "offset": 32,
                "length": 9,
                "url": None,
                "user_id": None,
                "language": None,
                "custom_emoji_id": None,
            },
            {
                "type": "custom_emoji",
                "offset": 58,
                "length": 2,
                "url": None,
                "user_id": None,
                "language": None,
                "custom_emoji_id": "5368324170671202286",
            },
        ],
        reactions=[
            {"emoji": "🎉", "custom_emoji_id": None, "paid": False, "count": 310},
            {"emoji": None, "custom_emoji_id": "5368324170671202286", "paid": False, "count": 41},
            {"emoji": None, "custom_emoji_id": None, "paid": True, "count": 12},
        ],
    ),
    "photo": message(
        chat_id=ANNA_CHAT,
        id=48121,
        date="2024-01-15T07:37:52+00:00",
        **LENA_SENDS,
        text="",
        media_type="photo",
        media=media(
            kind="photo",
            mime_type="image/jpeg",  # the export names no type: a .jpg photo
            size=184233,
            width=1280,
            height=960,
            path="chats/chat_002/photos/photo_1@15-01-2024_10-41-07.jpg",
        ),
    ),
    "file": message(
        chat_id=SAVED,
        id=436088,
        date="2024-02-01T03:45:44+00:00",
        **LENA_SENDS,
        text="",
        media_type="document",  # a file without media_type is a document
        media=media(
            kind="document",
            mime_type="application/pdf",
            size=388112,
            file_name="Anmeldung_Formular.pdf",
            path="chats/chat_001/files/Anmeldung_Formular.pdf",
        ),
    ),
    "audio_file": message(
        chat_id=SAVED,
        id=449888,
        date="2024-02-01T18:08:20+00:00",
        **LENA_SENDS,
        text="",
        media_type="audio",
        media=media(
            kind="audio",
            mime_type="audio/mpeg",
            size=6122881,
            file_name="playlist.mp3",
            duration=226,
            title="Звезда по имени Солнце",
            performer="Kino",
            path="chats/chat_001/files/playlist.mp3",
        ),
    ),
    "location (venue)": message(
        chat_id=SAVED,
        id=449896,
        date="2024-02-01T18:08:39+00:00",
        **LENA_SENDS,
        text="",
        media_type="venue",  # a place name and address with the location
        media=media(
            kind="venue",
            title="Markthalle Neun",
            latitude=52.502108,
            longitude=13.431771,
            address="Eisenbahnstraße 42/43, Berlin",
        ),
    ),
    "voice_message": message(
        chat_id=ANNA_CHAT,
        id=52089,
        date="2024-01-15T11:45:45+00:00",
        **LENA_SENDS,
        text="",
        media_type="voice",
        media=media(
            kind="voice",
            mime_type="audio/ogg",
            size=48213,
            file_name="audio_1@15-01-2024_13-02-55.ogg",
            duration=17,
            path="chats/chat_002/voice_messages/audio_1@15-01-2024_13-02-55.ogg",
        ),
    ),
    "video_message": message(
        chat_id=ANNA_CHAT,
        id=52225,
        date="2024-01-15T11:54:15+00:00",
        **ANNA_SENDS,
        text="",
        media_type="video_note",
        media=media(
            kind="video_note",
            mime_type="video/mp4",
            size=812004,
            file_name="file_2@15-01-2024_13-09-12.mp4",
            duration=9,
            width=384,
            height=384,
            path="chats/chat_002/round_video_messages/file_2@15-01-2024_13-09-12.mp4",
        ),
    ),
    "sticker": message(
        chat_id=ANNA_CHAT,
        id=52273,
        date="2024-01-15T11:57:07+00:00",
        **LENA_SENDS,
        text="",
        media_type="sticker",
        media=media(
            kind="sticker",
            mime_type="image/webp",
            size=22018,
            file_name="sticker.webp",
            width=512,
            height=512,
            emoji="😂",
            path="chats/chat_002/stickers/sticker.webp",
        ),
    ),
    "contact": message(
        chat_id=ANNA_CHAT,
        id=55609,
        date="2024-01-15T15:25:47+00:00",
        **ANNA_SENDS,
        text="",
        media_type="contact",
        media=media(
            kind="contact",
            first_name="Марина",
            last_name="Кузнецова",
            phone_number="+44 7700 900123",
            # The export's .vcard file is not the contact's media: the contact's fields
            # are all here, as from MTProto, whose contacts carry no file.
        ),
    ),
    "video_file": message(
        chat_id=ANNA_CHAT,
        id=80409,
        date="2024-01-16T17:15:59+00:00",
        **ANNA_SENDS,
        text="",
        media_type="video",
        media=media(
            kind="video",
            mime_type="video/mp4",
            size=5830112,
            file_name="video_1@22-01-2024_09-30-12.mp4",
            duration=31,
            width=1080,
            height=1920,
            path="chats/chat_002/video_files/video_1@22-01-2024_09-30-12.mp4",
        ),
    ),
    "poll": message(
        chat_id=DACHA,
        id=463267,
        date="2024-02-02T08:04:23+00:00",
        **ANNA_SENDS,
        text="",
        reactions=[{"emoji": "👍", "custom_emoji_id": None, "paid": False, "count": 2}],
        media_type="poll",
        media=media(
            kind="poll",
            title="Когда едем?",
            question="Когда едем?",
            answers=[
                {"text": "Пятница вечером", "voters": 3, "chosen": True},
                {"text": "Суббота утром", "voters": 1, "chosen": False},
                {"text": "Не смогу 😢", "voters": 0, "chosen": False},  # noqa: RUF001
            ],
            total_voters=4,
            closed=True,
        ),
    ),
    # A reply inside forum topic 13 (its root), sent via @gif (no bot id in the export).
    "animation": message(
        link="https://t.me/c/1765432109/13/27",
        chat_id=DATAENG,
        id=27,
        date="2024-01-06T11:59:42+00:00",
        sender_id=PRIYA,
        sender_type="user",
        sender_name="Priya Nair",
        text="",
        reply_to_msg_id=13,
        reply_to_top_id=13,
        topic_id=13,
        media_type="animation",
        media=media(
            kind="animation",
            mime_type="video/mp4",
            size=188113,
            file_name="giphy.mp4",
            duration=3,
            width=480,
            height=270,
            path="chats/chat_005/video_files/giphy.mp4",
        ),
    ),
    "service: phone_call": message(
        chat_id=ANNA_CHAT,
        id=49353,
        date="2024-01-15T08:54:44+00:00",
        **ANNA_SENDS,
        is_service=True,
        action={
            "type": "phone_call",
            "details": {
                "duration_seconds": 754,
                "discard_reason": "hangup",
                "export_action": "phone_call",
            },
        },
    ),
    "service: pin_message": message(
        link="https://t.me/c/1765432109/10",
        chat_id=DATAENG,
        id=10,
        date="2024-01-06T08:10:39+00:00",
        sender_id=CARLOS,
        sender_type="user",
        sender_name="Carlos Mendes",
        # Like MTProto's pin service message: it replies to the pinned message.
        reply_to_msg_id=9,
        topic_id=1,  # a forum's message outside any topic is in General
        is_service=True,
        action={
            "type": "pin_message",
            "details": {"message_id": 9, "export_action": "pin_message"},
        },
    ),
    "service: topic_created": message(
        link="https://t.me/c/1765432109/11",
        chat_id=DATAENG,
        id=11,
        date="2024-01-06T08:14:15+00:00",
        sender_id=CARLOS,
        sender_type="user",
        sender_name="Carlos Mendes",
        topic_id=11,  # the topic's root is its own message
        is_service=True,
        action={
            "type": "topic_create",
            "details": {"title": "Pipelines 🛠", "export_action": "topic_created"},
        },
    ),
}
