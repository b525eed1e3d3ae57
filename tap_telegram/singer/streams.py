"""The SDK streams' bases, and the thin streams that ask the source for their records.

Every stream reaches the run through a :class:`~tap_telegram.singer.host.StreamHost`
(never the tap class) and uses public SDK hooks plus the fenced ones of
:mod:`tap_telegram.singer.sdk_private`.

Here: :class:`TelegramStream` (the base of every stream), :class:`ChatPartitioned` (one
STATE partition and bookmark per chat: ``messages``, ``admin_log``, ``stats_graphs``),
:class:`MessagesStreamBase` (what both ``messages`` streams share), and ``chats``,
``topics``, ``participants``, ``users`` and ``contacts``. ``messages`` of a history
source, which orders records, commits and STATE, is in
:mod:`tap_telegram.singer.history_stream`; ``messages`` of an update log in
:mod:`tap_telegram.singer.bot_api_stream`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Mapping
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
from tap_telegram.singer.host import StreamHost
from tap_telegram.singer.output import datetime_conformer
from tap_telegram.singer.sdk_private import SdkStream
from tap_telegram.sources.base import Record, Source
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
