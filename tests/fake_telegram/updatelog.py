"""Telegram's update logs ("message boxes") as the fake keeps them: pts-numbered events.

Telegram numbers the events of a message box with ``pts`` (core.telegram.org/api/updates):
an update's ``pts`` is the box's pts *after* the event and ``pts_count`` how many units it
used, so ``pts - pts_count`` is the pts before it. Every channel, supergroup and forum
has a box of its own; private chats and basic groups share the account's common box.
The events that move pts are the updates that carry ``pts_count`` in the TL schema
(core.telegram.org/type/Update). The fake produces new messages (1 unit each), edits
(1 unit), deletions (1 unit per deleted message, one update) and, made by
:mod:`.box_events`, the others of the schema, one unit each: in the account's box read
receipts (``updateReadHistoryInbox`` / ``Outbox``), ``updateReadMessagesContents``,
pins (``updatePinnedMessages``), link previews (``updateWebPage``) and folder moves of
any dialog (``updateFolderPeers``); in a channel's box pins
(``updatePinnedChannelMessages``) and link previews (``updateChannelWebPage``).
``updateReadChannelInbox`` carries the channel's ``pts`` but no ``pts_count``: it moves
nothing. Reactions and views are not pts events either: ``updateMessageReactions``
(peer, msg_id, top_msg_id, reactions) and ``updateChannelMessageViews`` (channel_id,
id, views) carry no pts (core.telegram.org/constructor/updateMessageReactions,
/constructor/updateChannelMessageViews).

Memory: a run of new messages is ONE event covering a pts range, however long (a
million-message chat costs one event); consecutive appends to the same chat extend the
previous run. Lookup by pts is a binary search over the events' end pts.
"""

from __future__ import annotations

import bisect
import dataclasses
from typing import Any, Literal

EventKind = Literal[
    "new",
    "edit",
    "delete",
    "read_in",
    "read_out",
    "read_contents",
    "pin",
    "unpin",
    "webpage",
    "folder",
]
#: The most a ``getChannelDifference`` reads: users 100, bots 100000 (tdlib's
#: ``MAX_CHANNEL_DIFFERENCE`` / ``MAX_BOT_CHANNEL_DIFFERENCE``; see :class:`UpdateLogSettings`).
USER_LIMIT = 100
BOT_LIMIT = 100_000
#: Kinds whose value is a list of message numbers (the others keep one number in ``first``).
LIST_KINDS = frozenset({"delete", "read_contents", "pin", "unpin"})
#: One-unit events that change no message (see :mod:`.box_events`).
MARK_KINDS = frozenset(
    {"read_in", "read_out", "read_contents", "pin", "unpin", "webpage", "folder"}
)


@dataclasses.dataclass(frozen=True)
class Event:
    """One logged event; ``pts`` is the box's pts after it (Telegram's ``pts`` field).

    ``new``: messages ``first .. first + pts_count - 1`` (message numbers of ``chat``);
    ``edit``: message ``first``; ``delete``: the message numbers in ``numbers``. The
    one-unit kinds of :mod:`.box_events`: ``read_in`` / ``read_out`` read up to message
    ``first``; ``read_contents``, ``pin``, ``unpin``: messages ``numbers``; ``webpage``:
    the link preview of message ``first``; ``folder``: ``chat`` moved to folder ``first``.
    """

    pts: int
    pts_count: int
    kind: EventKind
    chat: str
    first: int = 0
    numbers: tuple[int, ...] = ()

    @property
    def start(self) -> int:
        """The box's pts before the event."""
        return self.pts - self.pts_count

    def to_list(self) -> list[Any]:
        """Compact JSON form (the pts follow from the order, so they are not stored)."""
        if self.kind == "new":
            return [self.chat, "new", self.first, self.pts_count]
        if self.kind in LIST_KINDS:
            return [self.chat, self.kind, list(self.numbers)]
        return [self.chat, self.kind, self.first]


@dataclasses.dataclass(frozen=True)
class Piece:
    """The part of an event inside one page: units ``start+1 .. pts`` of ``event``.

    Only runs of new messages are ever cut; their messages are ``first .. first+count-1``.
    """

    event: Event
    pts: int
    pts_count: int

    @property
    def first(self) -> int:
        """First message number of a (cut) run of new messages."""
        return self.event.first + (self.pts - self.pts_count - self.event.start)


