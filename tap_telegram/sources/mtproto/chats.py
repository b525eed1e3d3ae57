"""Turn the ``chats`` setting into resolved Telegram entities.

A ``StringSession`` keeps no entity cache between runs, so a bare numeric id can
only be resolved once its access hash is known: this module loads the account's
dialogs once, only when an id needs it. Usernames and links resolve directly. Every
failure names the entry as the user wrote it and says what to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telethon import TelegramClient, errors, functions, utils
from telethon.tl import types

from tap_telegram.errors import ChatError, ConfigError
from tap_telegram.records.constants import CHAT_TYPES
from tap_telegram.sources.base import label_for
from tap_telegram.sources.chatrefs import ChatRef, parse_chat_refs
from tap_telegram.sources.mtproto.calls import Caller
from tap_telegram.sources.mtproto.mapping.messages import chat_type, display_name, username_of


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


def chat_label(entity: Any) -> str:
    """``@username (id)`` or ``'Title' (id)``: how logs and errors name a chat."""
    return label_for(utils.get_peer_id(entity), username_of(entity), display_name(entity))


def wanted_types(config: Mapping[str, Any]) -> set[str]:
    """The ``chat_types`` setting, validated."""
    values = config.get("chat_types") or list(CHAT_TYPES)
    unknown = sorted(set(values) - set(CHAT_TYPES))
    if unknown:
        raise ConfigError(
            f"setting 'chat_types': unknown {', '.join(unknown)}; "
            f"use any of {', '.join(CHAT_TYPES)}"
        )
    return set(values)


class _Resolver:
    """Turns one ``chats`` entry into an entity; loads the account's dialogs at most once."""

    def __init__(self, client: TelegramClient, caller: Caller) -> None:
        self.client = client
        self.caller = caller
        self.dialogs_loaded = False
        self._dialogs_lock = asyncio.Lock()

    async def dialogs(self) -> list[Any]:
        """All dialogs of the account (this also fills Telethon's entity cache)."""
        dialogs = await self.caller.call(
            lambda: self.client.get_dialogs(limit=None), chat="dialogs", what="GetDialogsRequest"
        )
        self.dialogs_loaded = True
        return [dialog.entity for dialog in dialogs]

    async def resolve(self, ref: ChatRef) -> Any:
        """The entity behind ``ref``, or a ChatError naming the entry as written."""
        if ref.kind == "username":
            return await self._by_username(ref)
        if ref.kind == "invite":
            return await self._by_invite(ref)
        return await self._by_id(ref)

    async def _by_username(self, ref: ChatRef) -> Any:
        try:
            return await self.caller.call(
                lambda: self.client.get_entity(str(ref.value)),
                chat=str(ref),
                what="ResolveUsernameRequest",
            )
        except (ValueError, errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
            raise ChatError(
                str(ref), "no user, group or channel has this username; check the spelling in chats"
            ) from None

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
            return invite.chat
        raise ChatError(
            str(ref),
            "this account is not a member of the chat behind the invite link; "
            "open the link in Telegram and join first",
        )

    async def _by_id(self, ref: ChatRef) -> Any:
        marked = int(ref.value)
        for attempt in range(2):
            try:
                return await self.caller.call(
                    lambda: self.client.get_entity(marked), chat=str(ref), what="get_entity"
                )
            except ValueError:
                if attempt:
                    break
                # Chats resolve concurrently: the first one in loads the dialogs.
                async with self._dialogs_lock:
                    if not self.dialogs_loaded:
                        await self.dialogs()
        raise ChatError(
            str(ref),
            "not found among this account's dialogs; check the id (channels look like "
            "-100...), or use the @username or a t.me link",
        )

    async def full(self, entity: Any, label: str, logger: logging.Logger) -> Any | None:
        """Full info (about, member count, linked chat); ``None`` if Telegram refuses."""
        try:
            if isinstance(entity, types.Channel):
                request: Any = functions.channels.GetFullChannelRequest(
                    utils.get_input_channel(entity)
                )
            elif isinstance(entity, types.Chat):
                request = functions.messages.GetFullChatRequest(entity.id)
            elif isinstance(entity, types.User):
                request = functions.users.GetFullUserRequest(utils.get_input_user(entity))
            else:
                return None
            result = await self.caller(request, chat=label)
        except (ChatError, errors.RPCError) as exc:
            logger.warning("chat %s: no full info (%s); continuing without it", label, exc)
            return None
        return getattr(result, "full_chat", None) or getattr(result, "full_user", None)


async def resolve_chats(
    client: TelegramClient,
    caller: Caller,
    config: Mapping[str, Any],
    logger: logging.Logger,
    on_failure: Callable[[ChatError], None],
) -> list[ResolvedChat]:
    """Resolve the configured chats (or every dialog) in a stable order, deduplicated.

    A chat that cannot be resolved goes to ``on_failure`` (which raises when
    ``on_chat_error`` is ``fail``) and the others are still returned.
    """
    refs = parse_chat_refs(config.get("chats"))
    kinds = wanted_types(config)  # validated even when chats are listed
    resolver = _Resolver(client, caller)
    if refs:
        entities = await _configured(resolver, refs, on_failure)
    else:
        entities = await _all_dialogs(resolver, kinds, logger)
    chats = _distinct(entities)
    fulls = await asyncio.gather(*(resolver.full(c.entity, c.label, logger) for c in chats))
    for chat, full in zip(chats, fulls, strict=True):
        chat.full = full
    return chats


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
        else:
            entities.append(outcome)
    return entities


async def _all_dialogs(resolver: _Resolver, kinds: set[str], logger: logging.Logger) -> list[Any]:
    """No ``chats`` setting: every accessible dialog of the wanted ``chat_types``."""
    entities = [
        entity
        for entity in await resolver.dialogs()
        if chat_type(entity) in kinds and not isinstance(entity, types.ChatForbidden)
    ]
    logger.info("no chats configured: %d dialogs of type %s", len(entities), sorted(kinds))
    return entities


def _distinct(entities: list[Any]) -> list[ResolvedChat]:
    """One :class:`ResolvedChat` per marked id, first occurrence first."""
    chats: list[ResolvedChat] = []
    seen: set[int] = set()
    for entity in entities:
        marked = utils.get_peer_id(entity)
        if marked in seen:
            continue
        seen.add(marked)
        chats.append(
            ResolvedChat(
                chat_id=marked,
                entity=entity,
                input_peer=utils.get_input_peer(entity),
                label=chat_label(entity),
            )
        )
    return chats


async def _outcome(resolving: Awaitable[Any]) -> Any:
    """The entity, or the ChatError that resolving it raised (other errors propagate)."""
    try:
        return await resolving
    except ChatError as error:
        return error
