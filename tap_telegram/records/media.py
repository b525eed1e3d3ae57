"""Builders of a message's ``media`` object, one per media kind.

Each starts from :func:`~tap_telegram.records.schemas.empty_media` (every declared key
present) and fills the kind's fields; keys beyond the schema (``items`` of a to-do
list, ``amount`` of an invoice, ``spoiler``, ...) are spelled here too, so every
source that knows a field writes it under the same name and in the same order. A
source decides *which* builder applies and converts its native values (TL objects,
export strings, Bot API dicts) to the arguments. Ids are strings: photo and document
ids are 64-bit, and Bot API ids are strings already.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast

from tap_telegram.records.schemas import MEDIA_KEYS, empty_media

if TYPE_CHECKING:
    from tap_telegram.records.types import JSONValue, MediaRecord, PollAnswerRecord


def _string(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def photo(
    *,
    photo_id: str | int | None = None,
    width: int | None = None,
    height: int | None = None,
    size: int | None = None,
    path: str | None = None,
) -> MediaRecord:
    """A photo (Telegram stores photos as JPEG); sizes are those of its largest copy."""
    media = empty_media("photo")
    media.update(
        {
            "id": _string(photo_id),
            "mime_type": "image/jpeg",
            "size": size,
            "width": width,
            "height": height,
        }
    )
    media["path"] = path
    return media


def document(
    kind: str,
    *,
    file_id: str | int | None = None,
    mime_type: str | None = None,
    size: int | None = None,
    file_name: str | None = None,
    duration: float | None = None,
    width: int | None = None,
    height: int | None = None,
    title: str | None = None,
    performer: str | None = None,
    emoji: str | None = None,
    path: str | None = None,
) -> MediaRecord:
    """Any file but a photo; ``kind`` is one of :data:`.constants.FILE_KINDS`."""
    media = empty_media(kind)
    media.update(
        {
            "id": _string(file_id),
            "mime_type": mime_type,
            "size": size,
            "file_name": file_name,
            "duration": duration,
            "width": width,
            "height": height,
            "title": title,
            "performer": performer,
            "emoji": emoji,
            "path": path,
        }
    )
    return media


def poll_answer(
    text: str | None, voters: int | None = None, chosen: bool | None = None
) -> PollAnswerRecord:
    """One ``answers[]`` item; ``voters``/``chosen`` are ``None`` when the source cannot know."""
    return {"text": text, "voters": voters, "chosen": chosen}


def poll(
    question: str | None,
    answers: Iterable[PollAnswerRecord],
    *,
    poll_id: str | int | None = None,
    total_voters: int | None = None,
    closed: bool | None = None,
    quiz: bool | None = None,
    multiple_choice: bool | None = None,
) -> MediaRecord:
    """A poll; ``answers`` come from :func:`poll_answer`. The question is also the title."""
    media = empty_media("poll")
    media.update(
        {
            "id": _string(poll_id),
            "title": question,
            "question": question,
            "answers": list(answers),
            "total_voters": total_voters,
            "closed": closed,
            "quiz": quiz,
            "multiple_choice": multiple_choice,
        }
    )
    return media


def geo(latitude: float | None, longitude: float | None) -> MediaRecord:
    """A point on the map (``None`` coordinates: the source had an empty point)."""
    media = empty_media("geo")
    media.update({"latitude": latitude, "longitude": longitude})
    return media


def live_location(
    latitude: float | None, longitude: float | None, period: int | None
) -> MediaRecord:
    """A live location, shared for ``period`` seconds."""
    media = empty_media("geo_live")
    media.update({"latitude": latitude, "longitude": longitude, "period": period})
    return media


def venue(
    latitude: float | None, longitude: float | None, title: str | None, address: str | None
) -> MediaRecord:
    """A named place with an address."""
    media = empty_media("venue")
    media.update({"latitude": latitude, "longitude": longitude, "title": title, "address": address})
    return media


def contact(
    first_name: str | None,
    last_name: str | None,
    phone_number: str | None,
    user_id: int | None = None,
) -> MediaRecord:
    """A shared contact; ``user_id`` only when the contact is a Telegram user (0 is none)."""
    media = empty_media("contact")
    media.update(
        {
            "first_name": first_name,
            "last_name": last_name,
            "phone_number": phone_number,
            "user_id": user_id or None,
        }
    )
    return media


def dice(emoji: str | None, value: int | None) -> MediaRecord:
    """An animated dice (or dart, ball, ...) and the value it showed."""
    media = empty_media("dice")
    media.update({"emoji": emoji, "value": value})
    return media


def game(
    title: str | None,
    description: str | None,
    *,
    game_id: str | int | None = None,
    url: str | None = None,
) -> MediaRecord:
    """A bot game; ``url`` is the game link when the source has one."""
    media = empty_media("game")
    media.update({"id": _string(game_id), "title": title, "url": url, "description": description})
    return media


def webpage(
    url: str | None,
    *,
    page_id: str | int | None = None,
    title: str | None = None,
    site_name: str | None = None,
    description: str | None = None,
) -> MediaRecord:
    """A link preview."""
    media = empty_media("webpage")
    media.update(
        {
            "id": _string(page_id),
            "url": url,
            "title": title,
            "site_name": site_name,
            "description": description,
        }
    )
    return media


def invoice(
    title: str | None,
    description: str | None,
    amount: int | None,
    currency: str | None,
    receipt_message_id: int | None = None,
) -> MediaRecord:
    """A payment invoice; ``amount`` in the currency's smallest unit (cents)."""
    media = empty_media("invoice")
    media.update({"title": title, "description": description})
    media.update({"amount": amount, "currency": currency, "receipt_message_id": receipt_message_id})
    return media


def to_do(title: str | None, items: Iterable[str | None]) -> MediaRecord:
    """A to-do list (checklist): its title and the text of each item, in order."""
    media = empty_media("to_do")
    media["title"] = title
    media["items"] = list(items)
    return media


def paid_media(stars: int | None) -> MediaRecord:
    """Media behind a payment: what the source tells is the price in stars."""
    media = empty_media("paid_media")
    media["stars"] = stars
    return media


def with_extras(kind: str, fields: Mapping[str, JSONValue] | None) -> MediaRecord:
    """A ``kind`` object carrying a source's own ``fields``, never over a declared key.

    For kinds whose fields differ by source (giveaways): kept rather than dropped.
    """
    media = empty_media(kind)
    # The source's own keys: the schema allows them (additional_properties), no type lists them.
    extras = cast("dict[str, JSONValue]", media)
    extras.update((key, value) for key, value in (fields or {}).items() if key not in MEDIA_KEYS)
    return media


def set_flags(
    media: MediaRecord, *, spoiler: bool | None = None, ttl_seconds: int | None = None
) -> MediaRecord:
    """Mark ``media`` hidden under a spoiler and/or self-destructing; returns it.

    Both keys are set only when true, so media without them keeps the plain shape.
    """
    if spoiler:
        media["spoiler"] = True
    if ttl_seconds:
        media["ttl_seconds"] = ttl_seconds
    return media
