"""Pure functions: a Bot API Message's media field → the ``media`` record field.

Split from :mod:`tap_telegram.sources.bot_api.mapping.messages` because media kinds are
many; the message mapper calls :func:`map_media` and nothing else from here. Each
media field has one small reader in :data:`MEDIA_READERS` that picks the Bot API
object's fields and hands them to a builder of :mod:`tap_telegram.records.media`.

Media ids are Bot API ``file_unique_id`` values: stable for a file across bots and
time, but not the MTProto photo/document id (the Bot API does not expose it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tap_telegram.records import media as build
from tap_telegram.records.schemas import empty_media

if TYPE_CHECKING:
    from tap_telegram.records.types import MediaRecord

#: Fields of a file other than a photo; each field name is the tap's media kind.
FILE_FIELDS = ("animation", "video", "video_note", "voice", "audio", "sticker", "document")

#: Media fields, most specific first: an ``animation`` message also carries
#: ``document``, a ``venue`` also carries ``location``. Each has a reader in
#: :data:`MEDIA_READERS` or keeps just its kind (the field name).
MEDIA_FIELDS = (
    "photo",
    *FILE_FIELDS,
    "poll",
    "venue",
    "location",
    "contact",
    "dice",
    "game",
    "story",
    "invoice",
    "giveaway",
    "paid_media",
    "checklist",
)


def _file(kind: str, data: Mapping[str, Any]) -> MediaRecord:
    """A file field (its name is the kind); a video note's size is its ``length``."""
    return build.document(
        kind,
        file_id=data.get("file_unique_id"),
        mime_type=data.get("mime_type"),
        size=data.get("file_size"),
        file_name=data.get("file_name"),
        duration=data.get("duration"),
        width=data.get("width", data.get("length")),
        height=data.get("height", data.get("length")),
        title=data.get("title"),
        performer=data.get("performer"),
        emoji=data.get("emoji"),
    )


def _photo(sizes: list[dict[str, Any]]) -> MediaRecord:
    largest = max(sizes, key=lambda size: size.get("width", 0) * size.get("height", 0))
    return build.photo(
        photo_id=largest.get("file_unique_id"),
        width=largest.get("width"),
        height=largest.get("height"),
        size=largest.get("file_size"),
    )


def _poll(poll: Mapping[str, Any]) -> MediaRecord:
    # A bot never votes, and the Bot API does not say who did: ``chosen`` is unknown.
    return build.poll(
        poll.get("question"),
        (
            build.poll_answer(option.get("text"), option.get("voter_count"))
            for option in poll.get("options") or []
        ),
        poll_id=poll.get("id"),
        total_voters=poll.get("total_voter_count"),
        closed=bool(poll.get("is_closed")),
        quiz=poll.get("type") == "quiz",
        multiple_choice=bool(poll.get("allows_multiple_answers")),
    )


def _venue(venue: Mapping[str, Any]) -> MediaRecord:
    location = venue.get("location", venue)
    latitude, longitude = location.get("latitude"), location.get("longitude")
    return build.venue(latitude, longitude, venue.get("title"), venue.get("address"))


def _location(location: Mapping[str, Any]) -> MediaRecord:
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if location.get("live_period"):
        return build.live_location(latitude, longitude, location["live_period"])
    return build.geo(latitude, longitude)


def _contact(contact: Mapping[str, Any]) -> MediaRecord:
    return build.contact(
        contact.get("first_name"),
        contact.get("last_name"),
        contact.get("phone_number"),
        contact.get("user_id"),
    )


def _dice(dice: Mapping[str, Any]) -> MediaRecord:
    return build.dice(dice.get("emoji"), dice.get("value"))


def _game(game: Mapping[str, Any]) -> MediaRecord:
    return build.game(game.get("title"), game.get("description"))


def _invoice(invoice: Mapping[str, Any]) -> MediaRecord:
    return build.invoice(
        invoice.get("title"),
        invoice.get("description"),
        invoice.get("total_amount"),
        invoice.get("currency"),
    )


def _paid_media(paid: Mapping[str, Any]) -> MediaRecord:
    return build.paid_media(paid.get("star_count"))


def _checklist(checklist: Mapping[str, Any]) -> MediaRecord:
    tasks = checklist.get("tasks") or []
    return build.to_do(checklist.get("title"), (task.get("text") for task in tasks))


#: Media field → its reader (fields not listed keep just their kind).
MEDIA_READERS: dict[str, Callable[[Any], MediaRecord]] = {
    "photo": _photo,
    **{kind: functools.partial(_file, kind) for kind in FILE_FIELDS},
    "poll": _poll,
    "venue": _venue,
    "location": _location,
    "contact": _contact,
    "dice": _dice,
    "game": _game,
    "invoice": _invoice,
    "paid_media": _paid_media,
    "checklist": _checklist,
}


def map_media(message: Mapping[str, Any]) -> tuple[str | None, MediaRecord | None]:
    """``(media_type, media)`` with the tap's kind names; ``(None, None)`` without media."""
    field = next((name for name in MEDIA_FIELDS if message.get(name) is not None), None)
    if field is None:
        return None, None
    reader = MEDIA_READERS.get(field)
    media = empty_media(field) if reader is None else reader(message[field])
    build.set_flags(media, spoiler=message.get("has_media_spoiler"))
    return str(media["kind"]), media
