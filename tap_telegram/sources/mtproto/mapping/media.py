"""Pure functions from Telethon media objects to the ``media`` record field.

Split from :mod:`tap_telegram.sources.mtproto.mapping.messages` because media kinds are many; the
message mapper calls :func:`map_media` and nothing else from here. Each ``MessageMedia*``
class has one small function in :data:`MEDIA_MAPPERS` that reads the TL object and
hands plain values to a builder of :mod:`tap_telegram.records.media`, which spells the
record; a class without one keeps just its kind.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

from telethon.tl import types
from telethon.tl.tlobject import TLObject

from tap_telegram.records import media as build
from tap_telegram.records.constants import UTC
from tap_telegram.records.schemas import empty_media

if TYPE_CHECKING:
    from tap_telegram.records.types import JSONValue, MediaRecord


def tl_to_json(value: Any) -> JSONValue:
    """Convert a TL object (or anything inside one) into JSON-safe values.

    Datetimes become ISO strings, bytes become base64, 64-bit ids stay integers.
    Used for the free-form parts of records (action details, poll extras).
    """
    if isinstance(value, TLObject):
        value = value.to_dict()
    if isinstance(value, dict):
        return {key: tl_to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [tl_to_json(item) for item in value]
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    scalar: JSONValue = value  # what a TL object holds besides the above: str, int, float, bool
    return scalar


def _text(value: Any) -> str | None:
    """Plain text of a ``TextWithEntities`` or a str (poll texts changed type)."""
    if value is None:
        return None
    return getattr(value, "text", value) if not isinstance(value, str) else value


def _largest_photo_size(photo: Any) -> tuple[int | None, int | None, int | None]:
    """(width, height, bytes) of the largest stored size of a photo."""
    best: tuple[int | None, int | None, int | None] = (None, None, None)
    best_area = -1
    for size in getattr(photo, "sizes", None) or []:
        width, height = getattr(size, "w", None), getattr(size, "h", None)
        if width is None or height is None:
            continue
        if isinstance(size, types.PhotoSizeProgressive):
            nbytes: int | None = max(size.sizes) if size.sizes else None
        elif isinstance(size, types.PhotoCachedSize):
            nbytes = len(size.bytes)
        else:
            nbytes = getattr(size, "size", None)
        if width * height > best_area:
            best_area = width * height
            best = (width, height, nbytes)
    return best


def _document_kind(document: Any) -> str:
    attributes = document.attributes or []
    kinds = {type(attr) for attr in attributes}
    if types.DocumentAttributeSticker in kinds or types.DocumentAttributeCustomEmoji in kinds:
        return "sticker"
    if types.DocumentAttributeAnimated in kinds:
        return "animation"
    for attr in attributes:
        if isinstance(attr, types.DocumentAttributeVideo):
            return "video_note" if attr.round_message else "video"
        if isinstance(attr, types.DocumentAttributeAudio):
            return "voice" if attr.voice else "audio"
    return "document"


class _DocumentFields(TypedDict, total=False):
    """The :func:`.media.document` arguments a document's attributes may give."""

    file_name: str | None
    duration: float | None
    width: int | None
    height: int | None
    title: str | None
    performer: str | None
    emoji: str | None


def _document_fields(document: Any) -> _DocumentFields:
    """The builder arguments a document's attributes give (a later attribute wins)."""
    fields: _DocumentFields = {}
    for attr in document.attributes or []:
        if isinstance(attr, types.DocumentAttributeFilename):
            fields["file_name"] = attr.file_name
        elif isinstance(attr, (types.DocumentAttributeVideo, types.DocumentAttributeAudio)):
            fields["duration"] = attr.duration
            if isinstance(attr, types.DocumentAttributeVideo):
                fields["width"], fields["height"] = attr.w, attr.h
            else:
                fields["title"], fields["performer"] = attr.title, attr.performer
        elif isinstance(attr, types.DocumentAttributeImageSize):
            fields["width"], fields["height"] = attr.w, attr.h
        elif isinstance(attr, (types.DocumentAttributeSticker, types.DocumentAttributeCustomEmoji)):
            fields["emoji"] = attr.alt or None
    return fields


def _photo(media: types.MessageMediaPhoto) -> MediaRecord:
    if not isinstance(media.photo, types.Photo):  # PhotoEmpty: expired or removed
        out = empty_media("photo")
    else:
        width, height, nbytes = _largest_photo_size(media.photo)
        out = build.photo(photo_id=media.photo.id, width=width, height=height, size=nbytes)
    return build.set_flags(out, spoiler=media.spoiler, ttl_seconds=media.ttl_seconds)