class UpdateLog:
    """A message box: events in pts order, starting at pts :attr:`base` (empty box)."""

    def __init__(self, base: int = 1) -> None:
        self.base = base
        self.events: list[Event] = []
        self._ends: list[int] = []

    @property
    def pts(self) -> int:
        """The box's current pts."""
        return self._ends[-1] if self._ends else self.base

    def new(self, chat: str, first: int, count: int) -> None:
        """Messages ``first .. first + count - 1`` of ``chat`` were created."""
        if count <= 0:
            return
        last = self.events[-1] if self.events else None
        if (
            last
            and last.kind == "new"
            and last.chat == chat
            and last.first + last.pts_count == first
        ):
            self._replace_last(
                dataclasses.replace(last, pts=last.pts + count, pts_count=last.pts_count + count)
            )
            return
        self._add(Event(self.pts + count, count, "new", chat, first))

    def edit(self, chat: str, n: int) -> None:
        """Message ``n`` of ``chat`` was edited."""
        self._add(Event(self.pts + 1, 1, "edit", chat, n))

    def delete(self, chat: str, numbers: list[int]) -> None:
        """Messages ``numbers`` of ``chat`` were deleted: one update, one unit per message."""
        if numbers:
            self._add(
                Event(self.pts + len(numbers), len(numbers), "delete", chat, 0, tuple(numbers))
            )

    def mark(
        self, kind: EventKind, chat: str, first: int = 0, numbers: tuple[int, ...] = ()
    ) -> None:
        """A one-unit event that changes no message's content (:data:`MARK_KINDS`)."""
        if kind not in MARK_KINDS:
            raise ValueError(f"not a one-unit event kind: {kind!r}")
        self._add(Event(self.pts + 1, 1, kind, chat, first, numbers))

    def replay(self, items: list[list[Any]]) -> None:
        """Replace the events by their JSON form (:meth:`Event.to_list`), from :attr:`base`."""
        self.events.clear()
        self._ends.clear()
        for chat, kind, value, *rest in items:
            if kind == "new":
                self.new(chat, int(value), int(rest[0]))
            elif kind == "edit":
                self.edit(chat, int(value))
            elif kind == "delete":
                self.delete(chat, [int(n) for n in value])
            elif kind in LIST_KINDS:
                self.mark(kind, chat, 0, tuple(int(n) for n in value))
            else:
                self.mark(kind, chat, int(value))

    def to_list(self) -> list[list[Any]]:
        """The events' JSON form."""
        return [event.to_list() for event in self.events]

    def page(self, after: int, limit: int) -> list[Piece]:
        """Events after pts ``after``, at most ``limit`` units (at least one event).

        A run of new messages is cut at the limit; a deletion is never cut, so a page
        starting with a deletion larger than ``limit`` holds that deletion alone.
        """
        out: list[Piece] = []
        used = 0
        for event in self.events[bisect.bisect_right(self._ends, after) :]:
            start = max(event.start, after)
            units = event.pts - start
            if used + units > limit:
                room = limit - used
                if event.kind == "new" and room > 0:
                    out.append(Piece(event, start + room, room))
                elif not out:
                    out.append(Piece(event, event.pts, units))
                break
            out.append(Piece(event, event.pts, units))
            used += units
        return out

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self._ends.append(event.pts)

    def _replace_last(self, event: Event) -> None:
        self.events[-1] = event
        self._ends[-1] = event.pts


@dataclasses.dataclass
class UpdateLogSettings:
    """How the fake answers difference requests that reach far back.

    The default is Telegram's rule: ``updates.getChannelDifference`` answers
    ``updates.channelDifferenceTooLong`` when "the provided pts + limit < remote pts"
    (core.telegram.org/constructor/updates.channelDifferenceTooLong), with ``limit`` "max
    100000; ordinary (non-bot) users are supposed to pass 10-100"
    (core.telegram.org/method/updates.getChannelDifference; tdlib passes
    ``MAX_CHANNEL_DIFFERENCE`` = 100 for users and ``MAX_BOT_CHANNEL_DIFFERENCE`` =
    100000 for bots, td/telegram/MessagesManager.h): a user is about 100 events behind
    at most (tdlib issue 366: "some updates can be skipped if there are more than 100
    missed updates"). Mode ``"horizon"`` is a generous server that keeps
    :attr:`channel_horizon` units for everyone (older docs: updates "older than latestPts
    - 100000" are dropped, corefork.telegram.org/type/updates.ChannelDifference?layer=126):
    an explicit option only, for a test or bench that needs to page far back.

    For the account, getDifference answers too long when ``pts + pts_total_limit <
    remote pts``; "if the remote pts is too big (> ~4000000), this field will default to
    1000000" (core.telegram.org/method/updates.getDifference): :attr:`account_horizon`
    plays that default. :attr:`slice` is how many pts units one
    ``updates.differenceSlice`` covers (Telegram does not say).
    """

    channel_too_long: Literal["limit", "horizon"] = "limit"
    channel_horizon: int = 100_000
    account_horizon: int = 1_000_000
    slice: int = 100

    def channel_gap(self, limit: int) -> int:
        """The largest gap (remote pts - pts) a channel difference of ``limit`` still reads."""
        return limit if self.channel_too_long == "limit" else self.channel_horizon

    def to_dict(self) -> dict[str, Any]:
        """JSON form (spec key ``update_log``)."""
        return dataclasses.asdict(self)
