"""The one small interface every source implements.

A source turns one kind of Telegram access (MTProto user session, Telegram Desktop
export, Bot API) into records of the schemas in :mod:`tap_telegram.records.schemas`. The SDK
streams in :mod:`tap_telegram.singer.streams` only talk to this interface, so adding a source
touches neither the streams nor the other sources.

Contract of :meth:`Source.message_pages`, relied on by the STATE logic:

* pages come oldest first and ids strictly ascend across all pages of one chat;
* every record has ``id > query.after_id`` and, when ``query.since`` is set,
  ``date >= query.since``;
* a page is a unit of progress: the stream writes STATE after each page, so a crash
  loses at most the page being written.

Lookback (``lookback_messages`` / ``lookback_days``): the stream asks
:meth:`Source.lookback_starts` where a chat's window begins and then queries with
``after_id`` set to that id, *below* the bookmark; the contract above is unchanged
(the stream, not the source, tells re-read rows from new ones, see
:mod:`tap_telegram.singer.lookback`). A source that cannot re-read keeps the default.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from tap_telegram.errors import ChatError

Record = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class MessageQuery:
    """Which messages of one chat to read.

    ``after_id`` is the bookmark (or ``start_message_id`` on a first run); ``since``
    is ``start_date`` on a first run and ``None`` once the chat has a bookmark.
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


class Source(abc.ABC):
    """A backend that reads Telegram data and yields records.

    Sources are opened lazily by the tap (discovery must not touch the network) and
    closed exactly once at the end of a run, even when it fails.
    """

    #: Value of the ``source`` setting that selects this backend.
    name: ClassVar[str]
    #: Set by the tap right before :meth:`close`: the run completed without an error
    #: (a source may end server-side sessions differently, e.g. a takeout).
    succeeded: bool = False

    def __init__(self, config: Mapping[str, Any], logger: logging.Logger) -> None:
        self.config = config
        self.logger = logger
        self.users = UserRegistry()
        #: Chats that could not be resolved or read in this run (see ``on_chat_error``).
        self.failures: list[ChatError] = []

    def chat_failed(self, error: ChatError) -> None:
        """Record a failed chat, or re-raise when ``on_chat_error`` is ``fail``."""
        if self.config.get("on_chat_error", "continue") == "fail":
            raise error
        self.logger.error("tap-telegram: %s (skipping this chat, going on with the others)", error)
        self.failures.append(error)

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

        Their ``id`` values become the ``messages`` stream's partitions, in this order.
        """

    def plan(self, queries: list[MessageQuery]) -> None:  # noqa: B027 - optional hook
        """The chats ``message_pages`` will be asked for, in order: a source may read ahead.

        Called once per run before the first chat. Default: nothing to do.
        """

    @abc.abstractmethod
    def message_pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Messages of one chat as pages, oldest first (see the module docstring)."""

    def topics(self, chat_id: int) -> Iterator[Record]:
        """``topics`` records of a forum. Default: the source has none."""
        return iter(())

    def participants(self, chat_id: int) -> Iterator[Record]:
        """``participants`` records of a chat. Default: the source has none."""
        return iter(())

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
        later. Asked for all chats at once, before the first is read, so that a source
        can probe them concurrently and read the chats ahead from the right ids. With
        ``skip_failed`` a chat whose probe fails (ChatError) is left out of the answer:
        it is asked again on its own when its turn comes, and fails there, in its own
        context. Default: the bookmarks (no re-reading).
        """
        return dict(bookmarks)

    def chat_label(self, chat_id: int) -> str:
        """A human name for log lines and errors: ``@username``, title, or the id."""
        for chat in self.chats():
            if chat["id"] == chat_id:
                return label_for(chat_id, chat.get("username"), chat.get("title"))
        return str(chat_id)


def label_for(chat_id: int, username: str | None, title: str | None) -> str:
    """``@username (id)`` or ``'Title' (id)``: how every log line and error names a chat."""
    if username:
        return f"@{username} ({chat_id})"
    if title:
        return f"'{title}' ({chat_id})"
    return str(chat_id)
