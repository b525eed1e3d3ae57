"""What the source remembers between runs, and when a remembered thing is due again.

Chat metadata that only ``GetFull*`` gives (about, full member count, linked chat),
member lists and forum topic lists change rarely, yet cost a request (or several)
per chat. The source keeps what it fetched in STATE (the streams hand it the dicts,
:meth:`tap_telegram.sources.base.Source.recall`) and asks again only

* when it has nothing for the chat (first seen);
* when something it sees anyway says the thing changed (a linked chat appearing or
  going, the dialog's member count, join/leave service messages, a forum's newest
  message);
* at the latest every ``chat_refresh_hours`` / ``participants_refresh_hours``.

**Spread over runs.** A refresh is due when one of the chat's *slots* passed since
the last refresh: slots are the instants ``phase + k * period``, with ``phase`` a
stable hash of the chat id into ``[0, period)``. Hourly runs thus find about ``N / 24``
of ``N`` chats due with the default 24 h, never all at once (not even the day after a
first run that fetched every chat). A hash clusters now and then, so a run makes at
most its :func:`share` of the periodic refreshes (its part of the period, a quarter
more, one more); the rest waits for the next run, first due first. Nothing is older
than one period plus a run or two. Runs a period or more apart refresh everything
due. A period of 0 refreshes at every run.

**What STATE holds.** Integers and strings only (SDK targets read numbers in STATE
as decimals), kept short because every STATE message carries it: per chat id (as a
string) a short list of the fetch time ``at`` in Unix seconds and the values
(:mod:`.entries`, which also reads the objects older versions wrote). Entries of chats
that are no longer selected are dropped. For example::

    "chats": {"memory": {"run": 1717243200,
                         "full": {"-1001234567890": [1717243200, "...", 812, 1987654321]},
                         "refs": {"https://t.me/+AbCd": -1001234567890},
                         "channels": {"somepublic": {"id": 1122334455, "hash": "-8061..."}}}},
    "participants": {"memory": {"-1001234567890": [1717243200, 48213, 812,
                                                   "TpaoZnilqSYyjOUvchGn-0"]}},
    "topics": {"memory": {"-1009876543210": [1717243200, 5120]}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from tap_telegram.records.constants import CHANNEL_MARK
from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.chats.entries import (
    FullEntry,
    MemberEntry,
    TopicEntry,
    migrate,
    read_full,
    read_members,
    read_topics,
)

#: What a source keeps for one stream in STATE (a JSON-safe dict, updated in place).
Memory = MutableMapping[str, Any]
#: The streams whose STATE holds something of the source's memory.
CHATS, PARTICIPANTS, TOPICS = "chats", "participants", "topics"


def utc_now() -> dt.datetime:
    """The real clock (the default of the injectable ``clock``)."""
    return dt.datetime.now(dt.timezone.utc)


def phase(chat_id: int, period: dt.timedelta) -> dt.timedelta:
    """Where in each period a chat's slot falls: a stable hash of its id (not ``hash()``)."""
    digest = hashlib.blake2b(str(chat_id).encode(), digest_size=8).digest()
    return period * (int.from_bytes(digest, "big") / 2**64)


