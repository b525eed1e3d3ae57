"""The source contract: what every source is built from and what the streams may ask of it.

A source turns one kind of Telegram access (MTProto user session, Telegram Desktop
export, Bot API) into records of the schemas in :mod:`tap_telegram.records.schemas`.
Every source is built the same way, from a :class:`SourceContext`, and opened lazily by
the tap (discovery never opens one). Two kinds, two small interfaces over one base:

* :class:`HistorySource` reads each chat's history by message id (MTProto, export);
  the ``messages`` stream keeps one bookmark per chat;
* :class:`UpdateLogSource` reads one log of updates for all chats by a cursor (Bot
  API); the ``messages`` stream keeps that cursor.

The tap picks the ``messages`` stream by the interface of the source's class. Sources
never import the Singer side (:mod:`tap_telegram.singer`): the streams call them.

Contract of :meth:`HistorySource.message_pages`, relied on by the STATE logic:

* pages come oldest first and ids strictly ascend across all pages of one chat;
* every record has ``id > query.after_id`` (any id when it is 0) and, when
  ``query.since`` is set, ``date >= query.since``;
* a page is a unit of progress: the stream writes STATE after each page, so a crash
  loses at most the page being written.

Change capture (``track_changes``): before the first chat the stream hands
:meth:`HistorySource.changes` every chat's stored update-log position and gets back
what changed since (:class:`LogChanges`); new messages stay the history's (by id,
after the bookmark), the stream emits the edits and deletions of ids it delivered
(:mod:`tap_telegram.singer.changes`) and stores the new positions once they are out.

Lookback (``lookback_messages`` / ``lookback_days``): the stream asks
:meth:`HistorySource.lookback_starts` where a chat's window begins and then queries
with ``after_id`` set to that id, *below* the bookmark; the contract above is
unchanged (the stream, not the source, tells re-read rows from new ones, see
:mod:`tap_telegram.singer.lookback`). A source that cannot re-read keeps the default.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, ClassVar

from tap_telegram.errors import ChatError

Record = dict[str, Any]

#: Most messages a lookback window holds, whatever ``lookback_messages`` says: it
#: bounds the probes of :meth:`HistorySource.lookback_starts` and the memory the stream
#: keeps in STATE (:mod:`tap_telegram.singer.fingerprints`).
MAX_WINDOW = 10_000


@dataclasses.dataclass(frozen=True)
class SourceContext:
    """What every source is built from, so the tap builds any source the same way."""

    #: The tap's settings (validated, defaults filled in).
    config: Mapping[str, Any]
    logger: logging.Logger
    #: Builds the network client of a source that has one (MTProto: a Telethon client
    #: from its ``ClientSettings``); ``None``: the real one. The seam the tests' fake
    #: Telegram plugs into; sources without such a client ignore it.
    client_factory: Callable[[Any], Any] | None = None
    #: The time now (aware); ``None``: the real clock. Tests move it to runs a day on.
    clock: Callable[[], dt.datetime] | None = None


@dataclasses.dataclass(frozen=True)
class MessageQuery:
    """Which messages of one chat to read.

    ``after_id`` is the bookmark (or ``start_message_id`` on a first run); 0 means from
    the chat's first message, which in an export may have a negative id (a supergroup's
    migrated basic-group history): no message has id 0. ``since`` is ``start_date`` on
    a first run and ``None`` once the chat has a bookmark.
    """

    chat_id: int
    after_id: int = 0
    since: dt.datetime | None = None


class UserRegistry:
    """Distinct users seen during a run, in first-seen order.

    Sources register every sender (and every user mentioned in chat metadata) here
    while they read messages; the ``users`` stream emits the registry at the end.
    A later sighting only fills in fields the first one lacked, so records are
    deduplicated within a run.
    """

    def __init__(self) -> None:
        self._users: dict[int, Record] = {}

    def add(self, record: Record) -> None:
        """Remember ``record``; fill fields missing from an earlier sighting."""
        known = self._users.get(record["id"])
        if known is None:
            self._users[record["id"]] = dict(record)
            return
        for key, value in record.items():
            if known.get(key) is None and value is not None:
                known[key] = value

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._users

    def records(self) -> list[Record]:
        """All users seen so far."""
        return list(self._users.values())


@dataclasses.dataclass(frozen=True)
class UpdatePage:
    """One page of an update log: message records in update order, and its cursor."""

    records: list[Record]
    #: The cursor after this page: the stream checkpoints it once the records are out.
    last_update_id: int
    #: Updates the page covered (records are only the message updates of chosen chats).
    updates: int


#: ``deleted_scope`` of a tombstone: gone for everyone (channels, supergroups) or gone
#: from this account's view (private chats, basic groups: Telegram does not say which).
SCOPE_CHAT, SCOPE_ACCOUNT = "chat", "account"


@dataclasses.dataclass
class ChatChanges:
    """What a chat's update log says changed since its stored position."""

    #: Ids of messages edited since (their records: :meth:`HistorySource.edited_records`).
    edited: set[int] = dataclasses.field(default_factory=set)
    #: Ids deleted since (never also in ``edited``).
    deleted: set[int] = dataclasses.field(default_factory=set)
    #: The chat's own log position to store once these are out (channels); ``None``:
    #: the chat is in the account's log.
    pts: int | None = None
    #: The log was too long to read: only history and lookback catch up.
    fallback: bool = False
    #: Difference requests this chat cost.
    requests: int = 0


