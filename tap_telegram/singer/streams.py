"""The SDK streams: they plan the run's reads, write the source's records and checkpoint.

Every stream reaches the run through a :class:`~tap_telegram.singer.host.StreamHost`
(never the tap class) and uses public SDK hooks plus the fenced ones of
:mod:`tap_telegram.singer.sdk_private`.

``messages`` of a history source (:class:`MessagesStream`) has one state partition per
chat, ``id`` as replication key and ``is_sorted = True`` so that an interrupted sync
resumes (SDK FAQ). It builds every chat's query once, from the incoming STATE, and
hands them all to the source before the first chat (the source may read ahead, probe
or read what changed); then, chat by chat, it writes each page's records, applies the
page's commit (what the source keeps in STATE, :mod:`tap_telegram.sources.pages`)
and writes STATE when it is due. It knows which pages may move the bookmark, never why.
STATE is written at a bounded cadence (:mod:`tap_telegram.singer.cadence`: by records
and by time, between pages or at a chat's end), when a chat fails or an error ends the
run, and at the end: a kill loses at most the records written since the last STATE,
and a finished chat's bookmark never depends on a later chat succeeding (SDK issue
#2879). In a batch run (``batch_config``) STATE instead follows
each set of BATCH messages, in the SDK's order, so that it never claims records that
are in no batch file yet (:class:`~tap_telegram.singer.sdk_private.SdkStream`).
``messages`` of an update log is in :mod:`tap_telegram.singer.bot_api_stream`; both
share :class:`MessagesStreamBase`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from tap_telegram.settings import Settings, parse_start_date
from tap_telegram.singer.counters import ChatRun, emit_metrics
from tap_telegram.singer.host import StreamHost
from tap_telegram.singer.output import datetime_conformer
from tap_telegram.singer.sdk_private import SdkStream
from tap_telegram.singer.state_check import report_unselected
from tap_telegram.sources.base import HistorySource, MessageQuery, Record, Source
from tap_telegram.sources.pages import ChatState, Page, PageKind
from tap_telegram.sources.state_keys import COMPLETE_KEY

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
    def reports_error_itself(self, error: BaseException) -> bool:
        """A user error: ``cli.main`` prints it as the one line that says what to do."""
        return isinstance(error, TapTelegramError)


class ChatsStream(TelegramStream[Source]):
    """One record per selected chat."""

    name = "chats"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = CHAT_SCHEMA

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The selected chats, as resolved by the source.

        ``changes_complete_until`` is read from the ``messages`` STATE the run started
        from (the chats are written before the messages): the source's sweep keeps it.
        """
        complete = complete_until(self.tap_state)
        for chat in self.source.chats():
            yield {**chat, COMPLETE_KEY: complete.get(chat["id"])}


def complete_until(state: Mapping[str, Any]) -> dict[int, dt.datetime]:
    """Per chat id, the time its changes are known complete until (``messages`` STATE)."""
    found: dict[int, dt.datetime] = {}
    parts = state.get("bookmarks", {}).get("messages", {}).get("partitions") or []
    for part in parts:
        seconds = part.get(COMPLETE_KEY)
        chat_id = (part.get("context") or {}).get("chat_id")
        if isinstance(seconds, int) and isinstance(chat_id, int):
            found[chat_id] = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return found


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
        return bool(self.message_suffix) or not self.host.settings.stream_per_chat

    def enter_chat_stream(self, chat_id: int) -> None:
        """Send what follows to the chat's own stream (``stream_per_chat``)."""
        self.message_suffix = f"_{abs(chat_id)}"


