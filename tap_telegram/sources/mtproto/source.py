"""MTProto source: chats and their full history through a user session (Telethon).

This module is the source's face (:class:`MTProtoSource`): it opens the connection,
checks the session belongs to a user, resolves the chats and answers the
:class:`~tap_telegram.sources.base.Source` contract by handing work to the modules
that do it (see the package docstring for the map): history to :mod:`.history.fetch`, which
reads through :mod:`.history.reader`; lookback starts to :mod:`.history.probes`; topics and members
to :mod:`.chats.members`, when to list members again to :mod:`.chats.member_refresh`. Its one
asyncio loop runs in a thread of its own (:mod:`.wire.loop`); the synchronous SDK side blocks
on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, MutableMapping

from telethon import TelegramClient, functions
from telethon.tl import types

from tap_telegram.errors import ChatError, ConfigError, SessionError
from tap_telegram.sources.base import (
    ChatStatistics,
    HistorySource,
    MessageQuery,
    Record,
    SourceContext,
)
from tap_telegram.sources.lookback import Lookback
from tap_telegram.sources.mtproto.admin import log as admin_log
from tap_telegram.sources.mtproto.admin.log import admin_only_skip, read_admin_log
from tap_telegram.sources.mtproto.admin.statistics import StatisticsReader, StatsMemory
from tap_telegram.sources.mtproto.changes.capture import ChangeCapture, start_capture
from tap_telegram.sources.mtproto.changes.log_changes import LogChanges
from tap_telegram.sources.mtproto.changes.reader import ChangeReader
from tap_telegram.sources.mtproto.chats.comments import add_discussion_groups
from tap_telegram.sources.mtproto.chats.contacts import HASH_KEY, fetch_contacts
from tap_telegram.sources.mtproto.chats.member_refresh import MemberRefresh
from tap_telegram.sources.mtproto.chats.members import fetch_topics
from tap_telegram.sources.mtproto.chats.refresh import CHATS, Memory, SourceMemory, utc_now
from tap_telegram.sources.mtproto.chats.resolve import (
    ResolvedChat,
    announce_selection,
    load_exclusions,
    resolve_chats,
)
from tap_telegram.sources.mtproto.downloads.media import MediaDownloader, settings_of
from tap_telegram.sources.mtproto.history import probes
from tap_telegram.sources.mtproto.history.fetch import Fetcher, FetchSettings
from tap_telegram.sources.mtproto.history.reader import HistoryReader
from tap_telegram.sources.mtproto.history.sweep import Sweep, start_sweep
from tap_telegram.sources.mtproto.mapping.messages import map_chat
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.mtproto.wire.client import (
    ClientFactory,
    ClientSettings,
    build_client,
    client_settings,
)
from tap_telegram.sources.mtproto.wire.connection import Connection
from tap_telegram.sources.mtproto.wire.errors import BOT_SESSION, LOGIN_HINT
from tap_telegram.sources.mtproto.wire.loop import LoopThread
from tap_telegram.sources.mtproto.wire.rate import RateBudget
from tap_telegram.sources.mtproto.wire.takeout import Takeout
from tap_telegram.sources.pages import Page
from tap_telegram.sources.state_keys import PACE_KEY, PACE_TAKEOUT_KEY

#: Key of the statistics memory among what :meth:`MTProtoSource.recall` gets (a stream name).
STATS_MEMORY = "stats_graphs"


class MTProtoSource(HistorySource):
    """Reads chats and their full history with a Telegram user session."""

    name = "mtproto"
    remembers = True

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._client_factory: ClientFactory = context.client_factory or build_client
        self._runner: LoopThread | None = None
        self._client: TelegramClient | None = None
        self._caller: Caller | None = None
        self._takeout: Takeout | None = None
        self._chats: list[ResolvedChat] | None = None
        #: The same by marked id (thousands of chats are looked up thousands of times).
        self._by_id: dict[int, ResolvedChat] | None = None
        self._chat_records: list[Record] | None = None
        #: Reads, maps and enriches history pages; built once connected.
        self._history: HistoryReader | None = None
        self._fetch: Fetcher | None = None
        self._clock = context.clock or utc_now
        #: What earlier runs kept in STATE (see :meth:`recall`) and this run's view of it.
        self._recalled: Mapping[str, Memory] | None = None
        self._memory: SourceMemory | None = None
        #: When members are listed again (joins and leaves read in this run count).
        self._members = MemberRefresh(lambda: self.memory, self.resolved_chats, self.logger)
        #: The run's update-log reader (``track_changes``), once :meth:`changes` ran.
        self._changes: ChangeReader | None = None
        #: The run's lookback and change capture, set up by :meth:`plan`.
        self._lookback = Lookback(self, self.lookback_starts)
        self._capture: ChangeCapture | None = None
        self._sweep: Sweep | None = None
        #: The run's statistics, read at most once per chat (:mod:`.admin.statistics`).
        self._stats: StatisticsReader | None = None

    # -- lifecycle -----------------------------------------------------------------

    def open(self) -> None:
        """Start the loop, connect and check the session belongs to a user."""
        if self._runner is not None:
            return
        settings = client_settings(self.settings)
        self._runner = LoopThread()
        self._runner.run(self._connect(settings))

    async def _connect(self, settings: ClientSettings) -> None:
        """Connect, then set up what every later request goes through."""
        client = self._client_factory(settings)
        self._client = client
        fetch = FetchSettings.from_settings(self.settings)
        connection = Connection(
            client,
            self.logger,
            max_seconds=float(self.settings.max_reconnect_seconds),
            via_proxy=settings.proxy is not None,
        )
        caller = self._caller = Caller(
            client,
            self.logger,
            max_flood_wait=float(self.settings.max_flood_wait),
            budget=RateBudget(fetch.requests, self.logger),
            connection=connection,
        )
        self_id = await _sign_in(client, caller)
        if self.settings.use_takeout:
            # From here on every request goes through the takeout (export limits).
            self._takeout = Takeout(client, caller, self.logger)
            caller.client = await self._takeout.start()
        media = settings_of(self.settings)
        # The plain client: Telethon's downloader sends upload.getFile on its own
        # senders, outside any takeout wrapper, whichever client it is called on.
        downloader = None if media is None else MediaDownloader(client, caller, self.logger, media)
        self._history = HistoryReader(
            caller, self.users, self_id=self_id, page_size=fetch.page_size, downloader=downloader
        )

    def close(self) -> None:
        """Disconnect the client and stop the loop; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self._caller is not None:
            self.logger.info("mtproto: %s", self._caller.budget.summary())
        try:
            if self._fetch is not None:
                self._fetch.close()
            if self._takeout is not None:
                runner.run(self._takeout.finish(self.succeeded and not self.failures))
            if self._caller is not None and (outages := self._caller.connection.summary()):
                self.logger.warning("mtproto: %s", outages)
            if self._client is not None:
                runner.run(_disconnect(self._client))
        finally:
            runner.close()

    @property
    def _run(self) -> LoopThread:
        """The run's event loop thread (opens the source on first use)."""
        self.open()
        assert self._runner is not None
        return self._runner

    @property
    def history(self) -> HistoryReader:
        """The history reader of the open run (opens the source on first use)."""
        self.open()
        assert self._history is not None
        return self._history

    # -- memory --------------------------------------------------------------------

    def recall(self, memory: Mapping[str, Memory]) -> None:
        """Full info, member lists and topics fetched before: refreshed only when due.

        The methods' budgets learned from earlier flood waits live there too (in the
        ``chats`` memory under :data:`~tap_telegram.sources.state_keys.PACE_KEY`): the run
        is paced by them from its first request on, and keeps what it learns there. A
        takeout run keeps its own (:data:`~tap_telegram.sources.state_keys.PACE_TAKEOUT_KEY`):
        Telegram's limits inside a takeout session differ.
        """
        self._recalled = memory
        chats = memory.get(CHATS)
        if self._caller is not None and isinstance(chats, MutableMapping):
            key = PACE_KEY if self._takeout is None else PACE_TAKEOUT_KEY
            self._caller.budget.keep_in(chats, key, int(self._clock().timestamp()))

    @property
    def memory(self) -> SourceMemory:
        """What earlier runs kept, as this run sees it (see :mod:`.chats.refresh`)."""
        if self._memory is None:
            self._memory = SourceMemory(self._recalled, self.settings, self._clock)
        return self._memory

    # -- chats ---------------------------------------------------------------------

    def resolved_chats(self) -> list[ResolvedChat]:
        """The selected chats, resolved on first call and cached."""
        if self._chats is None:
            runner = self._run
            assert self._caller is not None
            assert self._history is not None
            client = self._caller.client  # inside a takeout, resolving goes through it too
            exclusions = runner.run(load_exclusions(client, self._caller, self.settings))
            chats = runner.run(
                resolve_chats(
                    client,
                    self._caller,
                    self.settings,
                    self.logger,
                    self.chat_failed,
                    exclusions=exclusions,
                    memory=self.memory,
                )
            )
            if self.settings.include_comments:
                chats, self._history.comments = runner.run(
                    add_discussion_groups(
                        client, self._caller, chats, self.logger, self.chat_failed
                    )
                )
                chats = exclusions.apply(chats)  # exclude_chats has the last word
            announce_selection(
                self.settings, chats, exclusions, self.logger, failed=bool(self.failures)
            )
            self._chats = chats
            self.memory.keep_only(chat.chat_id for chat in self._chats)
        return self._chats

    def chats(self) -> list[Record]:
        """``chats`` records (with full info: about, members, linked chat)."""
        if self._chat_records is None:
            self._chat_records = [
                {**map_chat(chat.entity, chat.full), "folders": chat.folders}
                for chat in self.resolved_chats()
            ]
        return self._chat_records

    def chat(self, chat_id: int) -> ResolvedChat:
        """The resolved chat with this marked id (KeyError if it is not selected)."""
        chats = self.resolved_chats()
        if self._by_id is None or len(self._by_id) != len(chats):
            self._by_id = {chat.chat_id: chat for chat in chats}
        return self._by_id[chat_id]

    def call_stats(self, chat_id: int | None = None) -> dict[str, float]:
        """Requests and flood waits of one chat (``None``: the whole run), from the caller."""
        if self._caller is None:
            return {}
        if chat_id is None:
            return self._caller.totals().as_dict()
        for chat in self._chats or []:
            if chat.chat_id == chat_id:
                return self._caller.stats_for(chat.label).as_dict()
        return {}

    # -- history -------------------------------------------------------------------

    def plan(self, queries: list[MessageQuery]) -> Callable[[], str] | None:
        """Probe the lookback windows, read the update logs, then start reading ahead.

        In that order, before any history: the windows say where each chat's read
        starts (:mod:`tap_telegram.sources.lookback`), and a change made while the
        history is read is the next run's (:mod:`.changes.capture`). Returns the update logs'
        line for the run summary.
        """
        reads = self._lookback.plan(queries)
        kept = [(query.chat_id, query.state) for query in queries if query.state is not None]
        types = {chat["id"]: chat.get("type") for chat in self.chats()}
        if kept:
            self._capture = start_capture(
                self,
                self.changes,
                self.settings,
                kept[0][1].stream,
                ((chat_id, types.get(chat_id), state.partition) for chat_id, state in kept),
                logger=self.logger,
            )
        self._sweep = start_sweep(
            self.settings,
            self._run,
            self.history,
            self.chat,
            (
                (q.chat_id, types.get(q.chat_id), q.state.partition, q.bookmark)
                for q in queries
                if q.state
            ),
            now=self._clock(),
            logger=self.logger,
        )
        self._fetcher.plan(reads)
        return None if self._capture is None and self._sweep is None else self._summary

    def message_pages(self, query: MessageQuery) -> Iterator[Page]:
        """Pages of one chat, oldest first, read ahead in the background while written.

        Through its lookback and change capture when they are on (see :meth:`plan`).
        A chat that fails keeps the account's log position where it was.
        """
        chat_type = next((c.get("type") for c in self.chats() if c["id"] == query.chat_id), None)
        try:
            pages = self._lookback.pages(query, self.history_pages)
            if self._capture is not None and query.state is not None:
                pages = self._capture.pages(query.chat_id, chat_type, pages)
            if self._sweep is not None and query.state is not None:
                pages = self._sweep.pages(
                    query.chat_id, chat_type, query.bookmark, query.state, pages
                )
            yield from pages
        except ChatError:
            if self._capture is not None:
                self._capture.chat_failed(query.chat_id)
            raise

    def _summary(self) -> str:
        """The run summary's line on change capture and the sweep."""
        lines = [part.summary() for part in (self._capture, self._sweep) if part is not None]
        return "; ".join(lines)

    def history_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """The chat's history after ``query.after_id`` as lists of records, in id order.

        Joins and leaves among them are noted: the chat's members are listed again.
        """
        return self._members.watch(query.chat_id, self._fetcher.pages(query))

    @property
    def _fetcher(self) -> Fetcher:
        """The run's fetcher, created on first use (after the source is open)."""
        if self._fetch is None:
            self._fetch = Fetcher(
                self._run,
                self.history,
                self.chat,
                self.logger,
                FetchSettings.from_settings(self.settings),
            )
        return self._fetch

    def lookback_starts(
        self,
        bookmarks: Mapping[int, int],
        *,
        messages: int,
        since: dt.datetime | None,
        skip_failed: bool = False,
    ) -> dict[int, int]:
        """Where each chat's lookback window starts, probed concurrently.

        One or two requests per chat (see :mod:`.history.probes`).
        """
        chats = [(self.chat(chat_id), bookmark) for chat_id, bookmark in bookmarks.items()]
        assert self._caller is not None
        probing = probes.window_starts(self._caller, chats, messages=messages, since=since)
        starts: dict[int, int] = {}
        for chat_id, result in zip(bookmarks, self._run.run(probing), strict=True):
            if isinstance(result, ChatError) and skip_failed:
                continue
            if isinstance(result, BaseException):
                raise result
            starts[chat_id] = result
        return starts

    # -- change capture ------------------------------------------------------------

    def changes(
        self, positions: Mapping[int, int | None], account: Mapping[str, int] | None
    ) -> LogChanges:
        """What the update logs say changed since the stored positions (``track_changes``).

        See :mod:`.changes.reader`: no request for a channel whose dialog pts did not move, one
        ``getDifference`` (or ``getState`` on a first run) for the private chats and
        basic groups. ``positions`` maps every selected chat to its stored position (a
        channel's pts; ``None``: none yet, or a chat in the account's log), ``account``
        is the account's; a chat without one gets its current one, taken now, before
        its history is read, so that nothing changed while it is read is missed.
        """
        chats = self.resolved_chats()
        assert self._caller is not None
        assert self._client is not None
        self._changes = ChangeReader(self._client, self._caller, self.logger)
        return self._run.run(self._changes.read(chats, positions, account))

    def edited_records(self, chat_id: int, ids: set[int]) -> list[Record]:
        """Records of a chat's edited messages, mapped and enriched now (after its history)."""
        if self._changes is None or not ids:
            return []
        messages, users, chats = self._changes.edited(chat_id, ids)
        if not messages:
            return []
        return self._run.run(self.history.records_of(self.chat(chat_id), messages, users, chats))

    # -- topics and members ----------------------------------------------------------

    def topics(self, chat_id: int) -> Iterator[Record]:
        """Topics of a forum (see :mod:`.chats.members`), listed again only after new messages.

        A topic is created, renamed or closed with a service message, which moves the
        forum's newest message id; the period (``chat_refresh_hours``) covers the rest.
        """
        runner = self._run
        assert self._caller is not None
        chat = self.chat(chat_id)
        if not getattr(chat.entity, "forum", False):
            return
        if not self.memory.topics_due(chat_id, chat.top_message):
            self.logger.info("chat %s: topics unchanged since the last listing", chat.label)
            return
        records = runner.run(fetch_topics(self._caller, chat))
        self.memory.remember_topics(chat_id, chat.top_message)
        yield from records

    def participants(self, chat_id: int) -> Iterator[Record]:
        """Members of a chat where the account may list them (see :mod:`.chats.members`).

        Listed again only when due (:mod:`.chats.member_refresh`): a new count, joins or
        leaves read in this run, or ``participants_refresh_hours``; pages that did not
        change come back "not modified" and add nothing.
        """
        runner = self._run
        assert self._caller is not None
        chat = self.chat(chat_id)
        yield from self._members.records(chat, runner, self._caller, self.users)

    def contacts(self) -> Iterator[Record]:
        """The contact list (see :mod:`.chats.contacts`): nothing when it did not change.

        Its hash goes into the stream's memory once the last record is written.
        """
        runner = self._run
        assert self._caller is not None
        assert self._client is not None
        memory = (self._recalled or {}).get("contacts", {})
        records, list_hash = runner.run(fetch_contacts(self._client, self._caller, memory))
        if list_hash is None:
            self.logger.info("contacts: unchanged since the last run (contactsNotModified)")
            return
        yield from records
        memory[HASH_KEY] = list_hash

    # -- admin log -------------------------------------------------------------------

    def admin_log_pages(self, chat_id: int, after_id: int) -> Iterator[list[Record]] | None:
        """A chat's admin-log events after a bookmark (see :mod:`.admin.log`).

        No request for a chat where the account is not an admin (one log line, ``None``).
        """
        chat = self.chat(chat_id)
        if admin_only_skip(chat, "admin_log", self.logger):
            return None
        assert self._caller is not None
        records = self._run.run(
            read_admin_log(
                self._caller, chat, after_id, self.users, self.logger, self_id=self.history.self_id
            )
        )
        return None if records is None else admin_log.pages(records)

    # -- statistics ------------------------------------------------------------------

    def statistics(self, chat_id: int) -> ChatStatistics | None:
        """A chat's statistics, at most once a day, from its DC (:mod:`.admin.statistics`)."""
        if self._stats is None:
            assert self._caller is not None
            assert self._client is not None
            memory = StatsMemory((self._recalled or {}).get(STATS_MEMORY, {}))
            today = self._clock().astimezone(dt.timezone.utc).date()
            self._stats = StatisticsReader(
                self._client,
                self._caller,
                memory,
                self.logger,
                today,
                post_count=self.settings.stats_posts,
            )
        chat = self.chat(chat_id)
        return self._run.run(self._stats.read(chat))


async def _sign_in(client: TelegramClient, caller: Caller) -> int:
    """Connect and return the account's user id; one-line errors for what a user can fix."""
    # Through the caller: connect() itself can raise AuthKeyDuplicated or FloodWait, and
    # an unreachable server is retried like a lost connection (see .connection).
    await caller.call(client.connect, chat=None, what="connect")
    me = await caller(functions.users.GetUsersRequest([types.InputUserSelf()]), chat=None)
    if not me or not isinstance(me[0], types.User):
        raise SessionError(f"the session is not logged in; {LOGIN_HINT}")
    if me[0].bot:
        raise ConfigError(BOT_SESSION)
    return int(me[0].id)


async def _disconnect(client: TelegramClient) -> None:
    """Disconnect inside the loop: ``client.disconnect()`` must be *called* there too."""
    await client.disconnect()