def last_slot(chat_id: int, now: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """The chat's latest slot at or before ``now`` (see the module docstring)."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    offset = phase(chat_id, period)
    return epoch + offset + math.floor((now - epoch - offset) / period) * period


def overdue_since(
    chat_id: int, last: dt.datetime | None, now: dt.datetime, period: dt.timedelta
) -> dt.datetime | None:
    """When the chat's refresh fell due (a slot in ``(last, now]``), ``None`` if not due."""
    if last is None or period <= dt.timedelta(0):
        return last or now
    slot = last_slot(chat_id, now, period)
    return slot if slot > last else None


def share(chats: int, since_last_run: dt.timedelta | None, period: dt.timedelta) -> int:
    """Periodic refreshes one run may make: its part of the period, with some slack.

    ``chats * (time since the last run) / period``, a quarter more and one (the slots
    are a hash, so some hours hold more than others), and every chat when runs are a
    period or more apart. What does not fit waits for the next run, first due first.
    """
    if since_last_run is None or period <= dt.timedelta(0) or since_last_run >= period:
        return chats
    return math.ceil(chats * max(since_last_run / period, 0) * 1.25) + 1


def hours(value: float) -> dt.timedelta:
    """A ``*_refresh_hours`` setting as a period (its default is the declaration's)."""
    return dt.timedelta(hours=float(value))


@dataclasses.dataclass(frozen=True)
class FullInfo:
    """The ``GetFull*`` fields a ``chats`` record carries, as fetched or remembered.

    Read like Telethon's full objects (``getattr``), so the mapping and the comment
    linker take either.
    """

    about: str | None = None
    participants_count: int | None = None
    linked_chat_id: int | None = None

    @classmethod
    def of(cls, full: Any) -> FullInfo:
        """The fields of a ``ChannelFull`` / ``ChatFull`` / ``UserFull``."""
        count = getattr(full, "participants_count", None)
        members = getattr(getattr(full, "participants", None), "participants", None)
        if count is None and isinstance(members, list):
            count = len(members)
        return cls(
            about=getattr(full, "about", None) or None,
            participants_count=count,
            linked_chat_id=getattr(full, "linked_chat_id", None) or None,
        )


class SourceMemory:
    """The source's memory of one run: what was fetched when, and what is due now.

    Built from the dicts the streams keep in STATE (empty ones when there are none,
    e.g. under the SDK's test runner: then everything is due every run).
    """

    def __init__(
        self,
        memory: Mapping[str, Memory] | None,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        memory = memory or {}
        self.chats: Memory = memory.get(CHATS, {})
        self.participants: Memory = memory.get(PARTICIPANTS, {})
        self.topics: Memory = memory.get(TOPICS, {})
        # What an older version wrote is rewritten in today's shape (:mod:`.entries`).
        migrate(self.chats.get("full"), read_full)
        migrate(self.participants, read_members)
        migrate(self.topics, read_topics)
        #: One ``now`` for the whole run: every decision is made against it.
        self.now = clock().astimezone(dt.timezone.utc).replace(microsecond=0)
        #: ``now`` as stored in STATE (Unix seconds: short, and an integer).
        self._stamp = int(self.now.timestamp())
        #: When the previous run started: this run's share of the periodic refreshes.
        self._last_run = _time(self.chats.get("run"))
        self.chats["run"] = self._stamp
        self.chat_period = hours(settings.chat_refresh_hours)
        self.members_period = hours(settings.participants_refresh_hours)

    # -- chats: full info --------------------------------------------------------------

    def due_fulls(self, chats: Iterable[tuple[int, bool | None]]) -> set[int]:
        """The chats whose full info is fetched in this run, of ``(chat id, has_link)``.

        Chats seen for the first time, and chats whose dialog says the linked chat
        changed (``Channel.has_link`` against the remembered link), always; chats whose
        refresh fell due (:func:`overdue_since`), up to this run's :func:`share`, first
        due first. Member counts come with the dialog (the record takes them from
        there), so they need no refresh.
        """
        now, periodic, total = set(), [], 0
        for chat_id, has_link in chats:
            total += 1
            entry = self._full(chat_id)
            if entry is None or (has_link is not None and has_link != bool(entry.linked)):
                now.add(chat_id)
                continue
            due = overdue_since(chat_id, _time(entry.at), self.now, self.chat_period)
            if due is not None:
                periodic.append((due, chat_id))
        return now | self._first(periodic, total, self.chat_period)

    def remembered_full(self, chat_id: int) -> FullInfo | None:
        """The full info fetched in an earlier run, if any."""
        entry = self._full(chat_id)
        if entry is None:
            return None
        return FullInfo(
            about=entry.about, participants_count=entry.count, linked_chat_id=entry.linked
        )

    def remember_full(self, chat_id: int, info: FullInfo) -> None:
        """Keep freshly fetched full info."""
        entry = FullEntry(self._stamp, info.about, info.participants_count, info.linked_chat_id)
        self.chats.setdefault("full", {})[str(chat_id)] = entry.encode()

    def remembered_ref(self, ref: str) -> int | None:
        """The chat an invite link led to in an earlier run (links need a request each)."""
        refs = self.chats.get("refs")
        return _integer(refs.get(ref)) if isinstance(refs, Mapping) else None

    def remember_ref(self, ref: str, chat_id: int) -> None:
        """Keep which chat an invite link leads to."""
        self.chats.setdefault("refs", {})[ref] = chat_id

    def remembered_channels(self, usernames: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Public channels read without joining, by username: ``(channel id, access hash)``.

        They are not dialogs, so the dialogs pass cannot resolve them; the access hash
        Telegram gave this session for them lets one ``channels.getChannels`` fetch them
        all back, instead of ``contacts.resolveUsername`` (strictly limited) each run.
        """
        table = self.chats.get("channels")
        found: dict[str, tuple[int, int]] = {}
        for name in usernames:
            entry = table.get(name.lower()) if isinstance(table, Mapping) else None
            if isinstance(entry, Mapping):
                channel, access = _integer(entry.get("id")), _integer(entry.get("hash"))
                if channel is not None and access is not None:
                    found[name.lower()] = (channel, access)
        return found

    def remember_channel(self, username: str, channel_id: int, access_hash: int) -> None:
        """Keep how to reach a public channel that is not a dialog (see above)."""
        self.chats.setdefault("channels", {})[username.lower()] = {
            "id": channel_id,
            "hash": str(access_hash),
        }

    # -- participants ------------------------------------------------------------------

    def due_members(self, chats: Iterable[tuple[int, int | None, int]]) -> set[int]:
        """The chats whose members are listed in this run, of ``(chat id, count, join)``.

        ``count`` is the member count the dialog shows, ``join`` the id of the newest
        join/leave service message read in this run: a count other than the one
        listed, or such a message newer than the listing, means members changed (listed
        now, like chats never listed); the others are listed when their refresh fell
        due, up to this run's :func:`share`. Chats only admins may list are asked again
        only when due.
        """
        now, periodic, total = set(), [], 0
        for chat_id, count, join in chats:
            total += 1
            entry = read_members(self.participants.get(str(chat_id)))
            if entry is None:
                now.add(chat_id)
                continue
            if not entry.admins_only and (
                join > (entry.top or 0) or (count is not None and entry.count not in (None, count))
            ):
                now.add(chat_id)
                continue
            due = overdue_since(chat_id, _time(entry.at), self.now, self.members_period)
            if due is not None:
                periodic.append((due, chat_id))
        return now | self._first(periodic, total, self.members_period)

    def member_hashes(self, chat_id: int) -> tuple[list[int], int | None]:
        """Per page, the hash of the members listed last time, and their count then."""
        entry = read_members(self.participants.get(str(chat_id)))
        if entry is None:
            return [], None
        return list(entry.hashes), entry.count

    def remember_members(
        self,
        chat_id: int,
        count: int | None,
        hashes: Iterable[int] = (),
        *,
        top: int | None = None,
        listable: bool = True,
    ) -> None:
        """Keep when the members were listed, and what the next listing compares with.

        Their count, per-page hashes, the chat's newest message id then (``top``), and
        whether Telegram let the account list them.
        """
        entry = MemberEntry(self._stamp, top, not listable, count, tuple(hashes))
        self.participants[str(chat_id)] = entry.encode()

    # -- topics ------------------------------------------------------------------------

    def topics_due(self, chat_id: int, top_message: int | None) -> bool:
        """Whether a forum's topics must be listed again (new messages, or the period)."""
        entry = read_topics(self.topics.get(str(chat_id)))
        if entry is None or top_message is None or top_message != entry.top:
            return True
        return overdue_since(chat_id, _time(entry.at), self.now, self.chat_period) is not None

    def remember_topics(self, chat_id: int, top_message: int | None) -> None:
        """Keep when the topics were listed and the forum's newest message then."""
        self.topics[str(chat_id)] = TopicEntry(self._stamp, top_message).encode()

    # -- upkeep ------------------------------------------------------------------------

    def keep_only(self, chat_ids: Iterable[int]) -> None:
        """Forget chats that are no longer selected (STATE does not grow forever)."""
        keep = {str(chat_id) for chat_id in chat_ids}
        for table in (self.chats.get("full"), self.participants, self.topics):
            if isinstance(table, MutableMapping):
                for key in [key for key in table if key not in keep]:
                    del table[key]
        channels = self.chats.get("channels")
        if isinstance(channels, MutableMapping):
            for name, entry in list(channels.items()):
                channel = _integer(entry.get("id")) if isinstance(entry, Mapping) else None
                if channel is None or str(-(CHANNEL_MARK + channel)) not in keep:
                    del channels[name]

    def _first(
        self, periodic: list[tuple[dt.datetime, int]], chats: int, period: dt.timedelta
    ) -> set[int]:
        """The periodic refreshes of this run: first due first, up to its share."""
        since = None if self._last_run is None else self.now - self._last_run
        periodic.sort()
        return {chat_id for _, chat_id in periodic[: share(chats, since, period)]}

    def _full(self, chat_id: int) -> FullEntry | None:
        rows = self.chats.get("full")
        return read_full(rows.get(str(chat_id))) if isinstance(rows, Mapping) else None


def _time(value: Any) -> dt.datetime | None:
    """A time from STATE (Unix seconds), ``None`` if missing or unreadable (hand-edited)."""
    seconds = _integer(value)
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _integer(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
