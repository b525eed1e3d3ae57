"""The dialogs pass: every dialog of the account in ``⌈dialogs / 100⌉`` requests.

``messages.getDialogs`` answers up to 100 dialogs a call, each with its
``top_message`` (the id of the chat's newest message), unread counts, ``folder_id``
(1: archived) and, for channels and supergroups, the channel ``pts``; the chats and
users of the page come with it (title, username, flags, often the member count)
(core.telegram.org/method/messages.getDialogs). One pass therefore tells the run
which chats have anything new (``top_message`` above the bookmark) and resolves
every chat the account has, explicit ``chats`` entries included, without a request
per chat.

No ``folder_id`` is sent: Telegram then lists every dialog, archived ones included.
Pages follow core.telegram.org/api/offsets: the next page starts below the last
dialog of the previous one (its top message's date and id, and its peer), pinned
dialogs only on the first. ``hash`` is sent as 0, as Telegram's own apps and TDLib
do: Telegram does not document which ids a dialogs hash folds, and a page that was
"not modified" would still have to come from somewhere (this tap keeps no copy).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from telethon import errors, functions, utils
from telethon.tl import types

from tap_telegram.errors import ChatError
from tap_telegram.sources.base import label_for
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Dialogs per ``messages.getDialogs`` (Telegram's maximum).
PAGE = 100
#: Log label of the dialogs requests (per-chat counters are keyed by such labels).
LABEL = "dialogs"


@dataclasses.dataclass(frozen=True)
class Dialog:
    """One dialog of the account: its chat and what the dialog list says about it."""

    entity: Any
    #: Id of the newest message (0: empty chat).
    top_message: int
    #: The channel's update-log position (channels and supergroups only).
    pts: int | None = None
    #: 1: archived; ``None``: the main list.
    folder_id: int | None = None
    unread_count: int = 0
    pinned: bool = False
    #: Marked unread by hand, and unread mentions: a folder's "exclude read" keeps these.
    unread_mark: bool = False
    unread_mentions: int = 0
    #: Notifications muted until then (``None``: not muted).
    mute_until: dt.datetime | None = None

    @property
    def chat_id(self) -> int:
        """The chat's marked id."""
        return int(utils.get_peer_id(self.entity))


class Dialogs:
    """The dialogs of one run by marked id and username, in Telegram's order."""

    def __init__(self, dialogs: list[Dialog]) -> None:
        self._by_id = {dialog.chat_id: dialog for dialog in dialogs}
        self._by_username: dict[str, Dialog] = {}
        for dialog in dialogs:
            for name in usernames_of(dialog.entity):
                self._by_username.setdefault(name.lower(), dialog)

    def __iter__(self) -> Iterator[Dialog]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, chat_id: int) -> Dialog | None:
        """The dialog of a marked chat id, if the chat is one."""
        return self._by_id.get(chat_id)

    def by_username(self, username: str) -> Dialog | None:
        """The dialog whose chat has this username (any case, collectible ones too)."""
        return self._by_username.get(username.lower())


def usernames_of(entity: Any) -> list[str]:
    """Every username of a chat or user: the main one and the collectible ``usernames``."""
    names = [entity.username] if getattr(entity, "username", None) else []
    names += [u.username for u in getattr(entity, "usernames", None) or [] if u.active]
    return names


async def load_dialogs(caller: Caller) -> Dialogs:
    """Every dialog of the account, page after page (see the module docstring).

    A ``dialogsSlice`` says how many dialogs there are (``count``). When the pages end
    before that many were listed (a page that brings no dialog not already listed:
    Telegram did not move past the offset; a short page; a page with nothing to page
    from), the run goes on with the dialogs it has, and says so in one warning line:
    the chats not listed are not read this run, and nothing else would tell.
    """
    request = functions.messages.GetDialogsRequest(
        offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=PAGE, hash=0
    )
    found: dict[int, Dialog] = {}
    pages = 0
    while True:
        answer = await caller(request, chat=LABEL)
        pages += 1
        if isinstance(answer, types.messages.DialogsNotModified):
            break  # never asked for (hash 0), but nothing more to read either
        page, last = _page(answer)
        fresh = [dialog for dialog in page if dialog.chat_id not in found]
        found.update((dialog.chat_id, dialog) for dialog in fresh)
        if not isinstance(answer, types.messages.DialogsSlice) or len(found) >= answer.count:
            break  # the whole list
        short = _short_reason(request, answer, fresh, last)
        if short is None and last is not None:
            request.exclude_pinned = True
            request.offset_date, request.offset_id, request.offset_peer = last
            continue
        caller.logger.warning(
            "dialogs: Telegram counts %d dialogs but listed %d in %d pages (page %d %s); "
            "the chats not listed are not read this run (a chat named in `chats` is "
            "still looked up by itself): rerun, and report it if it stays so",
            answer.count,
            len(found),
            pages,
            pages,
            short,
        )
        break
    return Dialogs(list(found.values()))


