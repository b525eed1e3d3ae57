"""The SDK streams: thin, they only ask the tap's source for records.

``messages`` has one state partition per chat, ``id`` as replication key and
``is_sorted = True`` so that an interrupted sync resumes (SDK FAQ). STATE is written
after every page and at the end of every chat: a crash loses at most the page being
written, and a finished chat's bookmark never depends on a later chat succeeding
(the SDK alone writes STATE only every 10,000 records, SDK issue #2879).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pendulum
from singer_sdk import Stream
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.singerlib import RecordMessage, SchemaMessage

from tap_telegram.errors import ChatError, ConfigError, TapTelegramError
from tap_telegram.records.schemas import (
    CHAT_SCHEMA,
    MESSAGE_SCHEMA,
    PARTICIPANT_SCHEMA,
    TOPIC_SCHEMA,
    USER_SCHEMA,
)
from tap_telegram.singer.counters import STATS_KEY, ChatRun, emit_metrics
from tap_telegram.singer.lookback import advances_bookmark, plan_lookback, start_lookback
from tap_telegram.singer.output import datetime_conformer
from tap_telegram.sources.base import MessageQuery

if TYPE_CHECKING:
    from tap_telegram.sources.base import Source
    from tap_telegram.tap import TapTelegram


class TelegramStream(Stream):
    """Base: gives every stream access to the run's (lazily opened) source."""

    _tap: TapTelegram

    @property
    def source(self) -> Source:
        """The source shared by all streams of this run."""
        return self._tap.source

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