@dataclasses.dataclass
class LogChanges:
    """What the update logs say changed, for the selected chats (see the module docstring)."""

    #: Per marked chat id; a chat missing here has nothing to emit.
    chats: dict[int, ChatChanges] = dataclasses.field(default_factory=dict)
    #: Deletions in the account's log: ids only, Telegram names no chat. The stream
    #: attributes them through the ids it delivered (:mod:`tap_telegram.singer.id_index`).
    account_deleted: set[int] = dataclasses.field(default_factory=set)
    #: The account's log position to store (JSON-safe ints: pts, qts, date), ``None``: none.
    account: dict[str, int] | None = None
    #: ``account`` may be stored at once (taken before any history was read, nothing
    #: to emit); otherwise only once every chat of the account's log is out.
    account_is_start: bool = False
    #: Difference requests of the account's log, and whether it was too long.
    account_requests: int = 0
    account_fallback: bool = False

    @property
    def requests(self) -> int:
        """Every difference request of the run (channels and the account)."""
        return self.account_requests + sum(chat.requests for chat in self.chats.values())

    @property
    def fallbacks(self) -> int:
        """Logs that were too long to read (channels, and the account's)."""
        return int(self.account_fallback) + sum(c.fallback for c in self.chats.values())


@dataclasses.dataclass
class ChatStatistics:
    """A chat's statistics as read today: a dated snapshot and every graph point as a row."""

    #: ``channel`` (a ``channel_stats`` snapshot) or ``group`` (``group_stats``).
    kind: str
    snapshot: Record
    #: ``stats_graphs`` records, by ascending date.
    graph_rows: list[Record]


class Source(abc.ABC):
    """What both kinds of source offer: chats, per-chat lists, users, failures, lifecycle.

    Sources are opened lazily by the tap (discovery must not touch the network) and
    closed exactly once at the end of a run, even when it fails.
    """

    #: Value of the ``source`` setting that selects this backend.
    name: ClassVar[str]
    #: Whether the source keeps something in STATE between runs (see :meth:`recall`).
    remembers: ClassVar[bool] = False
    #: Set by the tap right before :meth:`close`: the run completed without an error
    #: (a source may end server-side sessions differently, e.g. a takeout).
    succeeded: bool = False

    def __init__(self, context: SourceContext) -> None:
        self.config = context.config
        self.logger = context.logger
        self.users = UserRegistry()
        #: Chats that could not be resolved or read in this run (see ``on_chat_error``).
        self.failures: list[ChatError] = []

    def chat_failed(self, error: ChatError) -> None:
        """Record a failed chat; re-raise it when ``on_chat_error`` is ``fail``.

        Recorded either way, so that the run summary counts it.
        """
        self.failures.append(error)
        if self.config.get("on_chat_error", "continue") == "fail":
            raise error
        self.logger.error("tap-telegram: %s (skipping this chat, going on with the others)", error)

    def recall(self, memory: Mapping[str, MutableMapping[str, Any]]) -> None:  # noqa: B027
        """Hand the source what it kept in STATE on earlier runs, by stream name.

        One JSON-safe dict per stream (``chats``, ``participants``, ``topics``), living in
        the run's STATE: the source reads it and updates it in place (integers and
        strings only), and every STATE message carries it on. Called once per run,
        before the first chat is resolved, for sources that set :attr:`remembers`.
        Default: the source keeps nothing.
        """

    def call_stats(self, chat_id: int | None = None) -> dict[str, float]:
        """Request counters of one chat (``None``: the whole run) for STATE and metrics.

        Keys ``requests``, ``flood_waits``, ``flood_seconds``; a source that sends no
        requests (an export) has none.
        """
        return {}

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect, authenticate, resolve chats. Default: nothing to do."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections, files and event loops. Must be idempotent."""

    @abc.abstractmethod
    def chats(self) -> list[Record]:
        """Records of the selected chats, resolved once and cached.

        For a history source their ``id`` values are the ``messages`` stream's
        partitions, in this order.
        """

    def topics(self, chat_id: int) -> Iterator[Record]:
        """``topics`` records of a forum. Default: the source has none."""
        return iter(())

    def participants(self, chat_id: int) -> Iterator[Record]:
        """``participants`` records of a chat. Default: the source has none."""
        return iter(())

    def contacts(self) -> Iterator[Record]:
        """``contacts`` records: the account's contact list. Default: the source has none.

        Asked only when the ``contacts`` stream is selected (it is not by default).
        """
        return iter(())

    def admin_log_pages(self, chat_id: int, after_id: int) -> Iterator[list[Record]] | None:
        """``admin_log`` records of a chat with event ids above ``after_id``, oldest first.

        Pages, each a unit of progress like a history page (the stream writes STATE
        after each); ids strictly ascend across pages. ``None``: the account may not
        read this chat's log (the source logged the one line that says why). Default:
        the source has no admin logs.
        """
        return None

    def statistics(self, chat_id: int) -> ChatStatistics | None:
        """A chat's statistics, read at most once a day (asked by three streams, read once).

        ``None``: none today (not an admin, too small, already read today: the source
        logged the one line that says why). Default: the source has no statistics.
        """
        return None

    def chat_label(self, chat_id: int) -> str:
        """How logs and errors name a chat: its marked id, then its name (:func:`label_for`)."""
        for chat in self.chats():
            if chat["id"] == chat_id:
                return label_for(chat_id, chat.get("username"), chat.get("title"))
        return str(chat_id)


