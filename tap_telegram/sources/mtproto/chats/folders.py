"""Chat folders as a selection: ``chats: ["folder:Work"]`` or ``["folder:3"]``.

One ``messages.getDialogFilters`` per run, sent only when ``chats`` names a folder. A
folder (core.telegram.org/api/folders, constructor ``dialogFilter``) is a rule over the
account's dialogs, resolved here against the dialogs pass the run makes anyway, so a
folder of a thousand chats costs no request per chat. The rule, as Telegram's apps
apply it:

* a chat in ``exclude_peers`` is never in the folder;
* a chat in ``pinned_peers`` or ``include_peers`` always is;
* any other dialog is when its kind's flag is set (``contacts`` / ``non_contacts`` /
  ``bots`` for private chats, ``groups`` for basic groups and supergroups,
  ``broadcasts`` for channels) and it passes the exclusions: ``exclude_muted``
  (muted, unless it has unread mentions), ``exclude_read`` (no unread messages, no
  unread mark, no unread mentions), ``exclude_archived`` (in the archive).

A shared folder (``dialogFilterChatlist``, joined through a chat folder link) holds its
pinned and included chats only. ``dialogFilterDefault`` is the "All chats" entry, not a
folder. Muted and read are as of this run's dialogs pass: a folder that excludes read
chats selects what is unread now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from telethon import functions, utils
from telethon.tl import types

from tap_telegram.errors import ChatError
from tap_telegram.sources.chatrefs import ChatRef
from tap_telegram.sources.mtproto.chats.dialogs import Dialog, Dialogs
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Log label of the folders request.
LABEL = "folders"
#: ``Dialog.folder_id`` of archived chats (a peer folder, not a chat folder).
ARCHIVE = 1
#: The dynamic flags of ``dialogFilter`` (core.telegram.org/constructor/dialogFilter).
FLAGS = ("contacts", "non_contacts", "groups", "broadcasts", "bots",
         "exclude_muted", "exclude_read", "exclude_archived")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Folder:
    """One chat folder of the account: its explicit chats (marked ids) and its rule."""

    id: int
    title: str
    pinned: tuple[int, ...] = ()
    include: tuple[int, ...] = ()
    exclude: frozenset[int] = frozenset()
    #: The dynamic flags that are set (``contacts``, ``groups``, ``exclude_muted``, ...).
    flags: frozenset[str] = frozenset()
    #: A shared folder (``dialogFilterChatlist``).
    shared: bool = False

    @property
    def label(self) -> str:
        """``'Work' (id 3)``: how lines name a folder."""
        return f"'{self.title}' (id {self.id})"

    def holds(self, chat_id: int, dialog: Dialog | None, now: dt.datetime) -> bool:
        """Whether the chat is in this folder (``dialog``: its dialog, if it is one)."""
        if chat_id in self.exclude:
            return False
        if chat_id in self.pinned or chat_id in self.include:
            return True
        if dialog is None or kind_flag(dialog.entity) not in self.flags:
            return False
        if "exclude_muted" in self.flags and _muted(dialog, now) and not dialog.unread_mentions:
            return False
        if "exclude_read" in self.flags and _read(dialog):
            return False
        return not ("exclude_archived" in self.flags and dialog.folder_id == ARCHIVE)


def kind_flag(entity: Any) -> str:
    """The flag of ``dialogFilter`` that takes a chat of this kind."""
    if isinstance(entity, types.User):
        if entity.bot:
            return "bots"
        return "contacts" if entity.contact else "non_contacts"
    if isinstance(entity, types.Channel) and entity.broadcast:
        return "broadcasts"
    return "groups"


def _muted(dialog: Dialog, now: dt.datetime) -> bool:
    return dialog.mute_until is not None and dialog.mute_until > now


def _read(dialog: Dialog) -> bool:
    return not (dialog.unread_count or dialog.unread_mark or dialog.unread_mentions)


async def load_folders(caller: Caller, dialogs: Dialogs) -> list[Folder]:
    """The account's folders, in its order (one request; ``dialogs`` names Saved Messages).

    Telethon 1.45 (layer 229) reads a ``messages.dialogFilters``; older layers answered
    a bare vector, taken as well.
    """
    answer = await caller(functions.messages.GetDialogFiltersRequest(), chat=LABEL)
    found = answer.filters if isinstance(answer, types.messages.DialogFilters) else answer
    self_id = next((d.chat_id for d in dialogs if getattr(d.entity, "is_self", False)), None)
    return [folder for item in found if (folder := _folder(item, self_id)) is not None]


def _folder(item: Any, self_id: int | None) -> Folder | None:
    """A :class:`Folder` of a ``dialogFilter`` or ``dialogFilterChatlist``; else ``None``."""
    if not isinstance(item, (types.DialogFilter, types.DialogFilterChatlist)):
        return None  # dialogFilterDefault: "All chats"
    title = getattr(item.title, "text", item.title)
    flags = frozenset(
        name for name in FLAGS if isinstance(item, types.DialogFilter) and getattr(item, name)
    )
    return Folder(
        id=item.id,
        title=str(title),
        pinned=tuple(_ids(item.pinned_peers, self_id)),
        include=tuple(_ids(item.include_peers, self_id)),
        exclude=frozenset(_ids(getattr(item, "exclude_peers", None) or [], self_id)),
        flags=flags,
        shared=isinstance(item, types.DialogFilterChatlist),
    )


def _ids(peers: Iterable[Any], self_id: int | None) -> Iterable[int]:
    """Marked ids of input peers (``inputPeerSelf``: the account's Saved Messages)."""
    for peer in peers:
        if isinstance(peer, types.InputPeerSelf):
            if self_id is not None:
                yield self_id
        elif not isinstance(peer, types.InputPeerEmpty):
            yield int(utils.get_peer_id(peer))


def find_folder(ref: ChatRef, folders: list[Folder]) -> Folder:
    """The folder ``ref`` names: by id, else by title (exact, then any case).

    An unknown folder is a ChatError that lists the folders there are.
    """
    if isinstance(ref.value, int):
        found = [folder for folder in folders if folder.id == ref.value]
    else:
        found = [folder for folder in folders if folder.title == ref.value]
        found = found or [f for f in folders if f.title.casefold() == ref.value.casefold()]
    if found:
        return found[0]
    there = ", ".join(folder.label for folder in folders)
    raise ChatError(
        str(ref),
        f"this account has no such chat folder; its folders: {there}"
        if folders
        else "this account has no chat folders; create one in Telegram or list the chats",
    )


def folder_chats(
    folder: Folder, dialogs: Dialogs, now: dt.datetime, logger: logging.Logger
) -> list[Any]:
    """The entities of a folder's chats: pinned ones first, then in the dialogs' order.

    Chats the folder names that are not dialogs any more (left, deleted) are skipped
    with one line, groups the account was removed from silently (as without ``chats``);
    a folder that selects nothing says so in one line.
    """
    pinned = [dialogs.get(chat_id) for chat_id in folder.pinned]
    chosen = [dialog for dialog in pinned if dialog is not None]
    chosen += [
        dialog
        for dialog in dialogs
        if dialog.chat_id not in folder.pinned and folder.holds(dialog.chat_id, dialog, now)
    ]
    # A group the account was removed from stays a dialog but cannot be read (as without `chats`).
    chosen = [dialog for dialog in chosen if not isinstance(dialog.entity, types.ChatForbidden)]
    missing = {*folder.pinned, *folder.include} - {dialog.chat_id for dialog in dialogs}
    missing -= folder.exclude
    if missing:
        logger.info(
            "chat folder %s: %d of its chats are not among this account's dialogs (left or "
            "deleted); skipping them",
            folder.label,
            len(missing),
        )
    if not chosen:
        logger.warning(
            "tap-telegram: setting 'chats': chat folder %s selects none of this account's "
            "chats right now (its rules match no dialog), so it adds nothing to read",
            folder.label,
        )
    return [dialog.entity for dialog in chosen]


def folder_titles(
    chat_id: int, dialogs: Dialogs, folders: list[Folder], now: dt.datetime
) -> list[str]:
    """Titles of the folders a chat is in, in the account's order (the ``folders`` field)."""
    dialog = dialogs.get(chat_id)
    return [folder.title for folder in folders if folder.holds(chat_id, dialog, now)]
