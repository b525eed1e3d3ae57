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
stable hash of the chat id into ``[0, period)``. Hourly runs thus refresh about
``N / 24`` of ``N`` chats each with the default 24 h, never all at once (not even the
day after a first run that fetched every chat), and nothing is older than one period
plus the time to the next run. A period of 0 refreshes at every run.

**What STATE holds.** Integers and strings only (SDK targets read numbers in STATE
as decimals), kept short because every STATE message carries it: per chat id (as a
string) the fetch time ``at`` in Unix seconds and the non-empty values; hashes as
strings. Entries of chats that are no longer selected are dropped. For example::

    "chats": {"memory": {"full": {"-1001234567890": {"at": 1717243200, "about": "...",
                                                     "count": 812, "linked": 1987654321}},
                         "refs": {"https://t.me/+AbCd": -1001234567890}}},
    "participants": {"memory": {"-1001234567890": {"at": 1717243200, "count": 812,
                                                   "hashes": ["-4412...", "1290..."],
                                                   "top": 48213}}},
    "topics": {"memory": {"-1009876543210": {"at": 1717243200, "top": 5120}}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

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


def slot_passed(
    chat_id: int, last: dt.datetime | None, now: dt.datetime, period: dt.timedelta
) -> bool:
    """Whether one of the chat's slots lies in ``(last, now]`` (see the module docstring)."""
    if last is None or period <= dt.timedelta(0) or now - last >= period:
        return True
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    offset = phase(chat_id, period)
    # The latest slot at or before now.
    turns = math.floor((now - epoch - offset) / period)
    return epoch + offset + turns * period > last


def hours(value: Any, default: float = 24.0) -> dt.timedelta:
    """A ``*_refresh_hours`` setting as a period (``None``: the default)."""
    return dt.timedelta(hours=float(default if value is None else value))


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
        config: Mapping[str, Any],
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        memory = memory or {}
        self.chats: Memory = memory.get(CHATS, {})
        self.participants: Memory = memory.get(PARTICIPANTS, {})
        self.topics: Memory = memory.get(TOPICS, {})
        #: One ``now`` for the whole run: every decision is made against it.
        self.now = clock().astimezone(dt.timezone.utc).replace(microsecond=0)
        #: ``now`` as stored in STATE (Unix seconds: short, and an integer).
        self._stamp = int(self.now.timestamp())
        self.chat_period = hours(config.get("chat_refresh_hours"))
        self.members_period = hours(config.get("participants_refresh_hours"))

    # -- chats: full info --------------------------------------------------------------

    def full_due(self, chat_id: int, has_link: bool | None = None) -> bool:
        """Whether the chat's full info must be fetched in this run.

        ``has_link`` is what the dialog shows (``Channel.has_link``): when it disagrees
        with the remembered linked chat, the link changed. Member counts come with the
        dialog itself (the record takes them from there), so they need no refresh.
        """
        entry = self._entry(self.chats, "full", chat_id)
        if entry is None:
            return True
        if has_link is not None and has_link != bool(entry.get("linked")):
            return True
        return slot_passed(chat_id, _time(entry.get("at")), self.now, self.chat_period)

    def remembered_full(self, chat_id: int) -> FullInfo | None:
        """The full info fetched in an earlier run, if any."""
        entry = self._entry(self.chats, "full", chat_id)
        if entry is None:
            return None
        return FullInfo(
            about=_text(entry.get("about")),
            participants_count=_integer(entry.get("count")),
            linked_chat_id=_integer(entry.get("linked")),
        )

    def remember_full(self, chat_id: int, info: FullInfo) -> None:
        """Keep freshly fetched full info."""
        self.chats.setdefault("full", {})[str(chat_id)] = _compact(
            at=self._stamp,
            about=info.about,
            count=info.participants_count,
            linked=info.linked_chat_id,
        )

    def remembered_ref(self, ref: str) -> int | None:
        """The chat an invite link led to in an earlier run (links need a request each)."""
        refs = self.chats.get("refs")
        return _integer(refs.get(ref)) if isinstance(refs, Mapping) else None

    def remember_ref(self, ref: str, chat_id: int) -> None:
        """Keep which chat an invite link leads to."""
        self.chats.setdefault("refs", {})[ref] = chat_id

    # -- participants ------------------------------------------------------------------

    def members_due(self, chat_id: int, count: int | None, newest_join: int = 0) -> bool:
        """Whether a chat's members must be listed again.

        ``count`` is the member count the dialog shows, ``newest_join`` the id of the
        newest join/leave service message read in this run: a count other than the
        one listed, or such a message newer than the listing, means members changed.
        Chats only admins may list are asked again only when their period is up.
        """
        entry = self.participants.get(str(chat_id))
        if not isinstance(entry, Mapping):
            return True
        if not entry.get("admins_only"):
            if newest_join > (_integer(entry.get("top")) or 0):
                return True
            if count is not None and entry.get("count") not in (None, count):
                return True
        return slot_passed(chat_id, _time(entry.get("at")), self.now, self.members_period)

    def member_hashes(self, chat_id: int) -> tuple[list[int], int | None]:
        """Per page, the hash of the members listed last time, and their count then."""
        entry = self.participants.get(str(chat_id))
        if not isinstance(entry, Mapping):
            return [], None
        hashes = [value for value in map(_integer, entry.get("hashes") or []) if value is not None]
        return hashes, _integer(entry.get("count"))

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
        self.participants[str(chat_id)] = _compact(
            at=self._stamp,
            count=count,
            hashes=[str(value) for value in hashes] or None,
            top=top,
            admins_only=not listable or None,
        )

    # -- topics ------------------------------------------------------------------------

    def topics_due(self, chat_id: int, top_message: int | None) -> bool:
        """Whether a forum's topics must be listed again (new messages, or the period)."""
        entry = self.topics.get(str(chat_id))
        if not isinstance(entry, Mapping) or top_message is None:
            return True
        if top_message != _integer(entry.get("top")):
            return True
        return slot_passed(chat_id, _time(entry.get("at")), self.now, self.chat_period)

    def remember_topics(self, chat_id: int, top_message: int | None) -> None:
        """Keep when the topics were listed and the forum's newest message then."""
        self.topics[str(chat_id)] = _compact(at=self._stamp, top=top_message)

    # -- upkeep ------------------------------------------------------------------------

    def keep_only(self, chat_ids: Iterable[int]) -> None:
        """Forget chats that are no longer selected (STATE does not grow forever)."""
        keep = {str(chat_id) for chat_id in chat_ids}
        for table in (self.chats.get("full"), self.participants, self.topics):
            if isinstance(table, MutableMapping):
                for key in [key for key in table if key not in keep]:
                    del table[key]

    def _entry(self, memory: Memory, table: str, chat_id: int) -> Mapping[str, Any] | None:
        rows = memory.get(table)
        entry = rows.get(str(chat_id)) if isinstance(rows, Mapping) else None
        return entry if isinstance(entry, Mapping) else None


def _time(value: Any) -> dt.datetime | None:
    """A time from STATE (Unix seconds), ``None`` if missing or unreadable (hand-edited)."""
    seconds = _integer(value)
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _compact(**fields: Any) -> dict[str, Any]:
    """An entry without its empty fields: STATE is written often and grows with chats."""
    return {key: value for key, value in fields.items() if value is not None}


def _integer(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
