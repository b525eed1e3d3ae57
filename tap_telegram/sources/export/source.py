"""Export source: Telegram Desktop JSON exports (``result.json``), read offline.

``export_path`` is a single-chat export, a whole-account export (``chats.list`` and
``left_chats.list``) or a folder searched for them. Files are read as streams with
ijson, never loaded whole, so memory stays flat on multi-GB exports:

1. ``chats()`` scans every file once (:mod:`.files`, :mod:`.scan`): chat headers,
   message counts, ids, the file's era. Syntax errors (a truncated or damaged file)
   stop the run here, before any record is written, and so do local dates without
   ``export_timezone`` (:mod:`.mapping.dates`).
2. ``history_pages()`` reads one chat's messages with ijson's C item builder, and
   with msgspec between byte marks of the scan where it can (:mod:`.read`,
   :mod:`.runs`). Chats are synced in file order, so a whole-account export is read
   once more from start to end, each chat continuing where the previous ended.
   A chat whose ids are not in ascending order in the file is sorted first
   (:mod:`.order`): every chat is delivered in id order.

The same chat in several exports (exported again later, into another folder) is
merged by id: a k-way merge of the sorted streams, one record per id, and the later
export's copy of a duplicated id wins (newer edits and reactions). "Later" is file
modification time, then path.

Pages hold ``max(page_size, 500)`` records: an export is read at tens of thousands
of messages per second, so MTProto's 100-message pages would make STATE lines a
visible share of the output; after every 500 messages a crash still resends little.

Never a bookmark past a message that was not emitted: a message that cannot be mapped,
or two different messages with one id, end the chat (:class:`ExportChatError`, a
chat failure) after the last good record below that id; a message without a usable
id (its place is unknown) ends it before any record. Records already yielded are
complete and correct. Every export era loads (:mod:`.mapping.peers`,
:mod:`.mapping.dates`, :mod:`.encoding`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from typing import Any

from tap_telegram.errors import ChatError, ConfigError, ExportChatError, ExportFormatError
from tap_telegram.records.topics import general_topic, topic_from_message
from tap_telegram.records.types import ChatRecord, MessageRecord, plain, plain_list
from tap_telegram.sources.base import (
    HistorySource,
    MessageQuery,
    Record,
    SourceContext,
    label_for,
)
from tap_telegram.sources.chatrefs import FOLDER_PREFIX, parse_chat_ref
from tap_telegram.sources.export.files import find_exports
from tap_telegram.sources.export.heap import HeapFreeze
from tap_telegram.sources.export.mapping.dates import ZONE_SETTING
from tap_telegram.sources.export.mapping.messages import (
    ThreadIndex,
    map_chat,
    map_message,
    map_sender_user,
)
from tap_telegram.sources.export.mapping.parts import MessageShapeError
from tap_telegram.sources.export.read import CursorPool, merge_by_id, span_messages
from tap_telegram.sources.export.spans import MIN_ID, ChatSpan, ExportFile, export_error
from tap_telegram.sources.lookback import Lookback
from tap_telegram.sources.pages import Page
from tap_telegram.sources.selection import (
    announce_every_chat,
    refuse_empty,
    report_unmatched,
    wanted_types,
    without_excluded,
)

#: Smallest page of an export read (see the module docstring).
EXPORT_PAGE_SIZE = 500
#: Seconds between progress lines of one chat.
PROGRESS_EVERY = 15.0


class ChatPlan:
    """One selected chat: its record and its copies in the export files, oldest first."""

    def __init__(self, record: ChatRecord, spans: list[ChatSpan]) -> None:
        self.record = record
        self.spans = spans
        self.forum = any(span.forum for span in spans)

    @property
    def label(self) -> str:
        """How logs name the chat: its marked id, then its title (:func:`label_for`)."""
        return label_for(self.record["id"], None, self.record.get("title"))


class ExportSource(HistorySource):
    """Reads chats and messages from Telegram Desktop JSON exports."""

    name = "export"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._plans: list[ChatPlan] | None = None
        self._pool = CursorPool()
        self._heap = HeapFreeze()
        self._people: dict[int, dict[str, Any]] = {}
        self._registered: set[int] = set()
        self._zone = self._timezone()
        #: Lookback re-reads nothing here (no probe): it only keeps each chat's memory.
        self._lookback = Lookback(self)

    # -- settings ------------------------------------------------------------------

    def _export_path(self) -> str:
        path = self.settings.export_path
        if not path or not isinstance(path, str):
            raise ConfigError(
                "setting 'export_path' is required for source export: the result.json of a "
                "Telegram Desktop JSON export, or the folder that contains it"
            )
        return path

    def _chat_types(self) -> set[str]:
        return wanted_types(self.settings)

    def _timezone(self) -> dt.tzinfo | None:
        """``export_timezone`` as a zone (``None``: not set); checked as the source is built."""
        name = self.settings.export_timezone
        if not name:
            return None
        try:
            return zoneinfo.ZoneInfo(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"setting '{ZONE_SETTING}': unknown time zone {str(name)[:60]!r}; use an IANA "
                "name such as Europe/Berlin or America/New_York (the zone of the computer "
                "that made the export)"
            ) from None

    @property
    def page_size(self) -> int:
        """Records per page: ``page_size`` when larger than 500, else 500."""
        value = self.settings.page_size or 0
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"setting 'page_size': {value!r} is not a positive integer")
        return max(value, EXPORT_PAGE_SIZE)

    # -- chats -----------------------------------------------------------------------

    def chats(self) -> list[Record]:
        """The selected chats in file order (scans the export on the first call)."""
        if self._plans is None:
            self._heap.hold()  # until close(): the scan and the reads allocate a lot (.heap)
            plans = self._select(self._load())
            self._check_dates(plans)
            self._plans = plans
        return [plain(plan.record) for plan in self._plans]

    def _load(self) -> list[ChatPlan]:
        path = self._export_path()
        self._chat_types()  # validate before the (possibly long) scan
        files = find_exports(path, self.logger)
        groups: dict[int, list[ChatSpan]] = {}
        for export in files:
            self._learn_people(export)
            for span in export.chats:
                marked = span.chat_id
                if marked is None:
                    self.logger.warning(
                        "tap-telegram: %s: skipping %s of unknown type %r (newer export format?)",
                        export.path,
                        span.label,
                        span.export_type,
                    )
                    continue
                groups.setdefault(marked, []).append(span)
        self_name = self._self_name(files)
        plans = []
        for spans in groups.values():
            latest = spans[-1]
            assert latest.chat_id is not None
            record = map_chat(
                latest.name,
                latest.export_type,
                latest.chat_id,
                forum=any(span.forum for span in spans),
                self_name=self_name,
            )
            plans.append(ChatPlan(record, spans))
        return plans

    def _learn_people(self, export: ExportFile) -> None:
        for user_id, person in export.people.items():
            self._people.setdefault(user_id, {}).update(person)
        for span in export.chats:
            if span.export_type == "bot_chat" and span.bare_id > 0:
                self._people.setdefault(span.bare_id, {})["is_bot"] = True

    def _self_name(self, files: list[ExportFile]) -> str | None:
        for export in reversed(files):
            person = self._people.get(export.self_id) if export.self_id else None
            if person:
                name = " ".join(filter(None, (person.get("first_name"), person.get("last_name"))))
                return name or None
        return None

    def _select(self, plans: list[ChatPlan]) -> list[ChatPlan]:
        """Apply ``chats`` (ids or exact names) or, without it, ``chat_types``.

        Then ``exclude_chats`` (same forms as ``chats``) takes chats out.
        """
        excluded = [str(entry).strip() for entry in self.settings.exclude_chats or ()]
        entries = [str(entry).strip() for entry in self.settings.chats or ()]
        if entries:
            selected = self._named(plans, entries)
        else:
            kinds = self._chat_types()
            selected = [plan for plan in plans if plan.record["type"] in kinds]
        selected, unmatched = without_excluded(selected, excluded, _matches)
        report_unmatched(self.logger, unmatched)
        if not plans:
            raise ExportFormatError(
                f"export_path {self._export_path()}: no chat of a type this tap reads (see the "
                "warnings above); export again with a current Telegram Desktop"
            )
        refuse_empty(
            self.settings, "in the export", len(plans), len(selected), failed=bool(self.failures)
        )
        if not entries:
            types = [kind for plan in selected if (kind := plan.record["type"]) is not None]
            announce_every_chat(self.logger, "in the export", types)
        return selected

    def _named(self, plans: list[ChatPlan], entries: list[str]) -> list[ChatPlan]:
        """The chats ``chats`` names, in file order; an entry naming none fails as a chat."""
        wanted: set[int] = set()
        for entry in entries:
            found = [plan.record["id"] for plan in plans if _matches(entry, plan)]
            if not found:
                known = ", ".join(repr(plan.record["title"]) for plan in plans[:5])
                what = (
                    "exports have no chat folders (only source mtproto reads them)"
                    if entry.lower().startswith(FOLDER_PREFIX)
                    else "exports have no @usernames"
                )
                self.chat_failed(
                    ChatError(
                        entry,
                        f"not in the export at {self._export_path()} (its chats: {known}"
                        f"{', ...' if len(plans) > 5 else ''}); {what}: use "
                        "the chat's id or its exact name",
                    )
                )
            wanted.update(found)
        return [plan for plan in plans if plan.record["id"] in wanted]

    def _check_dates(self, plans: list[ChatPlan]) -> None:
        """Stop before any record if a selected chat has local dates and no zone to read them."""
        if self._zone is not None:
            return
        for plan in plans:
            for span in plan.spans:
                if span.local_dates:
                    raise export_error(
                        span.file.path,
                        span.label,
                        "its dates are in the local time of the computer that made the export, "
                        "with no zone (Telegram Desktop before June 2022)",
                        f"set '{ZONE_SETTING}' to that computer's time zone, e.g. Europe/Berlin",
                    )

    # -- messages --------------------------------------------------------------------

    def _plan(self, chat_id: int) -> ChatPlan:
        self.chats()
        assert self._plans is not None
        for plan in self._plans:
            if plan.record["id"] == chat_id:
                return plan
        raise ChatError(str(chat_id), "not among the chats selected from the export")

    def plan(self, queries: list[MessageQuery]) -> Callable[[], str] | None:
        """One ``now`` for every chat's lookback window (nothing is read ahead)."""
        self._lookback.plan(queries)
        return None

    def message_pages(self, query: MessageQuery) -> Iterator[Page]:
        """The chat's pages (:meth:`history_pages`), through its lookback when on."""
        return self._lookback.pages(query, self.history_pages)

    def history_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Messages of one chat, oldest first, in pages (see the module docstring).

        Any problem of the chat's messages is an :class:`ExportChatError` naming the chat
        by its marked id, raised after the last good page.
        """
        plan = self._plan(query.chat_id)
        label = self.chat_label(query.chat_id)
        try:
            yield from self._read(plan, query)
        except ExportChatError:
            raise
        except ExportFormatError as error:
            raise ExportChatError(label, str(error)) from None

    def _read(self, plan: ChatPlan, query: MessageQuery) -> Iterator[list[Record]]:
        """The chat's pages from the spans that may hold newer messages, merged by id."""
        for span in plan.spans:
            if span.bad_at is not None:
                raise export_error(
                    span.file.path,
                    f"message #{span.bad_at}",
                    f"it {span.bad_what}, so the tap cannot tell where it belongs and loads "
                    "nothing of this chat (no bookmark may pass it)",
                    "repair that message or export the chat again",
                )
        after = query.after_id or MIN_ID  # 0: from the first message, migrated ones too
        spans = [span for span in plan.spans if span.count]
        newer = [span for span in spans if span.max_id is not None and span.max_id > after]
        if not newer:
            return
        if not plan.forum:
            spans = newer  # without topics, older copies add nothing
        with ExitStack() as stack:
            streams = [stack.enter_context(closing(span_messages(self._pool, s))) for s in spans]
            merged = stack.enter_context(closing(merge_by_id(streams)))
            yield from self._pages(plan, spans, merged, dataclasses.replace(query, after_id=after))

    def topics(self, chat_id: int) -> Iterator[Record]:
        """Topics of a forum, from its ``topic_created`` messages (a second pass)."""
        if not self._plan(chat_id).forum:
            return
        yield plain(general_topic(chat_id))
        for page in self.history_pages(MessageQuery(chat_id=chat_id)):
            for message in page:
                topic = topic_from_message(message)
                if topic is not None:
                    yield plain(topic)

    def _pages(
        self,
        plan: ChatPlan,
        spans: list[ChatSpan],
        merged: Iterator[tuple[dict[str, Any], int]],
        query: MessageQuery,
    ) -> Iterator[list[Record]]:
        chat_id, after_id, since = plan.record["id"], query.after_id, query.since
        thread = ThreadIndex() if plan.forum else None
        page: list[MessageRecord] = []
        size = self.page_size
        count = skipped = 0
        started = last_log = time.monotonic()
        try:
            for message, rank in merged:
                top = thread.observe(message) if thread is not None else None
                if message["id"] <= after_id:
                    continue
                try:
                    record = map_message(
                        message, chat_id, top, forum=thread is not None, zone=self._zone
                    )
                except MessageShapeError as error:
                    where = f"message id {message['id']}"
                    raise export_error(spans[rank].file.path, where, error.problem) from None
                if record is None:
                    skipped += 1
                    continue
                date = record["date"]  # set on every message the export maps
                if since is not None and date is not None and date < since:
                    continue
                self._note_sender(record)
                page.append(record)
                if len(page) >= size:
                    count += len(page)
                    yield plain_list(page)
                    page = []
                    last_log = self._progress(plan, count, started, last_log)
        except ExportFormatError:
            if page:
                yield plain_list(page)  # every record in it is complete: keep them before failing
            raise
        if page:
            yield plain_list(page)
        if skipped:
            self.logger.warning(
                "tap-telegram: chat %s: skipped %d message(s) the export marks 'unsupported' "
                "(it has no content for them)",
                plan.label,
                skipped,
            )

    def _progress(self, plan: ChatPlan, count: int, started: float, last: float) -> float:
        now = time.monotonic()
        if now - last < PROGRESS_EVERY:
            return last
        rate = count / max(now - started, 1e-9)
        self.logger.info("tap-telegram: chat %s: %d messages (%.0f/s)", plan.label, count, rate)
        return now

    def _note_sender(self, record: MessageRecord) -> None:
        """Fill ``sender_username`` when known; register new user senders."""
        sender_id = record["sender_id"]
        if sender_id is None:
            return
        person = self._people.get(sender_id)
        if person is not None and record["sender_type"] == "user":
            record["sender_username"] = person.get("username")
        if sender_id not in self._registered:
            user = map_sender_user(record, self._people)
            if user is not None:
                self._registered.add(sender_id)
                self.users.add(plain(user))

    def close(self) -> None:
        """Close every open export file and give the heap freeze up (idempotent)."""
        self._pool.close()
        self._heap.release()


def _matches(entry: str, plan: ChatPlan) -> bool:
    """Whether a ``chats`` entry names this chat: marked or bare id, link, or exact title."""
    record = plan.record
    if re.fullmatch(r"[+-]?\d{1,19}", entry):
        number = int(entry)
        written = {id_ for span in plan.spans for id_ in (span.bare_id, span.raw_id) if id_}
        return number == record["id"] or number in written
    try:
        ref = parse_chat_ref(entry)
    except ConfigError:
        ref = None
    if ref is not None and ref.kind == "id":
        return bool(ref.value == record["id"])
    title = _folded(record["title"] or "")
    return bool(title) and title in (_folded(entry), _folded(entry.removeprefix("@")))


def _folded(text: str) -> str:
    """A title as compared: NFC (macOS file names and some keyboards give NFD), casefolded."""
    return unicodedata.normalize("NFC", text).casefold()
