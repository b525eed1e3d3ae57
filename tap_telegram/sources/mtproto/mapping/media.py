"""Pure functions from Telethon media objects to the ``media`` record field.

Split from :mod:`tap_telegram.sources.mtproto.mapping.messages` because media kinds are many; the
message mapper calls :func:`map_media` and nothing else from here.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from telethon.tl import types
from telethon.tl.tlobject import TLObject

from tap_telegram.records.schemas import empty_media


def tl_to_json(value: Any) -> Any:
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
        aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return aware.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _text(value: Any) -> str | None:
    """Plain text of a ``TextWithEntities`` or a str (poll texts changed type)."""
    if value is None:
        return None
    return getattr(value, "text", value) if not isinstance(value, str) else value


def _base(kind: str) -> dict[str, Any]:
    return empty_media(kind)


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


def _document(document: Any) -> dict[str, Any]:
    media = _base(_document_kind(document))
    media.update(id=str(document.id), mime_type=document.mime_type, size=document.size)
    for attr in document.attributes or []:
        if isinstance(attr, types.DocumentAttributeFilename):
            media["file_name"] = attr.file_name
        elif isinstance(attr, (types.DocumentAttributeVideo, types.DocumentAttributeAudio)):
            media["duration"] = attr.duration
            if isinstance(attr, types.DocumentAttributeVideo):
                media["width"], media["height"] = attr.w, attr.h
            else:
                media["title"], media["performer"] = attr.title, attr.performer
        elif isinstance(attr, types.DocumentAttributeImageSize):
            media["width"], media["height"] = attr.w, attr.h
        elif isinstance(attr, (types.DocumentAttributeSticker, types.DocumentAttributeCustomEmoji)):
            media["emoji"] = attr.alt or None
    return media


def _poll(media: types.MessageMediaPoll) -> dict[str, Any]:
    out = _base("poll")
    poll = media.poll
    voters, chosen = {}, {}
    results = media.results
    for item in (results.results if results and results.results else []) or []:
        voters[bytes(item.option)] = item.voters
        chosen[bytes(item.option)] = bool(item.chosen)
    out.update(
        id=str(poll.id),
        title=_text(poll.question),
        question=_text(poll.question),
        answers=[
            {
                "text": _text(answer.text),
                "voters": voters.get(bytes(answer.option)),
                "chosen": chosen.get(bytes(answer.option)),
            }
            for answer in poll.answers
        ],
        total_voters=results.total_voters if results else None,
        closed=bool(poll.closed),
        quiz=bool(poll.quiz),
        multiple_choice=bool(poll.multiple_choice),
    )
    return out


def map_media(media: Any) -> tuple[str, dict[str, Any]]:
    """Return ``(media_type, media)`` for any MessageMedia."""
    if isinstance(media, types.MessageMediaPhoto):
        out = _base("photo")
        if isinstance(media.photo, types.Photo):
            width, height, nbytes = _largest_photo_size(media.photo)
            out.update(id=str(media.photo.id), width=width, height=height, size=nbytes)
            out["mime_type"] = "image/jpeg"
        return "photo", out
    if isinstance(media, types.MessageMediaDocument):
        if isinstance(media.document, types.Document):
            out = _document(media.document)
            return out["kind"], out
        return "document", _base("document")
    if isinstance(media, types.MessageMediaPoll):
        return "poll", _poll(media)
    if isinstance(media, types.MessageMediaGeoLive):
        out = _base("geo_live")
        out.update(_geo(media.geo), period=media.period)
        return "geo_live", out
    if isinstance(media, types.MessageMediaVenue):
        out = _base("venue")
        out.update(_geo(media.geo), title=media.title, address=media.address)
        return "venue", out
    if isinstance(media, types.MessageMediaGeo):
        out = _base("geo")
        out.update(_geo(media.geo))
        return "geo", out
    if isinstance(media, types.MessageMediaContact):
        out = _base("contact")
        out.update(
            first_name=media.first_name,
            last_name=media.last_name,
            phone_number=media.phone_number,
            user_id=media.user_id or None,
        )
        return "contact", out
    if isinstance(media, types.MessageMediaWebPage):
        out = _base("webpage")
        page = media.webpage
        if isinstance(page, types.WebPage):
            out.update(
                id=str(page.id),
                url=page.url,
                title=page.title,
                site_name=page.site_name,
                description=page.description,
            )
        else:
            out["url"] = getattr(page, "url", None)
        return "webpage", out
    if isinstance(media, types.MessageMediaDice):
        out = _base("dice")
        out.update(emoji=media.emoticon, value=media.value)
        return "dice", out
    if isinstance(media, types.MessageMediaGame):
        out = _base("game")
        out.update(
            id=str(media.game.id),
            title=media.game.title,
            description=media.game.description or None,
        )
        return "game", out
    kind = _kind_name(media)
    return kind, _base(kind)


def _geo(geo: Any) -> dict[str, Any]:
    if isinstance(geo, types.GeoPoint):
        return {"latitude": geo.lat, "longitude": geo.long}
    return {"latitude": None, "longitude": None}


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
