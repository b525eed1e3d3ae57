"""``messages.getDialogs`` as Telegram answers it: folders, pinned order, paging, ``hash``.

* **Order.** Pinned dialogs first, in their pinned order; then every other dialog,
  newest top message first (ties: higher top message id, then higher peer id).
* **Folders** (core.telegram.org/api/folders#peer-folders). No ``folder_id``: every
  dialog, archived ones included (their ``Dialog.folder_id`` is 1), as Telethon's
  ``iter_dialogs()`` documents; ``folder_id=0``: the main list, with a ``dialogFolder``
  for a non-empty archive on top of the first page; ``folder_id=1``: the archive
  only; any other folder: FOLDER_ID_INVALID.
* **Paging** (core.telegram.org/api/offsets): the offset is the last dialog of the
  previous page, ``(offset_date, offset_id, offset_peer)`` of its top message; the
  answer holds the dialogs strictly below it in the order above. Pinned dialogs sit
  above any offset: they come only on the first page, and not at all with
  ``exclude_pinned``. ``messages.dialogs`` when one page holds the whole list,
  ``messages.dialogsSlice`` (with the total ``count``) otherwise.
* **hash.** A page whose hash equals the request's ``hash`` answers
  ``messages.dialogsNotModified(count)``. Telegram does not document which ids the
  dialogs hash folds (the official apps and TDLib send 0); the fake folds, per dialog
  of the page, ``abs(peer id)``, ``top_message`` and its date with the documented
  algorithm (:func:`.hashing.vector_hash`).
* **Dialog fields.** ``top_message``, ``read_inbox_max_id`` and ``unread_count`` (the
  chat's newest ``unread`` messages), ``pts`` for channels and supergroups,
  ``pinned``, ``folder_id``, ``notify_settings.mute_until`` (``muted``: for good).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from telethon.tl import types

from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.hashing import to_ts, vector_hash
from tests.fake_telegram.history import MAX_LIMIT, message_refs
from tests.fake_telegram.peers import entities_tl
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.world import World

ARCHIVE = 1
#: ``mute_until`` of a chat muted for good: the largest date Telegram's apps send.
MUTED_FOR_GOOD = dt.datetime(2038, 1, 19, 3, 14, 7, tzinfo=dt.timezone.utc)


def dialog_key(world: World, chat: ChatRecord) -> tuple[int, int, int]:
    """Sort key of a dialog: (date of top message or creation, top id, marked id)."""
    top = chat.top_n
    if not top:
        return chat.created_ts, 0, world.marked_id(chat)
    return chat.ts_of(top), chat.id_of(top), world.marked_id(chat)


def listed(world: World, folder_id: int | None) -> list[ChatRecord]:
    """The dialogs of a folder (``None``: all), pinned first, then newest first."""
    if folder_id not in (None, 0, ARCHIVE):
        raise FakeRpcError("FOLDER_ID_INVALID")
    chats = [
        c
        for c in world.chats.values()
        if c.member
        and not (c.banned and c.is_channel)
        and (folder_id is None or (ARCHIVE if c.archived else 0) == folder_id)
    ]
    pinned = sorted((c for c in chats if c.pinned), key=lambda c: c.pinned)
    others = sorted((c for c in chats if not c.pinned), key=lambda c: dialog_key(world, c))
    return pinned + others[::-1]


def dialogs_response(
    world: World,
    *,
    offset_date: dt.datetime | None,
    offset_id: int,
    offset_peer_marked: int | None,
    limit: int,
    folder_id: int | None = None,
    exclude_pinned: bool = False,
    hash_: int = 0,
) -> Any:
    """``messages.Dialogs``, ``DialogsSlice`` or ``DialogsNotModified`` for one page."""
    everything = listed(world, folder_id)
    inf = float("inf")
    bound = (
        to_ts(offset_date) if offset_date is not None and to_ts(offset_date) > 0 else inf,
        offset_id or inf,
        offset_peer_marked if offset_peer_marked is not None else inf,
    )
    if bound != (inf, inf, inf):
        ordered = [c for c in everything if not c.pinned and dialog_key(world, c) < bound]
    else:
        ordered = [c for c in everything if not (exclude_pinned and c.pinned)]
    page = ordered[: min(max(limit, 0), MAX_LIMIT)]
    if hash_ and hash_ == page_hash(world, page):
        return types.messages.DialogsNotModified(count=len(everything))
    dialogs: list[Any] = [dialog_tl(world, chat) for chat in page]
    shown = list(page)
    if folder_id == 0 and bound == (inf, inf, inf):
        folder = _archive_folder(world)
        if folder is not None:
            dialogs.insert(0, folder[0])
            shown.append(folder[1])
    messages = [world.factory.build(chat, chat.top_n) for chat in shown if chat.top_n]
    user_ids: list[int] = []
    peer_ids = [world.marked_id(chat) for chat in shown]
    for message in messages:
        message_refs(message, user_ids, peer_ids)
    users, chats = entities_tl(world, user_ids, peer_ids)
    if len(page) == len(everything):
        return types.messages.Dialogs(dialogs=dialogs, messages=messages, chats=chats, users=users)
    return types.messages.DialogsSlice(
        count=len(everything), dialogs=dialogs, messages=messages, chats=chats, users=users
    )


def page_hash(world: World, page: list[ChatRecord]) -> int:
    """The hash of a page of dialogs (see the module docstring)."""
    ids: list[int] = []
    for chat in page:
        top = chat.top_n
        ids += [
            abs(world.marked_id(chat)),
            chat.id_of(top) if top else 0,
            chat.ts_of(top) if top else 0,
        ]
    return vector_hash(ids)


def dialog_tl(world: World, chat: ChatRecord) -> types.Dialog:
    """The chat's ``Dialog`` (also the one of ``updates.channelDifferenceTooLong``)."""
    top = chat.top_n
    top_id = chat.id_of(top) if top else 0
    newest = list(itertools.islice(chat.existing_desc(chat.count), chat.unread + 1))
    unread = min(chat.unread, len(newest))
    read = chat.id_of(newest[unread]) if unread < len(newest) else 0
    return types.Dialog(
        peer=world.peer(chat),
        top_message=top_id,
        read_inbox_max_id=read,
        read_outbox_max_id=top_id,
        unread_count=unread,
        unread_mentions_count=0,
        unread_reactions_count=0,
        unread_poll_votes_count=0,
        notify_settings=types.PeerNotifySettings(mute_until=MUTED_FOR_GOOD if chat.muted else None),
        pinned=bool(chat.pinned) or None,
        pts=chat.pts if chat.is_channel else None,
        folder_id=ARCHIVE if chat.archived else None,
    )


def _archive_folder(world: World) -> tuple[types.DialogFolder, ChatRecord] | None:
    """The main list's entry for a non-empty archive, and the archived chat on its top."""
    archived = [c for c in listed(world, ARCHIVE) if not c.pinned]
    if not archived:
        return None
    top = archived[0]
    unread = [c for c in archived if c.unread]
    folder = types.DialogFolder(
        folder=types.Folder(id=ARCHIVE, title="Archived Chats"),
        peer=world.peer(top),
        top_message=top.id_of(top.top_n) if top.top_n else 0,
        unread_muted_peers_count=0,
        unread_unmuted_peers_count=len(unread),
        unread_muted_messages_count=0,
        unread_unmuted_messages_count=sum(c.unread for c in unread),
        pinned=True,
    )
    return folder, top