def _short_reason(
    request: Any, answer: Any, fresh: list[Dialog], last: tuple[Any, int, Any] | None
) -> str | None:
    """Why paging cannot go on before ``count`` dialogs were listed (``None``: it can)."""
    if not fresh:
        offset = request.offset_date.isoformat() if request.offset_date else "none"
        return (
            f"brought no dialog not already listed: the offset, date {offset} and message "
            f"{request.offset_id}, did not move the list"
        )
    if len(answer.dialogs) < PAGE:
        return f"held {len(answer.dialogs)} dialogs, fewer than the {PAGE} asked for"
    if last is None:
        return "held no dialog to page on from"
    return None


async def follow_upgrades(
    caller: Caller, dialogs: Dialogs, entities: list[Any], logger: logging.Logger
) -> list[Any]:
    """``entities`` with, right after each basic group that was upgraded, its supergroup.

    An upgraded group is read-only (``deactivated``) and names its supergroup in
    ``migrated_to``, whose message ids start again at 1 (core.telegram.org/api/channel).
    The supergroup usually is a dialog too; if not, ``migrated_to`` carries its access
    hash and one ``channels.getChannels`` fetches it.
    """
    out: list[Any] = []
    for entity in entities:
        out.append(entity)
        target = getattr(entity, "migrated_to", None)
        if not isinstance(entity, types.Chat) or not isinstance(target, types.InputChannel):
            continue
        dialog = dialogs.get(utils.get_peer_id(types.PeerChannel(target.channel_id)))
        if dialog is not None:
            successor = dialog.entity
        else:
            answer = await caller(functions.channels.GetChannelsRequest([target]), chat=LABEL)
            successor = next(iter(answer.chats), None)
        if successor is not None:
            logger.info(
                "chat %s was upgraded to a supergroup: reading %s too",
                label_for(utils.get_peer_id(entity), None, entity.title),
                label_for(utils.get_peer_id(successor), None, getattr(successor, "title", None)),
            )
            out.append(successor)
    return out


async def fetch_channels(
    caller: Caller, remembered: Mapping[str, tuple[int, int]]
) -> dict[str, Any]:
    """Remembered public channels (username -> channel id, access hash) in one request.

    ``{}`` when Telegram refuses (an access hash of another session, a channel that
    became private): the caller then resolves them by username, as on a first run.
    """
    if not remembered:
        return {}
    wanted = [types.InputChannel(channel, access) for channel, access in remembered.values()]
    try:
        answer = await caller(functions.channels.GetChannelsRequest(wanted), chat=LABEL)
    except (ChatError, errors.RPCError):
        return {}
    by_id = {chat.id: chat for chat in answer.chats if isinstance(chat, types.Channel)}
    return {name: by_id[channel] for name, (channel, _) in remembered.items() if channel in by_id}


def _page(answer: Any) -> tuple[list[Dialog], tuple[Any, int, Any] | None]:
    """The dialogs of one answer, and the offset of the next page (``None``: no more).

    The offset is the newest message of the last dialog that has one, with the input
    peer of the page's last dialog: the last dialog may be empty, and pinned ones come
    first whatever their dates, so ``messages[-1]`` is not it (Telethon does the same).
    """
    entities = {
        utils.get_peer_id(item): item
        for item in itertools.chain(answer.users, answer.chats)
        if not isinstance(item, (types.UserEmpty, types.ChatEmpty))
    }
    dates = {
        (utils.get_peer_id(message.peer_id), message.id): message.date
        for message in answer.messages
        if getattr(message, "date", None) is not None
    }
    dialogs = []
    for item in answer.dialogs:
        if not isinstance(item, types.Dialog):
            continue  # a dialogFolder (the archive's entry in the main list)
        entity = entities.get(utils.get_peer_id(item.peer))
        if entity is None:
            continue  # Telegram may list a peer without sending it (rare)
        dialogs.append(
            Dialog(
                entity=entity,
                top_message=item.top_message,
                pts=item.pts,
                folder_id=item.folder_id,
                unread_count=item.unread_count,
                pinned=bool(item.pinned),
                unread_mark=bool(item.unread_mark),
                unread_mentions=item.unread_mentions_count or 0,
                mute_until=getattr(item.notify_settings, "mute_until", None),
            )
        )
    if not dialogs:
        return dialogs, None
    dated = next(
        (
            (dates[key], dialog.top_message)
            for dialog in reversed(dialogs)
            if (key := (dialog.chat_id, dialog.top_message)) in dates
        ),
        (None, 0),
    )
    return dialogs, (dated[0], dated[1], utils.get_input_peer(dialogs[-1].entity))
