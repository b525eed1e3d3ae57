"""Logical messages carrying media, written three ways (see :mod:`tests.records.logical`).

One message per media kind that at least two sources carry; fields a source cannot
know are listed per case.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from tests.records.logical import (
    BOB_ID,
    Logical,
    bot_api_message,
    export_message,
    mtproto_message,
    text_with_entities,
)


def geo_point(lat: float, long: float) -> types.GeoPoint:
    return types.GeoPoint(long=long, lat=lat, access_hash=0)


def media_message(
    mtproto_media: Any,
    export_fields: dict[str, Any] | None,
    bot_api_fields: dict[str, Any] | None,
    **unknown: set[str],
) -> Logical:
    """A message carrying only media, the three ways (``None``: a source has no such media)."""
    return Logical(
        mtproto=mtproto_message(30, media=mtproto_media),
        export=None if export_fields is None else export_message(30, **export_fields),
        bot_api=None if bot_api_fields is None else bot_api_message(30, **bot_api_fields),
        unknown=unknown,
    )


LOCATION = {"latitude": 52.5, "longitude": 13.4}
PHOTO = types.Photo(
    id=9001,
    access_hash=1,
    file_reference=b"r",
    date=None,
    sizes=[types.PhotoSize("m", 320, 240, 9000), types.PhotoSize("y", 1280, 960, 98000)],
    dc_id=2,
)
VIDEO = types.Document(
    id=9002,
    access_hash=1,
    file_reference=b"r",
    date=None,
    mime_type="video/mp4",
    size=1048576,
    dc_id=2,
    attributes=[
        types.DocumentAttributeVideo(duration=12, w=1280, h=720),
        types.DocumentAttributeFilename(file_name="clip.mp4"),
    ],
)
#: Ids are in different spaces (MTProto ids, Bot API file_unique_id, none in exports).
NO_ID = {"media.id"}


def media_messages() -> dict[str, Logical]:
    """One logical message per media kind at least two sources carry."""
    poll = types.Poll(
        id=5,
        question=text_with_entities("Lunch?"),
        hash=0,
        answers=[
            types.PollAnswer(text=text_with_entities("Yes"), option=b"0"),
            types.PollAnswer(text=text_with_entities("No"), option=b"1"),
        ],
    )
    results = types.PollResults(
        total_voters=4,
        results=[
            types.PollAnswerVoters(option=b"0", voters=3, recent_voters=[], chosen=True),
            types.PollAnswerVoters(option=b"1", voters=1, recent_voters=[]),
        ],
    )
    todo = types.TodoList(
        title=text_with_entities("Move"),
        list=[
            types.TodoItem(1, text_with_entities("Boxes")),
            types.TodoItem(2, text_with_entities("Internet")),
        ],
    )
    return {
        "poll": media_message(
            types.MessageMediaPoll(poll=poll, results=results),
            {
                "poll": {
                    "question": "Lunch?",
                    "closed": False,
                    "total_voters": 4,
                    "answers": [
                        {"text": "Yes", "voters": 3, "chosen": True},
                        {"text": "No", "voters": 1, "chosen": False},
                    ],
                }
            },
            {
                "poll": {
                    "id": "5",
                    "question": "Lunch?",
                    "options": [
                        {"text": "Yes", "voter_count": 3},
                        {"text": "No", "voter_count": 1},
                    ],
                    "total_voter_count": 4,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                }
            },
            export={"media.id", "media.quiz", "media.multiple_choice"},
            bot_api={"media.answers[].chosen"},  # a bot is not told who voted for what
        ),
        "geo": media_message(
            types.MessageMediaGeo(geo=geo_point(52.5, 13.4)),
            {"location_information": LOCATION},
            {"location": LOCATION},
        ),
        "geo_live": media_message(
            types.MessageMediaGeoLive(geo=geo_point(52.5, 13.4), period=900),
            {"location_information": LOCATION, "live_location_period_seconds": 900},
            {"location": {**LOCATION, "live_period": 900}},
        ),
        "venue": media_message(
            types.MessageMediaVenue(geo_point(52.5, 13.4), "Cafe", "Main St 1", "", "", ""),
            {"place_name": "Cafe", "address": "Main St 1", "location_information": LOCATION},
            {
                "venue": {"location": LOCATION, "title": "Cafe", "address": "Main St 1"},
                "location": LOCATION,
            },
        ),
        "contact": media_message(
            types.MessageMediaContact("+100", "Jane", "Doe", "", BOB_ID),
            {
                "contact_information": {
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "phone_number": "+100",
                }
            },
            {
                "contact": {
                    "phone_number": "+100",
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "user_id": BOB_ID,
                }
            },
            export={"media.user_id"},  # tdesktop writes no user id for a contact
        ),
        "dice": media_message(
            types.MessageMediaDice(value=6, emoticon="🎲"),
            None,
            {"dice": {"emoji": "🎲", "value": 6}},
        ),
        "photo": media_message(
            types.MessageMediaPhoto(photo=PHOTO, spoiler=True),
            {
                "photo": "photos/p.jpg",
                "photo_file_size": 98000,
                "width": 1280,
                "height": 960,
                "media_spoiler": True,
            },
            {
                "photo": [
                    {
                        "file_id": "a",
                        "file_unique_id": "s1",
                        "width": 320,
                        "height": 240,
                        "file_size": 9000,
                    },
                    {
                        "file_id": "b",
                        "file_unique_id": "s2",
                        "width": 1280,
                        "height": 960,
                        "file_size": 98000,
                    },
                ],
                "has_media_spoiler": True,
            },
            mtproto={"media.path"},  # a file path exists only in an export (or after a download)
            export=NO_ID,
            bot_api=NO_ID | {"media.path"},
        ),
        "video": media_message(
            types.MessageMediaDocument(document=VIDEO),
            {
                "file": "video_files/clip.mp4",
                "file_name": "clip.mp4",
                "file_size": 1048576,
                "media_type": "video_file",
                "mime_type": "video/mp4",
                "duration_seconds": 12,
                "width": 1280,
                "height": 720,
            },
            {
                "video": {
                    "file_id": "v",
                    "file_unique_id": "v1",
                    "width": 1280,
                    "height": 720,
                    "duration": 12,
                    "mime_type": "video/mp4",
                    "file_size": 1048576,
                    "file_name": "clip.mp4",
                }
            },
            mtproto={"media.path"},
            export=NO_ID,
            bot_api=NO_ID | {"media.path"},
        ),
        "to_do": media_message(
            types.MessageMediaToDo(todo=todo),
            {
                "todo_list": {
                    "title": "Move",
                    "others_can_append": False,
                    "others_can_complete": False,
                    "answers": [{"text": "Boxes", "id": 1}, {"text": "Internet", "id": 2}],
                }
            },
            {
                "checklist": {
                    "title": "Move",
                    "tasks": [{"id": 1, "text": "Boxes"}, {"id": 2, "text": "Internet"}],
                }
            },
        ),
        "invoice": media_message(
            types.MessageMediaInvoice("Pro", "A year of Pro", "EUR", 299, "p"),
            {
                "invoice_information": {
                    "title": "Pro",
                    "description": "A year of Pro",
                    "amount": 299,
                    "currency": "EUR",
                }
            },
            {
                "invoice": {
                    "title": "Pro",
                    "description": "A year of Pro",
                    "start_parameter": "p",
                    "currency": "EUR",
                    "total_amount": 299,
                }
            },
        ),
        "game": media_message(
            types.MessageMediaGame(
                types.Game(
                    id=5,
                    access_hash=6,
                    short_name="race",
                    title="Race",
                    description="Fast",
                    photo=types.PhotoEmpty(id=0),
                )
            ),
            {"game_title": "Race", "game_description": "Fast"},
            {"game": {"title": "Race", "description": "Fast", "photo": []}},
            export=NO_ID,
            bot_api=NO_ID,
        ),
        "paid_media": media_message(
            types.MessageMediaPaidMedia(stars_amount=25, extended_media=[]),
            {"paid_stars_amount": 25},
            {"paid_media": {"star_count": 25, "paid_media": []}},
        ),
    }
