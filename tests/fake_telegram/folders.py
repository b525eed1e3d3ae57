"""Chat folders of the fake account (``messages.getDialogFilters``, in :mod:`.handlers_account`).

``add_folder(world, "Work", include=["devs"], groups=True, exclude_muted=True)`` adds a
``dialogFilter`` of chat keys and dynamic flags; ``chatlist=True`` a shared folder
(``dialogFilterChatlist``: explicit and pinned chats only). Ids start at 2, as Telegram's
apps number folders (0 and 1 are the main list and the archive).
"""

from __future__ import annotations

from collections.abc import Iterable

from telethon.tl import types

from tests.fake_telegram.records import FolderRecord
from tests.fake_telegram.world import World

#: The dynamic flags of ``dialogFilter`` (core.telegram.org/constructor/dialogFilter).
FLAGS = ("contacts", "non_contacts", "groups", "broadcasts", "bots",
         "exclude_muted", "exclude_read", "exclude_archived")  # fmt: skip


def add_folder(
    world: World,
    title: str,
    *,
    folder_id: int | None = None,
    include: Iterable[str] = (),
    pinned: Iterable[str] = (),
    exclude: Iterable[str] = (),
    chatlist: bool = False,
    **flags: bool,
) -> FolderRecord:
    """Add a folder of chat keys (see the module docstring)."""
    if set(flags) - set(FLAGS) or (chatlist and (any(flags.values()) or exclude)):
        raise ValueError(f"folder flags are {FLAGS}; a chat list has neither flags nor exclusions")
    folder = FolderRecord(
        id=folder_id if folder_id is not None else 2 + len(world.folders),
        title=title,
        include=list(include),
        pinned=list(pinned),
        exclude=list(exclude),
        flags=sorted(name for name, on in flags.items() if on),
        chatlist=chatlist,
    )
    world.folders.append(folder)
    world.epoch += 1
    return folder


def input_peer(world: World, key: str) -> types.TypeInputPeer:
    """The input peer of a chat, with the access hash the account knows."""
    chat = world.chat(key)
    if chat.kind == "private":
        user = world.users[chat.user_key or key]
        if user.is_self:
            return types.InputPeerSelf()
        return types.InputPeerUser(user.id, user.access_hash)
    if chat.kind == "group":
        return types.InputPeerChat(chat.id)
    return types.InputPeerChannel(chat.id, chat.access_hash)


def folder_tl(world: World, folder: FolderRecord) -> types.TypeDialogFilter:
    """The folder as ``dialogFilter`` or ``dialogFilterChatlist``."""
    title = types.TextWithEntities(text=folder.title, entities=[])
    pinned = [input_peer(world, key) for key in folder.pinned]
    include = [input_peer(world, key) for key in folder.include]
    if folder.chatlist:
        return types.DialogFilterChatlist(
            id=folder.id, title=title, pinned_peers=pinned, include_peers=include
        )
    return types.DialogFilter(
        id=folder.id,
        title=title,
        pinned_peers=pinned,
        include_peers=include,
        exclude_peers=[input_peer(world, key) for key in folder.exclude],
        **dict.fromkeys(folder.flags, True),
    )
