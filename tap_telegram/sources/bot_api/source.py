"""Bot API source: live messages of the groups and channels a bot is in.

A bot has no history: Telegram keeps the updates it has not yet *confirmed* (at most
24 hours) and the bot reads them with ``getUpdates``. Calling ``getUpdates`` with
``offset = N + 1`` confirms, and deletes on Telegram's side, every update up to
``N``. That rule fixes the design:

* :meth:`BotApiSource.update_pages` is a generator that yields one page of mapped
  records and only asks for the next page (whose ``offset`` confirms this one) when
  the consumer comes back for more, i.e. after the stream has handed every record of
  the page to the SDK and written STATE with the page's last ``update_id``;
* the run's last page is never confirmed by the run: the next run's first call
  (without an offset, so it confirms nothing) finds it still queued, recognises it by
  the ``update_id`` in the STATE the target persisted, skips it and confirms it (a
  rerun never re-emits what a completed run delivered);
* a run ends at the first page shorter than ``page_size`` (the queue was drained at
  that moment), so a busy bot cannot keep a run going forever.

Messages come from ``message``, ``edited_message``, ``channel_post`` and
``edited_channel_post``; an edit is the same record (primary key chat_id, id) again,
which targets upsert. Updates from chats not in ``chats`` are skipped, and they are
confirmed like all others: Telegram drops them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tap_telegram.errors import ChatError, ConfigError
from tap_telegram.records.types import plain
from tap_telegram.sources.base import (
    Record,
    SourceContext,
    UpdateLogSource,
    UpdatePage,
    label_for,
)
from tap_telegram.sources.bot_api.answers import (
    checked_object,
    checked_updates,
    message_problem,
    unmapped,
)
from tap_telegram.sources.bot_api.http import BotApiClient, BotApiError
from tap_telegram.sources.bot_api.mapping.messages import (
    BOT_API_CHAT_TYPES,
    MESSAGE_UPDATES,
    map_chat,
    map_message,
    map_user,
    message_users,
    update_message,
)
from tap_telegram.sources.chatrefs import ChatRef, parse_chat_refs
from tap_telegram.sources.selection import (
    announce_every_chat,
    report_unmatched,
    wanted_types,
    without_excluded,
)

#: Seconds between progress lines on long runs.
PROGRESS_EVERY = 30.0
#: What @BotFather hands out: ``<bot id>:<secret>``.
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
#: Telegram's largest ``limit`` for getUpdates.
MAX_LIMIT = 100


class BotApiSource(UpdateLogSource):
    """Reads a bot's pending updates; see the module docstring for the cursor rules."""

    name = "bot_api"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        settings = context.settings
        self._token = str(settings.bot_token or "")
        if not self._token:
            raise ConfigError(
                "setting 'bot_token' is required with source: bot_api; create a bot with "
                "@BotFather (/newbot) and copy its token"
            )
        if not TOKEN_SHAPE.fullmatch(self._token):
            # Also keeps redaction exact: such a token is never percent-encoded in a URL.
            raise ConfigError(
                "setting 'bot_token' does not look like a bot token (digits, a colon, then "
                "letters, digits, - or _); copy it again from @BotFather"
            )
        self._refs = _refs(settings.chats, "chats")
        self._ids = {ref.value for ref in self._refs if ref.kind == "id"}
        self._names = {str(ref.value).lower() for ref in self._refs if ref.kind == "username"}
        #: Without ``chats``: the chat types to keep (a bot's chats say their type).
        self._kinds = wanted_types(settings)
        self._excluded = _refs(settings.exclude_chats, "exclude_chats")
        #: The chats ``exclude_chats`` names: ids as written or learnt with getChat in
        #: :meth:`open`, and usernames (an update's chat carries its username).
        self._excluded_ids = {int(ref.value) for ref in self._excluded if ref.kind == "id"}
        self._excluded_names = {
            str(ref.value).lower() for ref in self._excluded if ref.kind == "username"
        }
        self._chats: dict[int, Record] = {}
        self.client: BotApiClient | None = None
        self.page_size = int(settings.page_size)
        self.poll_timeout = int(settings.bot_api_timeout)
        self.allowed_updates = list(settings.allowed_updates or MESSAGE_UPDATES)

    def open(self) -> None:
        """Check the token (getMe), read the configured and excluded chats (getChat).

        Without ``chats``, say that every chat the bot hears from is extracted.
        """
        self.client = BotApiClient(
            self._token,
            base_url=self.settings.bot_api_url,
            logger=self.logger,
            max_flood_wait=float(self.settings.max_flood_wait),
        )
        me = checked_object(self.client.call("getMe"), "getMe", self.client.shown_url, "id")
        self.logger.info(
            "bot @%s (%s): reading updates %s",
            me.get("username"),
            me.get("id"),
            ", ".join(self.allowed_updates),
        )
        for ref in self._refs:
            try:
                chat = checked_object(
                    self.client.call("getChat", chat_id=_chat_id(ref)),
                    "getChat",
                    self.client.shown_url,
                    "id",
                )
            except BotApiError as error:
                self.chat_failed(ChatError(str(ref), str(error)))
                continue
            self._chats[int(chat["id"])] = plain(map_chat(chat))
            self._ids.add(int(chat["id"]))
        if self._refs:
            self._exclude_from_chats()
        else:
            self._exclude_by_id(self.client)
            announce_every_chat(self.logger, "this bot receives updates from", None)

    def _exclude_from_chats(self) -> None:
        """Take the ``exclude_chats`` chats out of those ``chats`` named (matched locally)."""
        chats = list(self._chats.values())
        kept, unmatched = without_excluded(chats, self._excluded, _ref_matches)
        report_unmatched(self.logger, unmatched)
        self._excluded_ids |= set(self._chats) - {chat["id"] for chat in kept}
        self._chats = {chat["id"]: chat for chat in kept}

    def _exclude_by_id(self, client: BotApiClient) -> None:
        """Learn the ids of the ``exclude_chats`` chats (getChat), to skip their updates.

        A chat the bot cannot see sends it no updates: the entry excludes nothing,
        which is said, as for the other sources. (Its id or username still excludes
        it, whatever getChat answered.)
        """
        for ref in self._excluded:
            try:
                chat = checked_object(
                    client.call("getChat", chat_id=_chat_id(ref)), "getChat", client.shown_url, "id"
                )
            except BotApiError:
                self.logger.warning(
                    "tap-telegram: setting 'exclude_chats': '%s' matches no chat this bot "
                    "can see (getChat failed), so it excludes nothing; check the id or "
                    "@username",
                    ref,
                )
                continue
            self._excluded_ids.add(int(chat["id"]))

    def call_stats(self, chat_id: int | None = None) -> dict[str, float]:
        """Requests of the run (for the summary line); none per chat: one cursor for all."""
        if chat_id is not None or self.client is None:
            return {}
        client = self.client
        return {
            "requests": client.requests,
            "flood_waits": client.flood_waits,
            "flood_seconds": client.flood_seconds,
        }

    def close(self) -> None:
        """Close the HTTP session (idempotent)."""
        client, self.client = self.client, None
        if client is not None:
            client.close()

    def chats(self) -> list[Record]:
        """Configured chats (getChat) and chats seen in this run's updates."""
        return list(self._chats.values())

    def chat_label(self, chat_id: int) -> str:
        """``@username (id)`` or ``'Title' (id)`` of a chat seen or configured."""
        chat = self._chats.get(chat_id) or {}
        return label_for(chat_id, chat.get("username"), chat.get("title"))

    def _selected(self, chat: Mapping[str, Any]) -> bool:
        """Whether an update's chat is wanted.

        Named in ``chats`` (or, without it, of a wanted ``chat_types``), and not
        excluded.
        """
        username = str(chat.get("username") or "").lower()
        if int(chat["id"]) in self._excluded_ids or (username and username in self._excluded_names):
            return False
        if not self._refs:
            return BOT_API_CHAT_TYPES.get(str(chat.get("type")), "") in self._kinds
        return chat["id"] in self._ids or (bool(username) and username in self._names)

    def update_pages(self, after: int | None) -> Iterator[UpdatePage]:
        """Pages of the updates not yet delivered, oldest first.

        Lazy on purpose: the request for page N+1 (which confirms page N) is sent
        only when the caller asks for it, after it has emitted page N and its STATE.
        ``after`` is the ``update_id`` the previous run delivered last; see
        :meth:`_undelivered` for how the first answer is matched against it.
        """
        assert self.client is not None, "open() first"
        offset: int | None = None  # the first call confirms nothing
        first = True
        emitted: int | None = None  # the highest update_id of this run's pages
        totals = {"updates": 0, "messages": 0, "edits": 0, "skipped": 0}
        last_log = time.monotonic()
        while True:
            limit = MAX_LIMIT if first else self.page_size
            answer = checked_updates(
                self.client.call(
                    "getUpdates",
                    offset=offset,
                    limit=limit,
                    timeout=self.poll_timeout,
                    allowed_updates=self.allowed_updates,
                ),
                self.client.shown_url,
                emitted,
                self.logger,
            )
            updates = self._undelivered(answer, after) if first else answer
            first = False
            page = updates[: self.page_size]
            if page:
                emitted = int(page[-1]["update_id"])
                yield self._page(page, totals)
            # More may be pending: this answer was full, or only part of it was used.
            if not answer or (len(answer) < limit and len(page) == len(updates) and page):
                break
            offset = int((page or answer)[-1]["update_id"]) + 1
            if time.monotonic() - last_log >= PROGRESS_EVERY:
                last_log = time.monotonic()
                self.logger.info("bot_api: %d updates so far", totals["updates"])
        self.logger.info(
            "bot_api: %d updates read (%d messages, %d of them edits, %d from chats not in "
            "`chats`, skipped); %d requests",
            totals["updates"],
            totals["messages"],
            totals["edits"],
            totals["skipped"],
            self.client.requests,
        )

    def _undelivered(self, answer: list[dict[str, Any]], after: int | None) -> list[dict[str, Any]]:
        """The updates of a run's first answer that no run delivered yet.

        The first call sends no offset, so it confirms nothing and sees the queue from
        its oldest unconfirmed update, with room for a whole page of the previous run
        (``limit`` 100). A completed run leaves its last page unconfirmed; if the
        update ``after`` is in the answer, everything up to it was delivered (the
        target persisted STATE saying so) and is skipped. If it is not, ids at or
        below ``after`` are new: Telegram restarts update ids at a random value after
        a week without updates, by which time the old page has long expired (24 h).
        """
        if after is None:
            return answer
        ids = [int(update["update_id"]) for update in answer]
        if after in ids:
            return [update for update in answer if int(update["update_id"]) > after]
        if any(update_id <= after for update_id in ids):
            self.logger.warning(
                "bot_api: update ids restarted below the last one delivered (%d); Telegram "
                "does this after a week without updates. Reading them as new.",
                after,
            )
        return answer

    def _page(self, updates: list[dict[str, Any]], totals: dict[str, int]) -> UpdatePage:
        """Map one page: message records, chats and users seen, counters."""
        records: list[Record] = []
        for update in updates:
            totals["updates"] += 1
            found = update_message(update)
            if found is None:
                problem = message_problem(update)
                if problem is not None:
                    unmapped(update, problem, self.logger)
                continue
            message, is_edit = found
            try:
                if not self._selected(message["chat"]):
                    totals["skipped"] += 1
                    continue
                record = map_message(message)
                chat = map_chat(message["chat"])
                users = [map_user(user) for user in message_users(message)]
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
                unmapped(
                    update, f"its message cannot be read ({type(error).__name__})", self.logger
                )
                continue
            records.append(plain(record))
            totals["messages"] += 1
            totals["edits"] += is_edit
            self._chats.setdefault(record["chat_id"], plain(chat))
            for user in users:
                self.users.add(plain(user))
        return UpdatePage(
            records=records, last_update_id=int(updates[-1]["update_id"]), updates=len(updates)
        )


def _refs(values: Sequence[str | int] | None, setting: str) -> list[ChatRef]:
    """``chats`` or ``exclude_chats`` parsed; invite links are an error (a bot cannot use them)."""
    refs = parse_chat_refs(values, setting)
    folders = [str(ref) for ref in refs if ref.kind == "folder"]
    if folders:
        raise ConfigError(
            f"setting '{setting}': chat folders ({', '.join(folders)}) belong to a user account "
            "(source mtproto); a bot has none: list the chats by id or @username"
        )
    invites = [str(ref) for ref in refs if ref.kind == "invite"]
    if invites:
        raise ConfigError(
            f"setting '{setting}': a bot cannot match invite links ({', '.join(invites)}); "
            "use the chat's numeric id or @username"
        )
    return refs


def _chat_id(ref: ChatRef) -> int | str:
    """The ``chat_id`` of getChat for a reference: the id, or ``@username``."""
    return ref.value if ref.kind == "id" else f"@{ref.value}"


def _ref_matches(ref: ChatRef, chat: Record) -> bool:
    """Whether a reference names this ``chats`` record (by id or username)."""
    if ref.kind == "id":
        return bool(chat["id"] == ref.value)
    return str(chat.get("username") or "").lower() == str(ref.value).lower()