def _document(media: types.MessageMediaDocument) -> MediaRecord:
    document = media.document
    if not isinstance(document, types.Document):  # DocumentEmpty
        out = empty_media("document")
    else:
        out = build.document(
            _document_kind(document),
            file_id=document.id,
            mime_type=document.mime_type,
            size=document.size,
            **_document_fields(document),
        )
    return build.set_flags(out, spoiler=media.spoiler, ttl_seconds=media.ttl_seconds)


def _poll(media: types.MessageMediaPoll) -> MediaRecord:
    poll = media.poll
    voters, chosen = {}, {}
    results = media.results
    for item in (results.results if results and results.results else []) or []:
        voters[bytes(item.option)] = item.voters
        chosen[bytes(item.option)] = bool(item.chosen)
    return build.poll(
        _text(poll.question),
        (
            build.poll_answer(
                _text(answer.text),
                voters.get(bytes(answer.option)),
                chosen.get(bytes(answer.option)),
            )
            for answer in poll.answers
        ),
        poll_id=poll.id,
        total_voters=results.total_voters if results else None,
        closed=bool(poll.closed),
        quiz=bool(poll.quiz),
        multiple_choice=bool(poll.multiple_choice),
    )


def _point(geo: Any) -> tuple[float | None, float | None]:
    """(latitude, longitude) of a GeoPoint; ``(None, None)`` for GeoPointEmpty."""
    if isinstance(geo, types.GeoPoint):
        return geo.lat, geo.long
    return None, None


def _geo(media: types.MessageMediaGeo) -> MediaRecord:
    return build.geo(*_point(media.geo))


def _geo_live(media: types.MessageMediaGeoLive) -> MediaRecord:
    return build.live_location(*_point(media.geo), media.period)


def _venue(media: types.MessageMediaVenue) -> MediaRecord:
    return build.venue(*_point(media.geo), media.title, media.address)


def _contact(media: types.MessageMediaContact) -> MediaRecord:
    return build.contact(media.first_name, media.last_name, media.phone_number, media.user_id)


def _webpage(media: types.MessageMediaWebPage) -> MediaRecord:
    page = media.webpage
    if isinstance(page, types.WebPage):
        return build.webpage(
            page.url,
            page_id=page.id,
            title=page.title,
            site_name=page.site_name,
            description=page.description,
        )
    return build.webpage(getattr(page, "url", None))  # pending or empty preview


def _dice(media: types.MessageMediaDice) -> MediaRecord:
    return build.dice(media.emoticon, media.value)


def _game(media: types.MessageMediaGame) -> MediaRecord:
    game = media.game
    return build.game(game.title, game.description or None, game_id=game.id)


def _invoice(media: types.MessageMediaInvoice) -> MediaRecord:
    return build.invoice(
        media.title, media.description, media.total_amount, media.currency, media.receipt_msg_id
    )


def _to_do(media: types.MessageMediaToDo) -> MediaRecord:
    todo = media.todo
    return build.to_do(_text(todo.title), (_text(item.title) for item in todo.list))


def _paid_media(media: types.MessageMediaPaidMedia) -> MediaRecord:
    return build.paid_media(media.stars_amount)


#: ``MessageMedia*`` class → its mapper. TL classes are never subclassed, so the
#: exact class is the key.
MEDIA_MAPPERS: dict[type, Callable[[Any], MediaRecord]] = {
    types.MessageMediaPhoto: _photo,
    types.MessageMediaDocument: _document,
    types.MessageMediaPoll: _poll,
    types.MessageMediaGeo: _geo,
    types.MessageMediaGeoLive: _geo_live,
    types.MessageMediaVenue: _venue,
    types.MessageMediaContact: _contact,
    types.MessageMediaWebPage: _webpage,
    types.MessageMediaDice: _dice,
    types.MessageMediaGame: _game,
    types.MessageMediaInvoice: _invoice,
    types.MessageMediaToDo: _to_do,
    types.MessageMediaPaidMedia: _paid_media,
}


def map_media(media: Any) -> tuple[str, MediaRecord]:
    """Return ``(media_type, media)`` for any MessageMedia."""
    mapper = MEDIA_MAPPERS.get(type(media))
    out = mapper(media) if mapper is not None else empty_media(_kind_name(media))
    return out["kind"], out


def _kind_name(media: Any) -> str:
    return snake_case(type(media).__name__.removeprefix("MessageMedia")) or "unsupported"


def snake_case(name: str) -> str:
    """``ChatAddUser`` → ``chat_add_user``: TL class names as record values."""
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)
