"""``messages`` of a history source: every selected chat, oldest first, checkpointed per page.

:class:`MessagesStream` has one state partition per chat, ``id`` as replication key and
``is_sorted = True`` so that an interrupted sync resumes (SDK FAQ). It builds every
chat's query once, from the incoming STATE, and hands them all to the source before the
first chat (the source may read ahead, probe or read what changed); then, chat by chat,
it writes each page's records, applies the page's commit (what the source keeps in
STATE, :mod:`tap_telegram.sources.pages`) and writes STATE when it is due. It knows
which pages may move the bookmark, never why. STATE is written at a bounded cadence
(:mod:`tap_telegram.singer.cadence`: by records and by time, between pages or at a
chat's end), when a chat fails or an error ends the run, and at the end: a kill loses
at most the records written since the last STATE, and a finished chat's bookmark never
depends on a later chat succeeding (SDK issue #2879). In a batch run (``batch_config``)
STATE instead follows each set of BATCH messages, in the SDK's order, so that it never
claims records that are in no batch file yet
(:class:`~tap_telegram.singer.sdk_private.SdkStream`).

Apart from :mod:`tap_telegram.singer.streams` because this is where the run's order of
records, commits and STATE lives (the invariants a kill must not break); the other
streams are thin. ``messages`` of an update log is in
:mod:`tap_telegram.singer.bot_api_stream`; both share
:class:`~tap_telegram.singer.streams.MessagesStreamBase`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from singer_sdk.helpers.types import Context
from typing_extensions import override

from tap_telegram.errors import ChatError
from tap_telegram.settings import Settings, parse_start_date
from tap_telegram.singer.counters import ChatRun, emit_metrics
from tap_telegram.singer.state_check import report_unselected
from tap_telegram.singer.streams import ChatPartitioned, MessagesStreamBase, bookmark_of
from tap_telegram.sources.base import HistorySource, MessageQuery, Record
from tap_telegram.sources.pages import ChatState, Page, PageKind


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
