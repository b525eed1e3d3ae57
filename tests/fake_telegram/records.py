"""Plain records of the fake world: users, chats, and a chat's message arithmetic.

A chat never stores its messages. It stores how many were ever created (``count``,
message numbers ``n = 1..count``), which of them were deleted, and the few that tests
changed (edits, reactions, hand-written messages). Everything else about message
``n`` (id, date, content) is computed on demand, so a chat of a million messages
costs a few integers and a history page costs O(page + log N).

Ids follow Telegram: channels and supergroups number their messages 1, 2, 3, ...
(a gap is a deleted message); private chats and basic groups share one per-account
counter, simulated as ``id = n * stride + slot`` so ids ascend within a chat, never
change when messages are appended, and interleave (non-dense) across those chats.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal

from tests.fake_telegram.hashing import from_ts, splitmix
from tests.fake_telegram.updatelog import UpdateLog

ChatKind = Literal["private", "group", "supergroup", "channel", "forum"]
CHAT_KINDS: tuple[str, ...] = ("private", "group", "supergroup", "channel", "forum")
#: Kinds that are a ``Channel`` on the wire (per-chat message ids, pts).
CHANNEL_KINDS = frozenset({"supergroup", "channel", "forum"})

#: Salt variants: independent hash streams of one chat.
JITTER = 0x1B873593
FLAGS = 0x27D4EB2F
TOPICS = 0x165667B1
ALBUMS = 0x61C88647
#: Reaction: a standard emoji (str) or a custom emoji document id (int), with a count.
Reaction = tuple[str | int, int]


@dataclasses.dataclass
class UserRecord:
    """A user (or bot) of the world; ``is_self`` marks the logged-in account."""

    key: str
    id: int
    access_hash: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    bot: bool = False
    deleted: bool = False
    premium: bool = False
    verified: bool = False
    is_self: bool = False
    about: str | None = None
    #: In the account's contact list; ``mutual``: the user has the account as a contact too.
    contact: bool = False
    mutual: bool = False

    @property
    def name(self) -> str:
        """``first last`` as a client shows it ("Deleted Account" for deleted users)."""
        if self.deleted:
            return "Deleted Account"
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclasses.dataclass
class FolderRecord:
    """A chat folder (``dialogFilter``) or a shared one (``dialogFilterChatlist``).

    Peers are chat keys; ``flags`` are the dynamic ones of ``dialogFilter`` (``contacts``,
    ``non_contacts``, ``groups``, ``broadcasts``, ``bots``, ``exclude_muted``,
    ``exclude_read``, ``exclude_archived``). A chat list has no flags and no excluded peers.
    """

    id: int
    title: str
    include: list[str] = dataclasses.field(default_factory=list)
    pinned: list[str] = dataclasses.field(default_factory=list)
    exclude: list[str] = dataclasses.field(default_factory=list)
    flags: list[str] = dataclasses.field(default_factory=list)
    chatlist: bool = False


@dataclasses.dataclass
class TopicRecord:
    """A forum topic; its id is the id of the service message that created it."""

    title: str
    icon_color: int = 0x6FB9F0
    closed: bool = False
    pinned: bool = False


@dataclasses.dataclass
class Edit:
    """A test's edit of a message: new text and when it happened."""

    text: str
    date: dt.datetime | None = None


@dataclasses.dataclass
class AdminEvent:
    """One event of a channel's admin log (``channelAdminLogEvent``; see :mod:`.admin_log`)."""

    id: int
    date: dt.datetime
    #: Key of the user who did it (an admin, or the member who joined or left).
    user_key: str
    #: A ``ChannelAdminLogEventAction*`` TL object.
    action: Any


@dataclasses.dataclass
class StatsSetup:
    """A channel's or supergroup's statistics (see :mod:`.stats`); ``None`` on a chat: too small."""

    #: The statistics DC (``ChannelFull.stats_dc``); requests elsewhere get STATS_MIGRATE_X.
    dc: int = 2
    #: Days the period covers (one graph point per day).
    days: int = 30
    #: Graphs served as ``statsGraphAsync`` (a token for ``stats.loadAsyncGraph``).
    async_graphs: tuple[str, ...] = ()
    #: Graphs served as ``statsGraphError``.
    error_graphs: tuple[str, ...] = ()