def bookmark_of(value: Any) -> int | None:
    """The SDK's starting value if it is a bookmark (an id), else None (a first run)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def starting_point(value: Any, settings: Settings) -> MessageQuery:
    """Turn the SDK's starting replication value into ``after_id`` / ``since``.

    With a bookmark the SDK returns the integer id. Without one it returns the
    ``start_date`` string even though the key is an integer (SDK issue #1677), or
    ``None``. A first run also honours ``start_message_id``.
    """
    bookmark = bookmark_of(value)
    if bookmark is not None:
        return MessageQuery(chat_id=0, after_id=bookmark)
    after_id = settings.start_message_id or 0
    since = parse_start_date(value) if isinstance(value, str) and value else settings.start_date
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

    #: Every chat's query, built once from the incoming STATE (see :meth:`_plan`).
    _queries: dict[int, MessageQuery] | None = None
    #: The kind of the page being written (whether its records move the bookmark).
    _kind: PageKind = PageKind.NEW

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One chat's pages from the source; STATE when due, at a failure and at the end.

        A chat that fails (ChatError) is recorded and skipped unless
        ``on_chat_error`` is ``fail``; its progress up to the failure is kept. With no
        chat selected at all the SDK asks once without a partition: nothing to read.
        """
        if context is None:
            # No partition: no chat was selected. The source said why (a settings
            # error, exit 2) or its failures end the run (summary, exit 5).
            return
        chat_id = int(context["chat_id"])
        if self.host.settings.stream_per_chat:
            self.enter_chat_stream(chat_id)
            self.write_schema_now()
        query = self._query(chat_id)
        run = ChatRun()
        failed = True  # until the pages end normally
        try:
            yield from self._write_pages(query, run)
            failed = False
        except ChatError as error:
            # The chat's progress up to the failure, before the run goes on or ends.
            self.write_state_if_changed()
            self.source.chat_failed(error)
            failed = False  # written above; the other chats go on
        finally:
            self._end_chat(context, run, failed=failed)

    @override
    def moves_bookmark(self, record: dict[str, Any], context: Context | None) -> bool:
        """Records of re-read and change pages move it only from above, never as tombstones."""
        return self._kind is PageKind.NEW or advances_bookmark(
            self.get_context_state(context), record
        )

    def _query(self, chat_id: int) -> MessageQuery:
        """The chat's planned query (the first chat plans them all)."""
        if self._queries is None:
            # Every chat's starting point is known now: the source may read ahead.
            self._queries = self._plan()
        query = self._queries[chat_id]
        self.logger.info(
            "chat %s: reading messages after id %d%s",
            self.source.chat_label(chat_id),
            query.after_id,
            f" from {query.since.isoformat()}" if query.since else "",
        )
        return query

    def _write_pages(self, query: MessageQuery, run: ChatRun) -> Iterator[Record]:
        """The chat's pages: records out, then the page's commit; STATE between history pages.

        STATE only when the cadence says one is due (:mod:`tap_telegram.singer.cadence`).
        No STATE between the history and the change pages after it: the chat's end
        writes it (a change page's positions are its commit).
        """
        assert query.state is not None
        history = False
        for page in self.source.message_pages(query):
            if page.kind is PageKind.CHANGE:
                run.edits += sum(not r.get("deleted") for r in page.records)
                run.deletions += sum(bool(r.get("deleted")) for r in page.records)
            else:
                if history:
                    # Every record of the previous page has been written.
                    self.write_state_if_due()
                history = True
                run.messages += len(page.records)
            yield from self._records_of(page)
            if page.commit is not None and page.commit(query.state):
                self.mark_state_changed()

    def _records_of(self, page: Page) -> Iterator[Record]:
        """The page's records, each handed to the SDK under the page's kind."""
        self._kind = page.kind
        yield from page.records

    def _end_chat(self, context: Context, run: ChatRun, *, failed: bool) -> None:
        """The chat into metrics and the run summary; STATE if due, or now if it ``failed``.

        Runs after the last record was processed, or when the chat fails (or late,
        when an error elsewhere closed the run: then never reopen the source). The
        chat's counters go to SDK metrics and the run summary, never into STATE
        (:mod:`tap_telegram.singer.counters`). An error that ends the run (``failed``)
        writes what was reached first: a later chat's failure never costs an earlier
        chat's bookmark. A chat that emitted nothing moved no bookmark: it makes no STATE
        due, so a quiet run over N chats writes a few STATE messages, not N.
        """
        source = self.host.open_source
        calls = source.call_stats(int(context["chat_id"])) if source is not None else {}
        emit_metrics({"stream": self.name, "context": dict(context)}, run, calls)
        self.host.run_summary.add_chat(run)
        if failed:
            self.write_state_if_changed()
        elif run.messages or run.edits or run.deletions:
            self.write_state_if_due()

    def _plan(self) -> dict[int, MessageQuery]:
        """Every chat's query from the incoming STATE, handed to the source before the first.

        The one place a query is built: the source reads ahead with these very queries.
        """
        chats = [int(part["chat_id"]) for part in self.partitions or []]
        report_unselected(self.stream_state, set(chats), self.logger)
        bookmarks = self._bookmarks()
        stream_state = self.stream_state
        queries = {}
        for chat_id in chats:
            bookmark = bookmarks.get(chat_id)
            start = starting_point(bookmark, self.host.settings)
            queries[chat_id] = MessageQuery(
                chat_id,
                after_id=start.after_id,
                since=start.since,
                bookmark=bookmark,
                state=ChatState(self._partition_of(chat_id), stream_state),
            )
        summary = self.source.plan(list(queries.values()))
        if summary is not None:
            self.host.run_summary.changes = summary
        return queries

    def _partition_of(self, chat_id: int) -> Callable[[], dict[str, Any]]:
        """The chat's STATE partition, fetched (so created) only when used."""
        return lambda: self.get_context_state({"chat_id": chat_id})

    def _bookmarks(self) -> dict[int, int]:
        """Each chat's bookmark in the incoming STATE, read without touching it.

        The SDK's rule (``write_starting_replication_value``): a truthy value under the
        stream's replication key; chats without one are left out.
        """
        bookmarks: dict[int, int] = {}
        state = self.tap_state.get("bookmarks", {}).get(self.name, {})
        for part in state.get("partitions") or []:
            context = part.get("context") or {}
            value = bookmark_of(part.get("replication_key_value"))
            if part.get("replication_key") == "id" and "chat_id" in context and value:
                bookmarks[int(context["chat_id"])] = value
        return bookmarks


def advances_bookmark(partition_state: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether a record may move the chat's bookmark: only ids above it, never tombstones."""
    if record.get("deleted"):
        return False
    current = partition_state.get("replication_key_value")
    return not isinstance(current, int) or int(record["id"]) > current


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
