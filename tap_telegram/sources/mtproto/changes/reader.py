"""Change capture: what Telegram's update logs say changed since the last run.

Every Telegram client keeps in sync through update logs (core.telegram.org/api/updates):

* **Channels and supergroups** have one log each, positioned by the channel's ``pts``,
  which every dialog carries (``Dialog.pts``). A channel whose dialog pts equals the
  stored one changed nothing: it costs no request. Otherwise
  ``updates.getChannelDifference(channel, pts, limit=100)`` is paged until ``final``
  (users pass 10 to 100, core.telegram.org/method/updates.getChannelDifference): its
  ``new_messages`` and ``other_updates`` (``updateEditChannelMessage``,
  ``updateDeleteChannelMessages``) are every new, edited and deleted message since.
  ``channelDifferenceTooLong`` (Telegram's pages disagree on when: "pts + limit <
  remote pts" on one, "roughly older than latest pts - 100,000" on another) means the
  log cannot be read: the chat falls back to its history after the bookmark (new
  messages are never lost) and its lookback window, and restarts from the ``pts`` of
  the dialog it returns.
* **Private chats and basic groups** share the account's log: ``updates.getState``
  gives its position (pts, qts, date), ``updates.getDifference`` what happened since,
  in ``differenceSlice`` pages (``intermediate_state``: ask again) up to a final
  ``difference``; ``differenceTooLong`` falls back like above, from its ``pts``.
  ``updateEditMessage`` carries the message (so its chat); ``updateDeleteMessages``
  carries ids only: the stream attributes them through the ids it delivered.

Positions are taken **before** any history is read (a chat's first run stores its
dialog pts, or the account's state), so a change made while history is read is seen
by the next run. New messages in a difference are left alone: the history reads
them by id after the bookmark, which is what moves a bookmark. Update requests go
through the plain client, outside a takeout session (which wraps export requests).
Reactions and views are not pts events: only a lookback window refreshes them. A read
that fails, a refused position, a slice that does not advance: :mod:`.changes.failures`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from telethon import TelegramClient, functions, utils
from telethon.tl import types

from tap_telegram.errors import ConnectionLostError
from tap_telegram.sources.mtproto.changes.failures import (
    OUTDATED,
    REFUSALS,
    SURVIVED,
    Refusal,
    problem_of,
    refusal_of,
    refused_line,
    stalled,
)
from tap_telegram.sources.mtproto.changes.log_changes import ChatChanges, LogChanges
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Updates per ``getChannelDifference`` page: the most Telegram lets a user ask for.
PAGE = 100
#: Counter label of the account's log requests (they belong to no one chat).
LABEL = "updates"
_EDITS = (types.UpdateEditChannelMessage, types.UpdateEditMessage)
_QUIET = ChatChanges()


@dataclasses.dataclass
class _Raw:
    """Edited messages as Telegram sent them, and the users and chats they reference."""

    #: chat id -> message id -> the message's newest content.
    messages: dict[int, dict[int, Any]] = dataclasses.field(default_factory=dict)
    users: dict[int, Any] = dataclasses.field(default_factory=dict)
    chats: dict[int, Any] = dataclasses.field(default_factory=dict)

    def keep(self, users: Iterable[Any], chats: Iterable[Any]) -> None:
        """Remember the peers of an answer (the edited messages are mapped later)."""
        self.users.update((user.id, user) for user in users)
        self.chats.update((chat.id, chat) for chat in chats)

    def edit(self, chat_id: int, changes: ChatChanges, message: Any) -> None:
        """An edit: its newest content wins."""
        self.messages.setdefault(chat_id, {})[message.id] = message
        changes.edited.add(message.id)
        changes.deleted.discard(message.id)

    def forget(self, chat_id: int, changes: ChatChanges, ids: Iterable[int]) -> None:
        """Messages gone: an earlier edit of them no longer matters."""
        kept = self.messages.get(chat_id, {})
        for message_id in ids:
            kept.pop(message_id, None)
            changes.edited.discard(message_id)

    def delete(self, chat_id: int, changes: ChatChanges, ids: Iterable[int]) -> None:
        """A deletion in a chat the update names (channels)."""
        ids = list(ids)
        self.forget(chat_id, changes, ids)
        changes.deleted.update(ids)


class ChangeReader:
    """Reads the update logs of one run and keeps the edited messages for mapping."""

    def __init__(self, client: TelegramClient, caller: Caller, logger: logging.Logger) -> None:
        self.client = client
        self.caller = caller
        self.logger = logger
        self.raw = _Raw()

    async def read(
        self,
        chats: list[ResolvedChat],
        positions: Mapping[int, int | None],
        account: Mapping[str, int] | None,
    ) -> LogChanges:
        """What changed in ``chats`` since their stored positions (see the module docstring)."""
        channels = [chat for chat in chats if isinstance(chat.entity, types.Channel)]
        selected = {chat.chat_id for chat in chats if not isinstance(chat.entity, types.Channel)}
        reading = [self._channel(chat, positions.get(chat.chat_id)) for chat in channels]
        results = await asyncio.gather(*reading, return_exceptions=True)
        out = LogChanges()
        for chat, result in zip(channels, results, strict=True):
            if isinstance(result, BaseException):
                raise result  # the run's own failure (a revoked session): not the log's
            out.chats[chat.chat_id] = result
        if selected:
            await self._account(out, selected, account)
        changed = sum(1 for chat in channels if out.chats.get(chat.chat_id, _QUIET).requests)
        self.logger.info(
            "update log: %d of %d channels changed since the last run, %d edits and %d "
            "deletions named in %d difference requests",
            changed,
            len(channels),
            sum(len(c.edited) for c in out.chats.values()),
            sum(len(c.deleted) for c in out.chats.values()) + len(out.account_deleted),
            out.requests,
        )
        return out

    def edited(self, chat_id: int, ids: Iterable[int]) -> tuple[list[Any], list[Any], list[Any]]:
        """The raw edited messages of ``ids`` in a chat, with the users and chats to map them."""
        kept = self.raw.messages.get(chat_id, {})
        messages = [kept[i] for i in sorted(ids) if i in kept]
        return messages, list(self.raw.users.values()), list(self.raw.chats.values())

    # -- channels ------------------------------------------------------------------

    async def _channel(self, chat: ResolvedChat, stored: int | None) -> ChatChanges:
        """One channel's changes since ``stored`` (its first position when ``None``).

        A read that fails leaves the position where it was (:mod:`.changes.failures`); a
        position Telegram refuses is replaced only together with a verification mark.
        """
        try:
            if stored is None:
                return ChatChanges(pts=await self._current_pts(chat))
            if chat.pts is not None and chat.pts == stored:
                return ChatChanges(pts=stored)  # the dialog says nothing happened
            try:
                return await self._channel_difference(chat, stored)
            except Refusal as refusal:
                if refusal.rpc != OUTDATED:
                    return await self._refused(chat, stored, refusal)
            try:  # OUTDATED: "try again later", permanent for some channels: once more
                return await self._channel_difference(chat, stored)
            except Refusal as refusal:
                return await self._refused(chat, stored, refusal)
        except SURVIVED as exc:  # a refusal here is of another request (its full info)
            self._survive(exc)
            return ChatChanges(pts=stored, failed=problem_of(exc), requests=1)

    async def _refused(self, chat: ResolvedChat, stored: int, refusal: Refusal) -> ChatChanges:
        """A refused position: a new one if Telegram gives it, stored only with a mark."""
        try:
            pts = await self._current_pts(chat)
        except SURVIVED as exc:
            self._survive(exc)
            pts = None
        self.logger.warning(
            "chat %s: %s",
            chat.label,
            refused_line(refusal.rpc, stored, hand_edited=stored <= 0, new=pts is not None),
        )
        return ChatChanges(pts=stored if pts is None else pts, refused=refusal.rpc, requests=1)

    async def _channel_difference(self, chat: ResolvedChat, stored: int) -> ChatChanges:
        """``getChannelDifference`` pages from ``stored`` until the last (see the docstring)."""
        changes = ChatChanges(pts=stored)
        channel = utils.get_input_channel(chat.input_peer)
        while True:
            request = functions.updates.GetChannelDifferenceRequest(
                channel=channel,
                filter=types.ChannelMessagesFilterEmpty(),
                pts=changes.pts if changes.pts is not None else stored,
                limit=PAGE,
                force=False,
            )
            answer = await self._send(request, chat.label)
            changes.requests += 1
            asked = request.pts
            if isinstance(answer, types.updates.ChannelDifferenceEmpty):
                changes.pts = answer.pts
                return changes
            if isinstance(answer, types.updates.ChannelDifferenceTooLong):
                changes.fallback = True
                changes.pts = getattr(answer.dialog, "pts", None) or changes.pts
                self.logger.warning(
                    "chat %s: too many changes since the last run for Telegram's update log: "
                    "new messages come from history as always; the chat is marked for "
                    "verification: its older edits and deletions will be verified by "
                    "re-reading its history (the lookback window, lookback_messages, sees "
                    "the newest at once)",
                    chat.label,
                )
                return changes
            self.raw.keep(answer.users, answer.chats)
            self._apply(answer.other_updates, changes_for=lambda _: (chat.chat_id, changes))
            changes.pts = answer.pts
            if answer.final:
                return changes
            if answer.pts == asked:
                stalled(self.logger, f"chat {chat.label}", asked)
                return changes

    async def _current_pts(self, chat: ResolvedChat) -> int | None:
        """A channel's current pts: its dialog's, else its full info's (a public channel)."""
        if chat.pts is not None:
            return chat.pts
        full = chat.full
        if not isinstance(full, types.ChannelFull):
            request = functions.channels.GetFullChannelRequest(
                utils.get_input_channel(chat.input_peer)
            )
            full = getattr(await self._send(request, chat.label), "full_chat", None)
        return getattr(full, "pts", None)

    # -- the account's log ---------------------------------------------------------

    async def _account(
        self, out: LogChanges, selected: set[int], stored: Mapping[str, int] | None
    ) -> None:
        """Changes of the private chats and basic groups in ``selected`` since ``stored``.

        Without a stored position (a first run) the account's current state is taken:
        tracking starts from now. A refused one is replaced by the current state too,
        stored only once every chat of the log is marked (:mod:`.changes.capture`); a
        read that fails leaves the position where it was.
        """
        try:
            if stored is not None and _position_ok(stored):
                try:
                    await self._account_difference(out, selected, stored)
                    return
                except Refusal as refusal:
                    out.account_refused = refusal.rpc
            elif stored is not None:
                out.account_refused = "MALFORMED_POSITION"  # never sent: no run writes it
            if out.account_refused is not None:
                self._forget_account(out, selected)
                hand_edited = not _position_ok(stored or {}) or int((stored or {})["pts"]) <= 0
                self.logger.warning(
                    "private chats and basic groups: %s",
                    refused_line(
                        out.account_refused, None, hand_edited=hand_edited, new=True
                    ).replace("the chat is marked", "each of them is marked"),
                )
            state = await self._send(functions.updates.GetStateRequest(), LABEL)
            out.account_requests += 1
            out.account = _position(state)
            out.account_is_start = out.account_refused is None
        except SURVIVED as exc:
            self._survive(exc)
            self._forget_account(out, selected)
            out.account, out.account_is_start = None, False
            out.account_failed = exc.rpc if isinstance(exc, Refusal) else problem_of(exc)
            out.account_requests += 1

    @staticmethod
    def _forget_account(out: LogChanges, selected: set[int]) -> None:
        """Nothing of the account's log is known after all (a refusal or a failure midway)."""
        for chat_id in selected:
            out.chats.pop(chat_id, None)
        out.account_deleted.clear()

    async def _account_difference(
        self, out: LogChanges, selected: set[int], stored: Mapping[str, int]
    ) -> None:
        """``getDifference`` slices from ``stored`` until the last (see the docstring)."""
        position = dict(stored)

        def changes_for(chat_id: int) -> tuple[int, ChatChanges] | None:
            if chat_id not in selected:
                return None  # a chat that is not selected: ignored
            return chat_id, out.chats.setdefault(chat_id, ChatChanges())

        while True:
            request = functions.updates.GetDifferenceRequest(
                pts=position["pts"],
                date=dt.datetime.fromtimestamp(position["date"], dt.timezone.utc),
                qts=position["qts"],
            )
            answer = await self._send(request, LABEL)
            out.account_requests += 1
            if isinstance(answer, types.updates.DifferenceEmpty):
                break
            if isinstance(answer, types.updates.DifferenceTooLong):
                out.account_fallback = True
                position["pts"] = answer.pts
                self.logger.warning(
                    "private chats and basic groups: too many changes since the last run for "
                    "Telegram's update log: new messages come from history as always; edits "
                    "and deletions are seen only in the lookback window this time"
                )
                break
            self.raw.keep(answer.users, answer.chats)
            deleted = self._apply(answer.other_updates, changes_for=changes_for)
            out.account_deleted.update(deleted)
            for chat_id in selected & out.chats.keys():
                # Account ids are unique per account, but channel ids (1, 2, ...) are
                # not: only the account's chats can have lost these ids.
                self.raw.forget(chat_id, out.chats[chat_id], deleted)
            state = getattr(answer, "state", None) or answer.intermediate_state
            asked, position = position, _position(state)
            if isinstance(answer, types.updates.Difference):
                break
            if all(position[key] == asked[key] for key in ("pts", "qts", "date")):
                stalled(self.logger, "private chats and basic groups", asked["pts"])
                break
        out.account = position

    # -- shared --------------------------------------------------------------------

    def _apply(self, updates: Iterable[Any], *, changes_for: Any) -> set[int]:
        """Edits and deletions of ``updates`` in log order; the account's deletions returned.

        ``changes_for(chat id)`` gives ``(chat id, its ChatChanges)``, or ``None`` for a chat
        that is not selected. An account deletion names no chat: its ids are returned.
        """
        unattributed: set[int] = set()
        for update in updates:
            if isinstance(update, _EDITS):
                found = changes_for(_chat_of(update.message))
                if found is not None:
                    self.raw.edit(found[0], found[1], update.message)
            elif isinstance(update, types.UpdateDeleteChannelMessages):
                marked = utils.get_peer_id(types.PeerChannel(update.channel_id))
                found = changes_for(marked)
                if found is not None:
                    self.raw.delete(found[0], found[1], update.messages)
            elif isinstance(update, types.UpdateDeleteMessages):
                unattributed.update(update.messages)  # the caller knows the account's chats
        return unattributed

    async def _send(self, request: Any, label: str) -> Any:
        """One update request through the run's policy, on the plain client (no takeout).

        A position Telegram refuses raises :class:`~.changes.failures.Refusal` (the
        caller would make it the chat's failure: it is the position's).
        """
        client = self.client

        async def send() -> Any:
            try:
                return await client(request)
            except REFUSALS as exc:
                return refusal_of(exc)

        answer = await self.caller.call(send, chat=label, what=type(request).__name__)
        if isinstance(answer, Refusal):
            raise answer
        return answer

    def _survive(self, exc: BaseException) -> None:
        """A log read failed: the rest of the run goes on (history is not the log's to lose).

        A lasting outage during the log's read made the connection give up; later
        requests may reconnect again, each within ``max_reconnect_seconds``.
        """
        if isinstance(exc, ConnectionLostError):
            self.caller.connection.resume()


def _chat_of(message: Any) -> int:
    """The marked chat id of a message (0 for one without a peer)."""
    peer = getattr(message, "peer_id", None)
    return int(utils.get_peer_id(peer)) if peer is not None else 0


def _position(state: Any) -> dict[str, int]:
    """An ``updates.State`` as STATE keeps it (integers: targets read numbers as decimals)."""
    date = state.date
    stamp = int(date.timestamp()) if isinstance(date, dt.datetime) else int(date or 0)
    return {"pts": int(state.pts), "qts": int(state.qts), "date": stamp}


def _position_ok(stored: Mapping[str, Any]) -> bool:
    """Whether a stored account position is usable (a hand-edited STATE may not be)."""
    return all(isinstance(stored.get(key), int) for key in ("pts", "qts", "date"))
