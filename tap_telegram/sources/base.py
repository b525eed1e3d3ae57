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

* pages (:class:`~tap_telegram.sources.pages.Page`) come oldest first; the ids of new
  records strictly ascend across all pages of one chat, each ``> query.after_id``
  (any id when it is 0) and, when ``query.since`` is set, dated ``>= query.since``;
* a page is a unit of progress: the stream writes its records, applies its commit
  (what the source keeps in the chat's STATE: a lookback memory, an update-log
  position, delivered ids) and writes STATE after it, so a crash loses at most the
  page being written and no STATE covers a record not yet written;
* re-read and change pages (lookback, change capture) may hold ids at or below the
  bookmark and tombstones: they never move it (:class:`~tap_telegram.sources.pages.PageKind`).

Which of those a source offers is its own business (MTProto: lookback and change
capture, :mod:`tap_telegram.sources.mtproto.changes.capture`; export: lookback,
:mod:`tap_telegram.sources.lookback`): the stream only plans, writes and checkpoints.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, ClassVar

from tap_telegram.errors import ChatError
from tap_telegram.settings import Settings
from tap_telegram.sources.pages import ChatState, Page
from tap_telegram.sources.users import UserRegistry

Record = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class SourceContext:
    """What every source is built from, so the tap builds any source the same way."""

    #: The tap's config as validated (defaults filled in). Sources read :attr:`settings`;
    #: the raw mapping stays for the modules not yet converted (issue 24).
    config: Mapping[str, Any]
    logger: logging.Logger
    #: Builds the network client of a source that has one (MTProto: a Telethon client
    #: from its ``ClientSettings``); ``None``: the real one. The seam the tests' fake
    #: Telegram plugs into; sources without such a client ignore it.
    client_factory: Callable[[Any], Any] | None = None
    #: The time now (aware); ``None``: the real clock. Tests move it to runs a day on.
    clock: Callable[[], dt.datetime] | None = None
    #: The tap's parsed settings; ``None``: parsed here from ``config`` (tests build
    #: sources from a bare config).
    parsed: dataclasses.InitVar[Settings | None] = None
    #: The settings, typed, parsed once.
    settings: Settings = dataclasses.field(init=False)

    def __post_init__(self, parsed: Settings | None) -> None:
        """Take the tap's settings object, or parse ``config`` once."""
        settings = parsed if parsed is not None else Settings.from_config(self.config)
        object.__setattr__(self, "settings", settings)


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
    #: The chat's bookmark in STATE (then ``after_id``); ``None``: a first run.
    bookmark: int | None = None
    #: Where the chat's checkpoint lives (pages' commits write there); ``None``: pages
    #: are only read (a test, a bench), so nothing a source keeps in STATE is used.
    state: ChatState | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class UpdatePage:
    """One page of an update log: message records in update order, and its cursor."""

    records: list[Record]
    #: The cursor after this page: the stream checkpoints it once the records are out.
    last_update_id: int
    #: Updates the page covered (records are only the message updates of chosen chats).
    updates: int


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
        self.settings = context.settings
        self.logger = context.logger
        self.users = UserRegistry()
        #: Chats that could not be resolved or read in this run (see ``on_chat_error``).
        self.failures: list[ChatError] = []

    def chat_failed(self, error: ChatError) -> None:
        """Record a failed chat; re-raise it when ``on_chat_error`` is ``fail``.

        Recorded either way, so that the run summary counts it.
        """
        self.failures.append(error)
        if self.settings.on_chat_error == "fail":
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
    def message_pages(self, query: MessageQuery) -> Iterator[Page]:
        """Messages of one chat as pages, oldest first (see the module docstring).

        ``query`` is one of those given to :meth:`plan`.
        """

    def plan(self, queries: list[MessageQuery]) -> Callable[[], str] | None:
        """The chats ``message_pages`` will be asked for, in order, before the first.

        Called once per run: a source may read ahead, probe every chat at once or read
        what changed since the last run here. Returns a line for the run summary
        (what the planning cost), or ``None``. Default: nothing to do.
        """
        return None


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