@dataclasses.dataclass
class ChatRecord:
    """One dialog of the account (or a public chat it could open) and its history."""

    key: str
    kind: ChatKind
    id: int
    access_hash: int
    title: str
    created_ts: int
    salt: int
    count: int = 0
    interval: int = 60
    username: str | None = None
    about: str = ""
    user_key: str | None = None
    members: list[str] = dataclasses.field(default_factory=list)
    member: bool = True
    banned: bool = False
    signatures: bool = False
    verified: bool = False
    linked: str | None = None
    participants: int | None = None
    topics: list[TopicRecord] = dataclasses.field(default_factory=list)
    invite_hash: str = ""
    slot: int = 0
    stride: int = 1
    deleted: list[int] = dataclasses.field(default_factory=list)
    edits: dict[int, Edit] = dataclasses.field(default_factory=dict)
    reactions: dict[int, list[Reaction]] = dataclasses.field(default_factory=dict)
    custom: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: The chat's message box (:mod:`.updatelog`): its own for channels, supergroups and
    #: forums; the account's common box (``World.account_log``) for the others.
    log: UpdateLog = dataclasses.field(default_factory=UpdateLog, repr=False, compare=False)
    #: In the archive (peer folder 1): still a dialog, listed with ``folder_id=1``.
    archived: bool = False
    #: Place among the pinned dialogs (1 = top); 0: not pinned.
    pinned: int = 0
    #: Unread incoming messages: the newest ones (``Dialog.unread_count``).
    unread: int = 0
    #: Notifications muted for good (``Dialog.notify_settings.mute_until``).
    muted: bool = False
    #: A basic group upgraded to a supergroup: the supergroup's key (``Chat.migrated_to``).
    migrated_to: str | None = None
    #: The account's role: ``"creator"``, ``"admin"`` or ``None`` (``Channel.creator`` /
    #: ``Channel.admin_rights``); only admins may read the admin log and statistics.
    admin: str | None = None
    #: The channel's admin log, oldest first (:mod:`.admin_log`).
    admin_log: list[AdminEvent] = dataclasses.field(default_factory=list, repr=False)
    #: Statistics an admin may read (:mod:`.stats`); ``None``: too small for statistics.
    stats: StatsSetup | None = None

    # -- kind ----------------------------------------------------------------------

    @property
    def is_channel(self) -> bool:
        """A ``Channel`` on the wire: broadcast channel, supergroup or forum."""
        return self.kind in CHANNEL_KINDS

    @property
    def is_broadcast(self) -> bool:
        """A broadcast channel: posts have no sender, but views and signatures."""
        return self.kind == "channel"

    @property
    def pts(self) -> int:
        """The pts of the chat's message box (the account's for private chats and groups).

        It moves with every new, edited or deleted message, never with reactions or
        views (see :mod:`.updatelog`).
        """
        return self.log.pts

    # -- ids and dates -------------------------------------------------------------

    def id_of(self, n: int) -> int:
        """Message id of message number ``n``."""
        return n if self.is_channel else n * self.stride + self.slot

    def n_of(self, message_id: int) -> int | None:
        """Message number of an id of this chat, or ``None`` if no such message."""
        if self.is_channel:
            n = message_id
        else:
            n, rest = divmod(message_id - self.slot, self.stride)
            if rest:
                return None
        if 1 <= n <= self.count and not self.is_deleted(n):
            return n
        return None

    def first_n_with_id_at_least(self, message_id: int) -> int:
        """Smallest ``n`` whose id is >= ``message_id`` (may exceed ``count``)."""
        if self.is_channel:
            return max(message_id, 1)
        return max(-((self.slot - message_id) // self.stride), 1)

    def ts_of(self, n: int) -> int:
        """Unix date of message ``n``: strictly ascending in ``n``, never depends on count.

        ``created + n * interval + jitter`` with ``0 <= jitter < interval``.
        """
        return self.created_ts + n * self.interval + splitmix(self.salt ^ JITTER, n) % self.interval

    def date_of(self, n: int) -> dt.datetime:
        """Aware UTC datetime of message ``n``."""
        return from_ts(self.ts_of(n))

    def first_n_with_ts_at_least(self, ts: int) -> int:
        """Smallest ``n`` (1..count+1) whose date is >= ``ts``: binary search."""
        lo, hi = 1, self.count + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.ts_of(mid) >= ts:
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- existence -----------------------------------------------------------------

    def is_deleted(self, n: int) -> bool:
        """Whether message ``n`` was deleted."""
        i = bisect.bisect_left(self.deleted, n)
        return i < len(self.deleted) and self.deleted[i] == n

    @property
    def total(self) -> int:
        """Messages that exist now (Telegram's ``count``)."""
        return self.count - len(self.deleted)

    def existing_below(self, n: int) -> int:
        """How many existing messages have a number < ``n``."""
        upper = min(max(n, 1), self.count + 1)
        return upper - 1 - bisect.bisect_left(self.deleted, upper)

    def nth_existing(self, k: int) -> int:
        """Number of the ``k``-th (0-based, ascending) existing message."""
        lo, hi = k + 1, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if self.existing_below(mid + 1) >= k + 1:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def existing_from(self, n: int, limit: int) -> list[int]:
        """Up to ``limit`` existing message numbers >= ``n``, ascending."""
        out: list[int] = []
        i = bisect.bisect_left(self.deleted, n)
        while n <= self.count and len(out) < limit:
            if i < len(self.deleted) and self.deleted[i] == n:
                i += 1
            else:
                out.append(n)
            n += 1
        return out

    def existing_desc(self, n: int) -> Iterator[int]:
        """Existing message numbers <= ``n``, newest first (a generator)."""
        n = min(n, self.count)
        i = bisect.bisect_right(self.deleted, n) - 1
        while n >= 1:
            if i >= 0 and self.deleted[i] == n:
                i -= 1
            else:
                yield n
            n -= 1

    @property
    def top_n(self) -> int:
        """Number of the newest existing message (0 if the chat is empty)."""
        return next(iter(self.existing_desc(self.count)), 0)

    def delete(self, numbers: list[int]) -> None:
        """Mark messages deleted (numbers, not ids); logging is the world's job."""
        merged = set(self.deleted)
        merged.update(n for n in numbers if 1 <= n <= self.count)
        self.deleted = sorted(merged)
