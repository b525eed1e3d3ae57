"""The SDK streams: thin, they ask the run's source for records and checkpoint.

Every stream reaches the run through a :class:`~tap_telegram.singer.host.StreamHost`
(never the tap class) and uses public SDK hooks plus the fenced ones of
:mod:`tap_telegram.singer.sdk_private`.

``messages`` of a history source (:class:`MessagesStream`) has one state partition per
chat, ``id`` as replication key and ``is_sorted = True`` so that an interrupted sync
resumes (SDK FAQ). STATE is written after every page and at the end of every chat: a
crash loses at most the page being written, and a finished chat's bookmark never
depends on a later chat succeeding (the SDK alone writes STATE only every 10,000
records, SDK issue #2879). In a batch run (``batch_config``) STATE instead follows
each set of BATCH messages, in the SDK's order, so that it never claims records that
are in no batch file yet (:class:`~tap_telegram.singer.sdk_private.SdkStream`).
``messages`` of an update log is in :mod:`tap_telegram.singer.bot_api_stream`; both
share :class:`MessagesStreamBase`.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from singer_sdk import Tap
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from typing_extensions import override

from tap_telegram.errors import ChatError, TapTelegramError
from tap_telegram.records.schemas import (
    CHAT_SCHEMA,
    CONTACT_SCHEMA,
    MESSAGE_SCHEMA,
    PARTICIPANT_SCHEMA,
    TOPIC_SCHEMA,
    USER_SCHEMA,
)
from tap_telegram.settings import parse_start_date
from tap_telegram.singer.changes import ChangeCapture, start_capture
from tap_telegram.singer.counters import ChatProgress, emit_metrics
from tap_telegram.singer.host import StreamHost
from tap_telegram.singer.lookback import (
    ChatLookback,
    advances_bookmark,
    plan_lookback,
    start_lookback,
)
from tap_telegram.singer.output import datetime_conformer
from tap_telegram.singer.sdk_private import SdkStream
from tap_telegram.singer.state_check import report_unselected
from tap_telegram.sources.base import HistorySource, MessageQuery, Record, Source

#: The kind of source a stream reads.
SourceT = TypeVar("SourceT", bound=Source)


class TelegramStream(SdkStream, Generic[SourceT]):
    """Base: a stream of one run, reading the run's (lazily opened) source.

    On the fence's :class:`SdkStream` so that every stream's batch files (``batch_config``)
    hold what its RECORD messages would: selected properties only, stream maps applied.
    """

    #: Synced before the other streams, which are synced by name (the SDK's order).
    sync_first: ClassVar[bool] = False

    def __init__(self, tap: Tap, host: StreamHost[SourceT]) -> None:
        super().__init__(tap)
        self.host = host

    @property
    def source(self) -> SourceT:
        """The source shared by all streams of this run."""
        return self.host.source

    @override
    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """The SDK's stream log, minus its "unhandled error" line for a user error.

        ``cli.main`` prints a user error as the one line that says what to do; the SDK's
        generic line before it would only bury it.
        """
        if message.startswith("An unhandled error occurred") and isinstance(
            sys.exc_info()[1], TapTelegramError
        ):
            return
        super().log(message, *args, level=level, **kwargs)


class ChatsStream(TelegramStream[Source]):
    """One record per selected chat."""

    name = "chats"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = CHAT_SCHEMA

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The selected chats, as resolved by the source."""
        yield from self.source.chats()


class MessagesStreamBase(TelegramStream[SourceT]):
    """What both ``messages`` streams share: schema, output path, per-chat streams.

    Records are built by the tap's own mappers (schema keys only, JSON values and
    datetimes): converting the datetimes in :meth:`post_process` is all the
    conformance they need, at a fraction of the SDK's recursive walk
    (singer/output.py, tests/singer/test_output.py). With ``stream_per_chat`` each
    chat's records go to ``messages_<abs(chat id)>``, announced by its own SCHEMA.
    """

    name = "messages"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    schema = MESSAGE_SCHEMA
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _conform = staticmethod(datetime_conformer(MESSAGE_SCHEMA))

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Datetimes to the SDK's ISO 8601 strings (the records' only conformance)."""
        return self._conform(row)

    @override
    def announces_schema(self) -> bool:
        """With ``stream_per_chat`` no ``messages`` SCHEMA: only each chat's own."""
        return bool(self.message_suffix) or not self.config.get("stream_per_chat")

    def enter_chat_stream(self, chat_id: int) -> None:
        """Send what follows to the chat's own stream (``stream_per_chat``)."""
        self.message_suffix = f"_{abs(chat_id)}"


