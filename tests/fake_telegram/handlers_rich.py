"""Handlers for files and member lists: ``upload.getFile``, ``channels.getParticipants``.

Registered with :func:`.handlers.handles` when :mod:`.handlers` imports this module.
File contents are deterministic: the bytes of a photo or document depend only on its
media hash and size (both read back from the file reference the fake issued), so a
test can compute the SHA-256 a download must have (:func:`file_sha256`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import media, peers
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles
from tests.fake_telegram.hashing import from_ts, vector_hash

if TYPE_CHECKING:
    from tests.fake_telegram.records import ChatRecord
    from tests.fake_telegram.server import Server

BLOCK = 32
MAX_PART = 1024 * 1024


def file_bytes(h: int, size: int, offset: int = 0, limit: int | None = None) -> bytes:
    """Bytes ``offset .. offset+limit`` of the file with media hash ``h`` and ``size``."""
    end = size if limit is None else min(size, offset + limit)
    if offset >= end:
        return b""
    first, last = offset // BLOCK, (end - 1) // BLOCK
    seed = h.to_bytes(8, "little", signed=h < 0)
    blob = b"".join(
        hashlib.sha256(seed + block.to_bytes(8, "little")).digest()
        for block in range(first, last + 1)
    )
    start = offset - first * BLOCK
    return blob[start : start + end - offset]


def file_sha256(h: int, size: int) -> str:
    """Ground truth for tests: the SHA-256 (hex) of a whole fake file."""
    return hashlib.sha256(file_bytes(h, size)).hexdigest()


def media_file(item: Any) -> tuple[int, int]:
    """``(h, size)`` of the file behind a photo or document (as a client received it)."""
    if isinstance(item, types.MessageMediaPhoto):
        item = item.photo
    elif isinstance(item, types.MessageMediaDocument):
        item = item.document
    info = media.ref_info(item.file_reference)
    assert info is not None, "not a file of the fake"
    h, size = info
    if isinstance(item, types.Photo):
        size = _photo_size(h, "")
    return h, size


def _photo_size(h: int, thumb: str) -> int:
    """Bytes of a photo size (the largest one when ``thumb`` is empty)."""
    photo = media.photo(h, dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    best = 0
    for size in photo.sizes:
        if isinstance(size, types.PhotoSizeProgressive):
            nbytes = max(size.sizes)
        else:
            nbytes = getattr(size, "size", 0) or len(getattr(size, "bytes", b""))
        if size.type == thumb:
            return nbytes
        best = max(best, nbytes) if not thumb else best
    if thumb:
        raise FakeRpcError("LOCATION_INVALID")
    return best


@handles("GetFileRequest")
def get_file(server: Server, request: Any, status: str) -> Any:
    """``upload.getFile``: deterministic bytes; FILE_REFERENCE_INVALID for foreign refs."""
    location = request.location
    if not isinstance(location, (types.InputDocumentFileLocation, types.InputPhotoFileLocation)):
        raise FakeRpcError("LOCATION_INVALID")
    info = media.ref_info(location.file_reference)
    if info is None:
        raise FakeRpcError("FILE_REFERENCE_INVALID")
    if request.limit <= 0 or request.limit > MAX_PART or request.offset < 0:
        raise FakeRpcError("LIMIT_INVALID")
    h, size = info
    if isinstance(location, types.InputPhotoFileLocation):
        size = _photo_size(h, location.thumb_size)
    data = file_bytes(h, size, request.offset, request.limit)
    return types.upload.File(type=types.storage.FilePartial(), mtime=0, bytes=data)


def _channel_members(server: Server, chat: ChatRecord) -> list[Any]:
    """Members of a supergroup or forum: creator, one admin, members, then the account."""
    world = server.world
    ids = [world.users[key].id for key in chat.members]
    joined = [from_ts(chat.created_ts + 3600 * (index + 1)) for index in range(len(ids))]
    out: list[Any] = []
    for index, user_id in enumerate(ids):
        if index == 0:
            out.append(types.ChannelParticipantCreator(user_id, types.ChatAdminRights()))
        elif index == 1:
            out.append(
                types.ChannelParticipantAdmin(
                    user_id,
                    promoted_by=ids[0],
                    date=joined[index],
                    admin_rights=types.ChatAdminRights(delete_messages=True),
                    rank="moderator",
                )
            )
        else:
            out.append(types.ChannelParticipant(user_id, date=joined[index]))
    me = world.self_user.id
    inviter = ids[0] if ids else me
    out.append(types.ChannelParticipantSelf(me, inviter_id=inviter, date=from_ts(chat.created_ts)))
    return out


@handles("GetParticipantsRequest")
def get_participants(server: Server, request: Any, status: str) -> Any:
    """``channels.getParticipants``: CHAT_ADMIN_REQUIRED on broadcast channels.

    ``hash`` is the vector hash of the user ids of the page the client holds
    (core.telegram.org/api/offsets): when it matches, ``channelParticipantsNotModified``.
    """
    chat = server.channel(request.channel, read=True)
    if chat.is_broadcast:
        raise FakeRpcError("CHAT_ADMIN_REQUIRED")
    members = _channel_members(server, chat)
    page = members[request.offset : request.offset + max(0, min(request.limit, 200))]
    user_ids = [p.user_id for p in page]
    # The hash of the ids a client got for this page last time: unchanged, not sent again.
    if request.hash and request.hash == vector_hash(user_ids):
        return types.channels.ChannelParticipantsNotModified()
    users = [peers.user_tl(server.world.users_by_id[i]) for i in user_ids]
    # ``count`` is the chat's member count, as its entity and full info show it (a
    # chat with an explicit ``participants`` lists only its known members).
    return types.channels.ChannelParticipants(
        count=max(len(members), peers.participants_count(server.world, chat)),
        participants=page,
        chats=[],
        users=users,
    )
