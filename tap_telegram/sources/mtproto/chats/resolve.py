"""Turn the ``chats`` setting into resolved Telegram entities.

Every run starts with the dialogs pass (:mod:`.chats.dialogs`): it tells each chat's newest
message id (``top_message``) and resolves every chat the account has, so ids,
usernames and links of dialogs need no request of their own (a ``StringSession``
keeps no entity cache between runs). Invite links resolve once and are remembered
(:mod:`.chats.refresh`); a public channel read without joining (not a dialog) is resolved
by username once, then fetched back with the access hash Telegram gave this session,
all such channels in one request. A chat folder (``folder:Work``) is one
``messages.getDialogFilters`` for the run, resolved against the dialogs (:mod:`.chats.folders`).
Full info (``GetFull*``) is fetched only when due (:mod:`.chats.refresh`); otherwise the chat
carries what was remembered. Every failure names the entry as the user wrote it and
says what to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telethon import TelegramClient, errors, functions, utils
from telethon.tl import types

from tap_telegram.errors import ChatError
from tap_telegram.settings import Settings
from tap_telegram.sources.base import label_for
from tap_telegram.sources.chatrefs import ChatRef, parse_chat_refs
from tap_telegram.sources.mtproto.chats.dialogs import (
    Dialog,
    Dialogs,
    fetch_channels,
    follow_upgrades,
    load_dialogs,
)
from tap_telegram.sources.mtproto.chats.folders import (
    Folder,
    find_folder,
    folder_chats,
    folder_titles,
    load_folders,
)
from tap_telegram.sources.mtproto.chats.refresh import FullInfo, SourceMemory
from tap_telegram.sources.mtproto.mapping.messages import chat_type, display_name, username_of
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.selection import (
    announce_every_chat,
    refuse_empty,
    report_unmatched,
    wanted_types,
    without_excluded,
)


@dataclasses.dataclass
class ResolvedChat:
    """A selected chat: its marked id, entity, input peer and (optional) full info."""

    chat_id: int
    entity: Any
    input_peer: Any
    label: str
    full: Any | None = None
    #: The chat's newest message id when the dialogs already say it (``Dialog.top_message``):
    #: the fetcher then sends no newest-id probe, and nothing at all at or below a bookmark.
    top_message: int | None = None
    #: The channel's update-log position when the dialogs say it (``Dialog.pts``):
    #: change capture asks for a difference only when it moved.
    pts: int | None = None
    #: Titles of the chat folders it is in; ``None``: not known (no folder in ``chats``).
    folders: list[str] | None = None


def chat_label(entity: Any) -> str:
    """``-100123 (@username)`` or ``-100123 ('Title')``: how logs and errors name a chat."""
    return label_for(utils.get_peer_id(entity), username_of(entity), display_name(entity))


class _Resolver:
    """Turns one ``chats`` entry into an entity, from the run's dialogs when it can."""

    def __init__(self, client: TelegramClient, caller: Caller, memory: SourceMemory) -> None:
        self.client = client
        self.caller = caller
        self.memory = memory
        self.index = Dialogs([])
        #: Public channels that are not dialogs, fetched back from memory, by username.
        self.outside: dict[str, Any] = {}
        #: The account's chat folders, when ``chats`` names one (else not asked for).
        self.folders: list[Folder] | None = None
        self.logger = logging.getLogger(__name__)

    async def load(self, refs: list[ChatRef]) -> None:
        """The dialogs pass (it fills Telethon's entity cache), then remembered channels."""
        self.index = await load_dialogs(self.caller)
        names = [
            str(ref.value)
            for ref in refs
            if ref.kind == "username" and self.index.by_username(str(ref.value)) is None
        ]
        self.outside = await fetch_channels(self.caller, self.memory.remembered_channels(names))
        if any(ref.kind == "folder" for ref in refs):
            self.folders = await load_folders(self.caller, self.index)

    def dialogs(self) -> list[Any]:
        """Every dialog's entity, in Telegram's order."""
        return [dialog.entity for dialog in self.index]

    async def resolve(self, ref: ChatRef) -> Any:
        """The entity behind ``ref`` (a list of them for a folder), or a ChatError."""
        if ref.kind == "folder":
            folder = find_folder(ref, self.folders or [])
            return folder_chats(folder, self.index, self.memory.now, self.logger)
        dialog = self._dialog_of(ref)
        if dialog is not None:
            return dialog.entity
        if ref.kind == "username":
            outside = self.outside.get(str(ref.value).lower())
            return outside if outside is not None else await self._by_username(ref)
        if ref.kind == "invite":
            return await self._by_invite(ref)
        return await self._by_id(ref)

    def _dialog_of(self, ref: ChatRef) -> Dialog | None:
        """The dialog ``ref`` names, if it is one (invite links: as remembered)."""
        if ref.kind == "username":
            return self.index.by_username(str(ref.value))
        if ref.kind == "invite":
            chat_id = self.memory.remembered_ref(str(ref))
            return None if chat_id is None else self.index.get(chat_id)
        return self.index.get(int(ref.value))

    async def _by_username(self, ref: ChatRef) -> Any:
        try:
            entity = await self.caller.call(
                lambda: self.client.get_entity(str(ref.value)),
                chat=str(ref),
                what="ResolveUsernameRequest",
            )
        except (ValueError, errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
            raise ChatError(
                str(ref), "no user, group or channel has this username; check the spelling in chats"
            ) from None
        if isinstance(entity, types.Channel) and entity.access_hash:
            self.memory.remember_channel(str(ref.value), entity.id, entity.access_hash)
        return entity

    async def _by_invite(self, ref: ChatRef) -> Any:
        try:
            invite = await self.caller(
                functions.messages.CheckChatInviteRequest(str(ref.value)), chat=str(ref)
            )
        except (errors.InviteHashExpiredError, errors.InviteHashInvalidError):
            raise ChatError(
                str(ref), "the invite link is invalid or expired; ask for a new link"
            ) from None
        if isinstance(invite, types.ChatInviteAlready):
            self.memory.remember_ref(str(ref), utils.get_peer_id(invite.chat))
            return invite.chat
        raise ChatError(
            str(ref),
            "this account is not a member of the chat behind the invite link; "
            "open the link in Telegram and join first",
        )

    async def _by_id(self, ref: ChatRef) -> Any:
        """A chat that is not a dialog: only an entity cache (a session file) knows it."""
        marked = int(ref.value)
        try:
            return await self.caller.call(
                lambda: self.client.get_entity(marked), chat=str(ref), what="get_entity"
            )
        except ValueError:
            raise ChatError(
                str(ref),
                "not found among this account's dialogs; check the id (channels look like "
                "-100...), or use the @username or a t.me link",
            ) from None


async def fetch_full(caller: Caller, entity: Any, label: str, logger: logging.Logger) -> Any | None:
    """Full info (about, member count, linked chat); ``None`` if Telegram refuses."""
    try:
        if isinstance(entity, types.Channel):
            request: Any = functions.channels.GetFullChannelRequest(utils.get_input_channel(entity))
        elif isinstance(entity, types.Chat):
            request = functions.messages.GetFullChatRequest(entity.id)
        elif isinstance(entity, types.User):
            request = functions.users.GetFullUserRequest(utils.get_input_user(entity))
        else:
            return None
        result = await caller(request, chat=label)
    except (ChatError, errors.RPCError) as exc:
        logger.warning("chat %s: no full info (%s); continuing without it", label, exc)
        return None
    return getattr(result, "full_chat", None) or getattr(result, "full_user", None)


async def resolve_chats(
    client: TelegramClient,
    caller: Caller,
    settings: Settings,
    logger: logging.Logger,
    on_failure: Callable[[ChatError], None],
    *,
    exclusions: Exclusions,
    memory: SourceMemory | None = None,
) -> list[ResolvedChat]:
    """Resolve the configured chats (or every dialog) in a stable order, deduplicated.

    A chat that cannot be resolved goes to ``on_failure`` (which raises when
    ``on_chat_error`` is ``fail``) and the others are still returned. Chats that
    ``exclusions`` names are left out before their full info is asked for. A selected
    basic group that was upgraded brings its supergroup along
    (:func:`.chats.dialogs.follow_upgrades`).
    """
    refs = parse_chat_refs(settings.chats)
    kinds = wanted_types(settings)  # validated even when chats are listed
    memory = memory or SourceMemory(None, settings)
    resolver = _Resolver(client, caller, memory)
    resolver.logger = logger
    await resolver.load(refs)
    if refs:
        entities = await _configured(resolver, refs, on_failure)
    else:
        entities = await _all_dialogs(resolver, kinds)
    entities = await follow_upgrades(caller, resolver.index, entities, logger)
    chats = exclusions.apply(_distinct(entities, resolver.index))
    if resolver.folders is not None:
        for chat in chats:
            chat.folders = folder_titles(chat.chat_id, resolver.index, resolver.folders, memory.now)
    await _full_infos(resolver, chats, logger)
    return chats


@dataclasses.dataclass
class Exclusions:
    """The ``exclude_chats`` entries, matched locally (by id or username) against chats.

    Applied to the chats of ``chats`` or the dialogs, and again to the discussion
    groups ``include_comments`` adds (a group is added by id: exclusion still has
    the last word). An entry that matched nothing in either is reported once, by
    :func:`announce_selection`.
    """

    refs: list[ChatRef]
    #: Invite links resolved to their chat's marked id (the link alone does not say).
    invited: dict[ChatRef, int]
    #: Entries that matched no chat so far.
    unmatched: list[ChatRef] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.unmatched = list(self.refs)

    def matches(self, ref: ChatRef, chat: ResolvedChat) -> bool:
        """Whether ``ref`` names ``chat``."""
        if ref.kind == "id":
            return chat.chat_id == ref.value
        if ref.kind == "invite":
            return self.invited.get(ref) == chat.chat_id
        return str(ref.value).lower() in _usernames(chat.entity)

    def apply(self, chats: list[ResolvedChat]) -> list[ResolvedChat]:
        """``chats`` without the excluded ones, in their order."""
        kept, unmatched = without_excluded(chats, self.refs, self.matches)
        self.unmatched = [ref for ref in self.unmatched if ref in unmatched]
        return kept


async def load_exclusions(client: TelegramClient, caller: Caller, settings: Settings) -> Exclusions:
    """The ``exclude_chats`` setting, parsed; invite links resolved (one request each).

    An invite link that cannot be resolved matches nothing, which is reported.
    """
    refs = parse_chat_refs(settings.exclude_chats, "exclude_chats")
    resolver = _Resolver(client, caller, SourceMemory(None, settings))
    invited: dict[ChatRef, int] = {}
    for ref in refs:
        if ref.kind == "invite":
            entity = await _outcome(resolver.resolve(ref))
            if not isinstance(entity, ChatError):
                invited[ref] = utils.get_peer_id(entity)
    return Exclusions(refs, invited)


def announce_selection(
    settings: Settings,
    chats: list[ResolvedChat],
    exclusions: Exclusions,
    logger: logging.Logger,
    *,
    failed: bool = False,
) -> None:
    """Say what the run is about to read, before it reads any message.

    Exclusions that matched nothing, and, without ``chats``, that every dialog is
    read (how many of which types).
    """
    report_unmatched(logger, exclusions.unmatched)
    # A chat folder's rules may match nothing for a while (one that leaves out read chats,
    # when all are read): its own warning said so, and the run is not a settings mistake.
    named_folder = any(ref.kind == "folder" for ref in parse_chat_refs(settings.chats))
    refuse_empty(
        settings, "among the account's dialogs", None, len(chats), failed=failed or named_folder
    )
    if not settings.chats:
        types = [chat_type(chat.entity) for chat in chats]
        announce_every_chat(logger, "of the account (its dialogs)", types)


async def _full_infos(
    resolver: _Resolver, chats: list[ResolvedChat], logger: logging.Logger
) -> None:
    """Each chat's full info: fetched when due (concurrently), else as remembered."""
    memory = resolver.memory
    wanted = memory.due_fulls((c.chat_id, getattr(c.entity, "has_link", None)) for c in chats)
    due = [chat for chat in chats if chat.chat_id in wanted]
    fulls = await asyncio.gather(
        *(fetch_full(resolver.caller, c.entity, c.label, logger) for c in due)
    )
    fetched = {c.chat_id: full for c, full in zip(due, fulls, strict=True) if full is not None}
    for chat in chats:
        full = fetched.get(chat.chat_id)
        if full is not None:
            memory.remember_full(chat.chat_id, FullInfo.of(full))
            chat.full = full
        else:
            chat.full = remembered = memory.remembered_full(chat.chat_id)
            if remembered is not None and getattr(chat.entity, "participants_count", None):
                # The dialog's count is fresher than the one remembered.
                chat.full = dataclasses.replace(remembered, participants_count=None)
    logger.info(
        "chats: full info fetched for %d of %d (the others as of their last refresh)",
        len(fetched),
        len(chats),
    )


async def _configured(
    resolver: _Resolver, refs: list[ChatRef], on_failure: Callable[[ChatError], None]
) -> list[Any]:
    """The entities of the ``chats`` entries that resolve, in config order."""
    # Concurrently (under the run's request budget), reported in config order.
    outcomes = await asyncio.gather(*(_outcome(resolver.resolve(ref)) for ref in refs))
    entities = []
    for outcome in outcomes:
        if isinstance(outcome, ChatError):
            on_failure(outcome)
        elif isinstance(outcome, list):  # a folder's chats
            entities.extend(outcome)
        else:
            entities.append(outcome)
    return entities


async def _all_dialogs(resolver: _Resolver, kinds: set[str]) -> list[Any]:
    """No ``chats`` setting: every accessible dialog of the wanted ``chat_types``."""
    return [
        entity
        for entity in resolver.dialogs()
        if chat_type(entity) in kinds and not isinstance(entity, types.ChatForbidden)
    ]


def _usernames(entity: Any) -> set[str]:
    """Every username of a chat, lower case (the main one and collectible ones)."""
    names = {str(item.username) for item in getattr(entity, "usernames", None) or []}
    names.add(str(getattr(entity, "username", None) or ""))
    return {name.lower() for name in names if name}


def _distinct(entities: list[Any], index: Dialogs) -> list[ResolvedChat]:
    """One :class:`ResolvedChat` per marked id, first occurrence first.

    A dialog's ``top_message`` and ``pts`` go with it; a chat that is not a dialog has none.
    """
    chats: list[ResolvedChat] = []
    seen: set[int] = set()
    for entity in entities:
        marked = utils.get_peer_id(entity)
        if marked in seen:
            continue
        seen.add(marked)
        dialog = index.get(marked)
        chats.append(
            ResolvedChat(
                chat_id=marked,
                entity=entity,
                input_peer=utils.get_input_peer(entity),
                label=chat_label(entity),
                top_message=dialog.top_message if dialog is not None else None,
                pts=dialog.pts if dialog is not None else None,
            )
        )
    return chats


async def _outcome(resolving: Awaitable[Any]) -> Any:
    """The entity, or the ChatError that resolving it raised (other errors propagate)."""
    try:
        return await resolving
    except ChatError as error:
        return error