def bookmark_of(value: Any) -> int | None:
    """The SDK's starting value if it is a bookmark (an id), else None (a first run)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def starting_point(value: Any, config: Mapping[str, Any]) -> MessageQuery:
    """Turn the SDK's starting replication value into ``after_id`` / ``since``.

    With a bookmark the SDK returns the integer id. Without one it returns the
    ``start_date`` string even though the key is an integer (SDK issue #1677), or
    ``None``. A first run also honours ``start_message_id``.
    """
    bookmark = bookmark_of(value)
    if bookmark is not None:
        return MessageQuery(chat_id=0, after_id=bookmark)
    after_id = int(config.get("start_message_id") or 0)
    start = value if isinstance(value, str) and value else config.get("start_date")
    since = parse_start_date(start) if start else None
    return MessageQuery(chat_id=0, after_id=after_id, since=since)


class ChatPartitioned(TelegramStream[SourceT]):
    """A stream with one STATE partition per selected chat and a bookmark in each.

    ``messages`` (message ids), ``admin_log`` (event ids) and ``stats_graphs`` (dates)
    share it. ``is_sorted``: an interrupted sync resumes (SDK FAQ); the records of one
    chat come in ascending order of the key.
    """

    replication_key = "id"
    is_sorted = True

    _partitions: list[dict[str, Any]] | None = None

    @property
    @override
    def partitions(self) -> list[dict[str, Any]] | None:
        """``[{"chat_id": id}, ...]``; resolved once (the SDK reads this more than once)."""
        if self._partitions is None:
            self._partitions = [{"chat_id": chat["id"]} for chat in self.source.chats()]
        return self._partitions

    @override
    def compare_start_date(self, value: str, start_date_value: str) -> str:
        """An id bookmark always wins over ``start_date`` (ids and dates don't compare).

        A date bookmark (``stats_graphs``) is compared the SDK's way.
        """
        if self.replication_key == "id":
            return value
        return super().compare_start_date(value, start_date_value)


class MessagesStream(ChatPartitioned[HistorySource], MessagesStreamBase[HistorySource]):
    """Messages of every selected chat, oldest first, one partition per chat."""

    _planned = False
    #: Set by :meth:`_plan`: one ``now`` for every chat's lookback window, and the
    #: window starts probed up front (chat id -> id the re-read starts after).
    _lookback_now: dt.datetime | None = None
    _lookback_starts: dict[int, int] | None = None
    #: Whether the chat being synced has a lookback (its records may be re-read rows).
    _rereading = False
    #: The run's change capture (``track_changes``), set by :meth:`_plan`.
    _capture: ChangeCapture | None = None
    #: Chat id -> chat ``type`` (change capture treats the account's log apart).
    _types: dict[int, str | None] | None = None

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One chat's pages from the source; STATE after each page, at the end and on failure.

        A chat that fails (ChatError) is recorded and skipped unless
        ``on_chat_error`` is ``fail``; its progress up to the failure is kept. With no
        chat selected at all the SDK asks once without a partition: nothing to read.
        """
        if context is None:
            # No partition: no chat was selected. The source said why (a settings
            # error, exit 2) or its failures end the run (summary, exit 5).
            return
        chat_id = int(context["chat_id"])
        if self.config.get("stream_per_chat"):
            self.enter_chat_stream(chat_id)
            self.write_schema_now()
        value = self.get_starting_replication_key_value(context)
        query = self._query(chat_id, value)
        # Counters next to the bookmark (tap_telegram.singer.counters); the SDK keeps extra keys.
        progress = ChatProgress(self.get_context_state(context))
        try:
            yield from self._read_chat(query, bookmark_of(value), progress)
            yield from self._changes_of(chat_id, progress)
        except ChatError as error:
            if self._capture is not None:
                self._capture.chat_failed(chat_id)
            self.source.chat_failed(error)
        finally:
            self._end_chat(context, progress)

    @override
    def moves_bookmark(self, record: dict[str, Any], context: Context | None) -> bool:
        """Re-read rows and tombstones (lookback) never move the bookmark."""
        return not self._rereading or advances_bookmark(self.get_context_state(context), record)

    def _query(self, chat_id: int, value: Any) -> MessageQuery:
        """The chat's query from the SDK's starting value (the first chat plans them all)."""
        start = starting_point(value, self.config)
        query = MessageQuery(chat_id=chat_id, after_id=start.after_id, since=start.since)
        if not self._planned:
            # Every chat's starting point is known now: the source may read ahead.
            self._plan()
        self.logger.info(
            "chat %s: reading messages after id %d%s",
            self.source.chat_label(chat_id),
            query.after_id,
            f" from {query.since.isoformat()}" if query.since else "",
        )
        return query

    def _read_chat(
        self, query: MessageQuery, bookmark: int | None, progress: ChatProgress
    ) -> Iterator[Record]:
        """The chat's records page by page, through its lookback if on; STATE between pages."""
        lookback = self._lookback(query.chat_id, bookmark, progress.partition)
        capture, kind = self._capture, (self._types or {}).get(query.chat_id)
        if capture is not None:
            capture.start_chat(query.chat_id, progress.partition)
        if lookback is not None and bookmark is not None:
            # A first run starts where start_message_id / start_date say.
            query = dataclasses.replace(query, after_id=lookback.read_after)
        pages = self.source.message_pages(query)
        if lookback is not None:
            pages = lookback.pages(pages)
        for index, page in enumerate(pages):
            if index:
                # Every record of the previous page has been written and counted.
                progress.save(self.source.call_stats(query.chat_id))
                self.write_state_if_changed()
            progress.run.messages += len(page)
            yield from page
            if capture is not None:
                capture.delivered(kind, progress.partition, page)
            if lookback is not None and lookback.save(progress.partition):
                self.mark_state_changed()
        if lookback is not None:
            lookback.summary(self.source.chat_label(query.chat_id), self.logger)

    def _changes_of(self, chat_id: int, progress: ChatProgress) -> Iterator[Record]:
        """The chat's edits and tombstones from the update log, after its history.

        They never move the bookmark (ids at or below it, tombstones); the chat's new
        log position is stored by the capture once they are written.
        """
        if self._capture is None:
            return
        self._rereading = True
        kind = (self._types or {}).get(chat_id)
        yield from self._capture.records(chat_id, kind, progress.partition, progress.run)
        self.mark_state_changed()

    def _lookback(
        self, chat_id: int, bookmark: int | None, partition: dict[str, Any]
    ) -> ChatLookback | None:
        """The chat's lookback (None when off), at the run's one ``now`` and planned start."""
        lookback = start_lookback(
            self.source,
            self.config,
            partition,
            chat_id,
            bookmark,
            now=self._lookback_now,
            planned=(self._lookback_starts or {}).get(chat_id),
        )
        self._rereading = lookback is not None
        return lookback

    def _end_chat(self, context: Context, progress: ChatProgress) -> None:
        """Counters into STATE and metrics, the chat into the run summary, a last STATE.

        Runs after the last record was processed, or when the chat fails (or late,
        when an error elsewhere closed the run: then never reopen the source). A chat
        that emitted nothing moved no bookmark: its counters wait for the next STATE,
        so a quiet run over N chats writes a few STATE messages, not N of them (each
        one carries the whole state, which grows with N).
        """
        source = self.host.open_source
        calls = source.call_stats(int(context["chat_id"])) if source is not None else {}
        progress.save(calls)
        emit_metrics({"stream": self.name, "context": dict(context)}, progress.run, calls)
        self.host.run_summary.add_chat(progress.run)
        if progress.run.messages or progress.run.edits or progress.run.deletions:
            self.write_state_if_changed()

    def _plan(self) -> None:
        """Tell the source every chat's query, lookback re-reads included, before the first.

        The lookback windows are probed here for all chats at once, at one ``now``;
        :meth:`get_records` then builds the same queries, so the source's read-ahead
        is used, not thrown away.
        """
        self._planned = True
        self._lookback_now = dt.datetime.now(dt.timezone.utc)
        bookmarks = self._bookmarks()
        self._lookback_starts = plan_lookback(
            self.source, self.config, bookmarks, self._lookback_now
        )
        queries = []
        for part in self.partitions or []:
            chat_id = int(part["chat_id"])
            bookmark = bookmarks.get(chat_id)
            start = starting_point(bookmark or self.config.get("start_date"), self.config)
            after_id = self._lookback_starts.get(chat_id, start.after_id)
            queries.append(MessageQuery(chat_id, after_id=after_id, since=start.since))
        # The update logs before any history: a change made while it is read is next run's.
        self._types = {chat["id"]: chat.get("type") for chat in self.source.chats()}
        report_unselected(self.stream_state, set(self._types), self.logger)
        self._capture = start_capture(
            self.source,
            self.config,
            self.stream_state,
            (
                (chat_id, kind, self.get_context_state({"chat_id": chat_id}))
                for chat_id, kind in self._types.items()
            ),
            self.logger,
        )
        if self._capture is not None:
            self.host.run_summary.changes = self._capture.summary
        self.source.plan(queries)

    def _bookmarks(self) -> dict[int, int]:
        """Each chat's bookmark in the incoming STATE, read without touching it.

        Same rule as the SDK's starting value; chats without one are left out.
        """
        bookmarks: dict[int, int] = {}
        state = self.tap_state.get("bookmarks", {}).get(self.name, {})
        for part in state.get("partitions") or []:
            context = part.get("context") or {}
            value = bookmark_of(part.get("replication_key_value"))
            if part.get("replication_key") == "id" and "chat_id" in context and value:
                bookmarks[int(context["chat_id"])] = value
        return bookmarks


class PerChatStream(TelegramStream[Source]):
    """Full-table lists asked of the source once per selected chat (topics, members).

    A chat that fails here (ChatError) is handled like a failing history: recorded,
    and the other chats go on unless ``on_chat_error`` is ``fail``. The source may
    skip chats whose lists did not change and update its memory instead (see
    :func:`.memory.source_memory`): the SDK writes STATE as every stream ends, records or not.
    """

    @abc.abstractmethod
    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The records of one chat (subclasses ask the source)."""

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Each selected chat in turn (a chat that already failed this run is not retried)."""
        for chat in self.source.chats():
            label = self.source.chat_label(chat["id"])
            if any(failure.chat == label for failure in self.source.failures):
                continue
            try:
                yield from self.chat_records(chat["id"])
            except ChatError as error:
                self.source.chat_failed(error)


class TopicsStream(PerChatStream):
    """Forum topics of the selected forums (``messages.topic_id`` points here)."""

    name = "topics"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    schema = TOPIC_SCHEMA

    @override
    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The source's topics of one chat (none outside forums)."""
        return self.source.topics(chat_id)


class ParticipantsStream(PerChatStream):
    """Members of the selected chats with role and join date, where they may be listed."""

    name = "participants"
    primary_keys: ClassVar[list[str]] = ["chat_id", "user_id"]
    schema = PARTICIPANT_SCHEMA

    @override
    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The source's members of one chat (a log line says why when there are none)."""
        return self.source.participants(chat_id)


class UsersStream(TelegramStream[Source]):
    """Every distinct user seen as a sender in this run (synced after messages)."""

    name = "users"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = USER_SCHEMA

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The source's registry of users seen while reading messages."""
        yield from self.source.users.records()


class ContactsStream(TelegramStream[Source]):
    """The account's contact list (MTProto). Not selected by default: select it to get it.

    So a run that does not ask for contacts sends no ``contacts.getContacts``.
    """

    name = "contacts"
    primary_keys: ClassVar[list[str]] = ["user_id"]
    schema = CONTACT_SCHEMA
    selected_by_default = False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The source's contacts (none when the list did not change since the last run)."""
        yield from self.source.contacts()