class HistorySource(Source):
    """A source that reads each chat's history by message id (see the module docstring)."""

    @abc.abstractmethod
    def message_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Messages of one chat as pages, oldest first (see the module docstring)."""

    def plan(self, queries: list[MessageQuery]) -> None:
        """The chats ``message_pages`` will be asked for, in order: a source may read ahead.

        Called once per run before the first chat. Default: nothing to do.
        """

    def lookback_starts(
        self,
        bookmarks: Mapping[int, int],
        *,
        messages: int,
        since: dt.datetime | None,
        skip_failed: bool = False,
    ) -> dict[int, int]:
        """Per chat id, the id after which its lookback window starts (it ends at the bookmark).

        ``bookmarks`` maps chat ids to their bookmarks. A window holds the newest
        ``messages`` messages at or below the bookmark plus those dated ``since`` or
        later, at most :data:`MAX_WINDOW`. Asked for all chats at once, before the
        first is read, so that a source can probe them concurrently and read the
        chats ahead from the right ids. With ``skip_failed`` a chat whose probe fails
        (ChatError) is left out of the answer: it is asked again on its own when its
        turn comes, and fails there, in its own context. Default: the bookmarks (no
        re-reading).
        """
        return dict(bookmarks)

    def changes(
        self, positions: Mapping[int, int | None], account: Mapping[str, int] | None
    ) -> LogChanges | None:
        """What changed since the stored positions, read before any history (``track_changes``).

        ``positions`` maps every selected chat to its stored log position (a channel's
        pts; ``None``: none yet, or a chat in the account's log) and ``account`` is the
        account's stored position. A chat without a position gets its current one,
        taken now, before its history is read, so that nothing changed while it is
        read is missed. Default: the source has no update log (``None``).
        """
        return None

    def edited_records(self, chat_id: int, ids: set[int]) -> list[Record]:
        """Records of edited messages (``ChatChanges.edited``), newest content, by id.

        Asked when the chat's turn comes, after its history: mapped and enriched then,
        like a page. Default: none.
        """
        return []


class UpdateLogSource(Source):
    """A source that reads one log of updates for all chats, by a cursor.

    Its chats are those configured plus those seen in the log so far, so the
    ``messages`` stream runs before ``chats``.
    """

    @abc.abstractmethod
    def update_pages(self, after: int | None) -> Iterator[UpdatePage]:
        """Pages of the updates after cursor ``after`` (``None``: a first run), oldest first.

        Lazy: the next page is only asked for (which may confirm the previous one to
        the server) when the caller comes back for it, after it checkpointed the page.
        """


def label_for(chat_id: int, username: str | None, title: str | None) -> str:
    """``-1001234567890 (@username)`` or ``-1001234567890 ('Title')``: a chat in logs and errors.

    Every log line, error and counter names a chat this way: the marked id first (what
    the ``chats`` setting, STATE and the records use, and what a title change or a
    username given up never alters), then, when known, the ``@username`` or else the
    quoted title. Never anything else (no link, no secret).
    """
    if username:
        return f"{chat_id} (@{username})"
    if title:
        return f"{chat_id} ('{title}')"
    return str(chat_id)