class ChatsStream(TelegramStream):
    """One record per selected chat."""

    name = "chats"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = CHAT_SCHEMA

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The selected chats, as resolved by the source."""
        yield from self.source.chats()


def starting_point(value: Any, config: Mapping[str, Any]) -> MessageQuery:
    """Turn the SDK's starting replication value into ``after_id`` / ``since``.

    With a bookmark the SDK returns the integer id. Without one it returns the
    ``start_date`` string even though the key is an integer (SDK issue #1677), or
    ``None``. A first run also honours ``start_message_id``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return MessageQuery(chat_id=0, after_id=value)
    after_id = int(config.get("start_message_id") or 0)
    start = value if isinstance(value, str) and value else config.get("start_date")
    since: dt.datetime | None = None
    if start:
        try:
            parsed = pendulum.parse(str(start))
        except (ValueError, pendulum.parsing.exceptions.ParserError):
            raise ConfigError(
                f"setting 'start_date': cannot read {start!r}; use ISO 8601, e.g. 2024-01-31"
            ) from None
        if not isinstance(parsed, dt.datetime):
            raise ConfigError(f"setting 'start_date': {start!r} is not a date; use e.g. 2024-01-31")
        since = parsed.astimezone(dt.timezone.utc)
    return MessageQuery(chat_id=0, after_id=after_id, since=since)


class MessagesStream(TelegramStream):
    """Messages of every selected chat, oldest first, one partition per chat."""

    name = "messages"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    replication_key = "id"
    is_sorted = True
    schema = MESSAGE_SCHEMA
    #: The tap builds these records itself (schema keys only, JSON values and
    #: datetimes): converting the datetimes is all the conformance they need, at a
    #: fraction of the SDK's recursive walk (singer/output.py, tests/singer/test_output.py).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _conform = staticmethod(datetime_conformer(MESSAGE_SCHEMA))

    _partitions: list[dict[str, Any]] | None = None
    _planned = False
    #: Set by :meth:`_plan`: one ``now`` for every chat's lookback window, and the
    #: window starts probed up front (chat id -> id the re-read starts after).
    _lookback_now: dt.datetime | None = None
    _lookback_starts: dict[int, int] | None = None
    #: Whether the chat being synced has a lookback (its records may be re-read rows).
    _rereading = False

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """``[{"chat_id": id}, ...]``; resolved once (the SDK reads this more than once)."""
        if self._partitions is None:
            self._partitions = [{"chat_id": chat["id"]} for chat in self.source.chats()]
        return self._partitions

    def compare_start_date(self, value: str, start_date_value: str) -> str:
        """A bookmark (an id) always wins over ``start_date``: ids and dates don't compare."""
        return value

    #: Set per chat when ``stream_per_chat`` is on: records go to ``messages_<suffix>``.
    _chat_suffix: str | None = None

    def _generate_schema_messages(self) -> Generator[SchemaMessage, None, None]:
        if self._chat_suffix is None and self.config.get("stream_per_chat"):
            return  # no `messages` stream at all: each chat gets its own SCHEMA
        for message in super()._generate_schema_messages():
            if self._chat_suffix is not None:
                message.stream = f"{message.stream}_{self._chat_suffix}"
            yield message

    def _generate_record_messages(self, record: dict) -> Generator[RecordMessage, None, None]:
        """The SDK's method minus two per-record costs that buy nothing here.

        With every property selected (the usual catalog) the SDK still walks each
        record to pop deselected ones (``pop_deselected_record_properties``, the largest
        SDK cost in ``python -m bench.profile``); and type conformance is this stream's
        compiled datetime conversion. Selection, stream maps, the record version and
        ``time_extracted`` behave as in the SDK (tests/singer/test_output.py compares).
        """
        if not self._all_properties_selected():
            pop_deselected_record_properties(record, self.schema, self.mask)
        record = self._conform(record)
        suffix = "" if self._chat_suffix is None else f"_{self._chat_suffix}"
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias + suffix,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    _all_selected: bool | None = None

    def _all_properties_selected(self) -> bool:
        """Whether the catalog selects every property (computed once per run)."""
        if self._all_selected is None:
            self._all_selected = all(self.mask.values())
        return self._all_selected

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Pages from the source; STATE after each page, at the end and on failure.

        A chat that fails (ChatError) is recorded and skipped unless
        ``on_chat_error`` is ``fail``; its progress up to the failure is kept.
        """
        assert context is not None
        chat_id = int(context["chat_id"])
        if self.config.get("stream_per_chat"):
            self._chat_suffix = str(abs(chat_id))
            self._write_schema_message()
        value = self.get_starting_replication_key_value(context)
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
        # Counters next to the bookmark (tap_telegram.singer.counters); the SDK keeps extra keys.
        partition = self.get_context_state(context)
        previous, run = partition.get(STATS_KEY), ChatRun()
        try:
            bookmark = value if isinstance(value, int) and not isinstance(value, bool) else None
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
            if lookback is not None and bookmark is not None:
                # A first run starts where start_message_id / start_date say.
                query = dataclasses.replace(query, after_id=lookback.read_after)
            pages = self.source.message_pages(query)
            if lookback is not None:
                pages = lookback.pages(pages)
            for index, page in enumerate(pages):
                if index:
                    # Every record of the previous page has been written and counted.
                    partition[STATS_KEY] = run.stats(previous, self.source.call_stats(chat_id))
                    self._write_state_message()
                run.messages += len(page)
                yield from page
                if lookback is not None and lookback.save(partition):
                    self.state_manager.is_flushed = False
            if lookback is not None:
                lookback.summary(self.source.chat_label(chat_id), self.logger)
        except ChatError as error:
            self.source.chat_failed(error)
        finally:
            # Runs after the last record was processed, or when the chat fails (or late,
            # when an error elsewhere closed the run: then never reopen the source).
            source = self._tap.open_source
            calls = source.call_stats(chat_id) if source is not None else {}
            partition[STATS_KEY] = run.stats(previous, calls)
            emit_metrics({"stream": self.name, "context": dict(context)}, run, calls)
            self._tap.run_summary.add_chat(run)
            self._write_state_message()

    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Re-read rows and tombstones (lookback) never move the bookmark."""
        if self._rereading and not advances_bookmark(
            self.get_context_state(context), latest_record
        ):
            return
        super()._increment_stream_state(latest_record, context=context)

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
        self.source.plan(queries)

    def _bookmarks(self) -> dict[int, int]:
        """Each chat's bookmark in the incoming STATE, read without touching it.

        Same rule as the SDK's starting value; chats without one are left out.
        """
        bookmarks: dict[int, int] = {}
        state = self.tap_state.get("bookmarks", {}).get(self.name, {})
        for part in state.get("partitions") or []:
            context = part.get("context") or {}
            value = part.get("replication_key_value")
            if (
                part.get("replication_key") == "id"
                and "chat_id" in context
                and isinstance(value, int)
                and not isinstance(value, bool)
                and value
            ):
                bookmarks[int(context["chat_id"])] = value
        return bookmarks


class PerChatStream(TelegramStream):
    """Full-table lists asked of the source once per selected chat (topics, members).

    A chat that fails here (ChatError) is handled like a failing history: recorded,
    and the other chats go on unless ``on_chat_error`` is ``fail``.
    """

    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The records of one chat (subclasses ask the source)."""
        raise NotImplementedError

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

    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The source's topics of one chat (none outside forums)."""
        return self.source.topics(chat_id)


class ParticipantsStream(PerChatStream):
    """Members of the selected chats with role and join date, where they may be listed."""

    name = "participants"
    primary_keys: ClassVar[list[str]] = ["chat_id", "user_id"]
    schema = PARTICIPANT_SCHEMA

    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """The source's members of one chat (a log line says why when there are none)."""
        return self.source.participants(chat_id)


class UsersStream(TelegramStream):
    """Every distinct user seen as a sender in this run (synced after messages)."""

    name = "users"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = USER_SCHEMA

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The source's registry of users seen while reading messages."""
        yield from self.source.users.records()
