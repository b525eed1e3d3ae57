"""Media attached to generated messages, built from real ``telethon.tl.types``.

Each builder takes a hash ``h`` (and the message number and date) and returns a
``MessageMedia*``. Ids, access hashes, sizes and file references are derived from
``h`` so the same message always carries the same media.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from telethon.tl import types

from tests.fake_telegram.hashing import mix, signed64

DC_ID = 2


def _ref(h: int, size: int = 0) -> bytes:
    """A file reference: opaque to clients (Telegram's expire; tests may refetch).

    The fake reads it back in ``upload.getFile`` (:mod:`.handlers_files`): the media
    hash ``h`` and, for documents, the file size.
    """
    return b"\x02" + (h & ((1 << 64) - 1)).to_bytes(8, "little") + size.to_bytes(8, "little")


def ref_info(reference: bytes) -> tuple[int, int] | None:
    """``(h, size)`` of a reference made by :func:`_ref`; ``None`` for foreign bytes."""
    if len(reference) != 17 or reference[0] != 2:
        return None
    return int.from_bytes(reference[1:9], "little"), int.from_bytes(reference[9:], "little")


def photo(h: int, date: dt.datetime) -> types.Photo:
    """A photo with stripped, medium and progressive sizes."""
    w = 640 + (h % 8) * 160
    height = w * 3 // 4
    return types.Photo(
        id=signed64(mix(h, 1)),
        access_hash=signed64(mix(h, 2)),
        file_reference=_ref(h),
        date=date,
        sizes=[
            types.PhotoStrippedSize("i", b"\x01\x28\x1e" + bytes(range(16))),
            types.PhotoSize("m", 320, 240, 10_000 + h % 5_000),
            types.PhotoSizeProgressive("y", w, height, [9_000, 40_000, 90_000 + h % 50_000]),
        ],
        dc_id=DC_ID,
    )


def _document(
    h: int, date: dt.datetime, mime: str, size: int, attributes: list[Any]
) -> types.Document:
    return types.Document(
        id=signed64(mix(h, 3)),
        access_hash=signed64(mix(h, 4)),
        file_reference=_ref(h, size),
        date=date,
        mime_type=mime,
        size=size,
        dc_id=DC_ID,
        attributes=attributes,
    )


def file_document(h: int, date: dt.datetime, name: str, mime: str, size: int) -> Any:
    """A plain file of a chosen size, for tests that append messages by hand."""
    attributes = [types.DocumentAttributeFilename(name)]
    return types.MessageMediaDocument(document=_document(h, date, mime, size, attributes))


def media_photo(h: int, n: int, date: dt.datetime) -> Any:
    """A photo message's media."""
    return types.MessageMediaPhoto(photo=photo(h, date))


def media_document(h: int, n: int, date: dt.datetime) -> Any:
    """A PDF (or archive) file with a file name."""
    name, mime = (f"report-{n}.pdf", "application/pdf")
    if h & 1:
        name, mime = (f"отчёт_{n}.zip", "application/zip")
    attributes = [types.DocumentAttributeFilename(name)]
    return types.MessageMediaDocument(
        document=_document(h, date, mime, 50_000 + h % 5_000_000, attributes)
    )


def media_video(h: int, n: int, date: dt.datetime) -> Any:
    """A streamable MP4 video with duration and size."""
    attributes = [
        types.DocumentAttributeVideo(
            duration=float(5 + h % 300) + 0.5, w=1280, h=720, supports_streaming=True
        ),
        types.DocumentAttributeFilename(f"clip_{n}.mp4"),
    ]
    document = _document(h, date, "video/mp4", 1_000_000 + h % 50_000_000, attributes)
    return types.MessageMediaDocument(video=True, document=document)


def media_voice(h: int, n: int, date: dt.datetime) -> Any:
    """A voice note (OGG/Opus) with a waveform."""
    attributes = [
        types.DocumentAttributeAudio(duration=1 + h % 120, voice=True, waveform=bytes(range(32)))
    ]
    document = _document(h, date, "audio/ogg", 5_000 + h % 200_000, attributes)
    return types.MessageMediaDocument(voice=True, document=document)


def media_audio(h: int, n: int, date: dt.datetime) -> Any:
    """A music file with title and performer."""
    attributes = [
        types.DocumentAttributeAudio(
            duration=120 + h % 240, title=f"Track {n % 50}", performer="Кино"
        ),
        types.DocumentAttributeFilename(f"track_{n}.mp3"),
    ]
    return types.MessageMediaDocument(
        document=_document(h, date, "audio/mpeg", 3_000_000 + h % 9_000_000, attributes)
    )


def media_sticker(h: int, n: int, date: dt.datetime) -> Any:
    """A WebP sticker from a sticker set."""
    attributes = [
        types.DocumentAttributeImageSize(512, 512),
        types.DocumentAttributeSticker(
            alt="😀",
            stickerset=types.InputStickerSetID(id=signed64(mix(h % 7, 5)), access_hash=1),
        ),
        types.DocumentAttributeFilename("sticker.webp"),
    ]
    return types.MessageMediaDocument(
        document=_document(h, date, "image/webp", 20_000 + h % 30_000, attributes)
    )


def media_poll(h: int, n: int, date: dt.datetime) -> Any:
    """A poll with 2-4 answers and vote counts."""
    count = 2 + h % 3
    options = [bytes([i]) for i in range(count)]
    texts = ["Yes", "No", "Не знаю", "🤷"]  # noqa: RUF001 - Cyrillic on purpose
    voters = [(mix(h, i) % 40) for i in range(count)]
    poll = types.Poll(
        id=signed64(mix(h, 6)),
        question=types.TextWithEntities(f"Poll {n}: ship it?", []),
        answers=[
            types.PollAnswer(types.TextWithEntities(texts[i], []), options[i]) for i in range(count)
        ],
        hash=0,
        closed=bool(h & 2),
        multiple_choice=bool(h & 4),
    )
    results = types.PollResults(
        results=[
            types.PollAnswerVoters(
                options[i], voters=voters[i], recent_voters=[], chosen=i == 0 and bool(h & 8)
            )
            for i in range(count)
        ],
        total_voters=sum(voters),
    )
    return types.MessageMediaPoll(poll=poll, results=results)


def media_geo(h: int, n: int, date: dt.datetime) -> Any:
    """A location."""
    lat = -60.0 + (h % 12_000) / 100.0
    long = -170.0 + (mix(h, 9) % 34_000) / 100.0
    return types.MessageMediaGeo(types.GeoPoint(long=long, lat=lat, access_hash=mix(h, 8) >> 1))


def media_contact(h: int, n: int, date: dt.datetime) -> Any:
    """A shared contact card (not a Telegram user: ``user_id`` 0)."""
    return types.MessageMediaContact(
        phone_number=f"+1555{h % 10_000_000:07d}",
        first_name="Jane",
        last_name=f"Doe {n}",
        vcard="",
        user_id=0,
    )


def media_webpage(url: str, h: int) -> Any:
    """A link preview for ``url``."""
    page = types.WebPage(
        id=signed64(mix(h, 10)),
        url=url,
        display_url=url.removeprefix("https://"),
        hash=0,
        type="article",
        site_name="Example News",
        title="An article",
        description="Описание статьи — summary of the article.",
    )
    return types.MessageMediaWebPage(webpage=page)


def media_dice(h: int, n: int, date: dt.datetime) -> Any:
    """A dice roll (or darts)."""
    emoticon = "🎲" if h & 1 else "🎯"
    return types.MessageMediaDice(value=1 + h % 6, emoticon=emoticon)


#: Media kinds the generator picks from (the album kind reuses ``media_photo``).
MEDIA: dict[str, Callable[[int, int, dt.datetime], Any]] = {
    "photo": media_photo,
    "document": media_document,
    "video": media_video,
    "voice": media_voice,
    "audio": media_audio,
    "sticker": media_sticker,
    "poll": media_poll,
    "geo": media_geo,
    "contact": media_contact,
    "dice": media_dice,
}
