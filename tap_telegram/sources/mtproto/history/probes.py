"""Ids probed with one-message requests: the lookback window's start, a date's id.

``messages.getHistory`` positions a page at the newest message below ``offset_id``
and then moves ``add_offset`` messages towards older ones
(core.telegram.org/api/offsets), so the N-th newest message at or below the bookmark
is one request with ``add_offset = N - 1, limit = 1``, whatever the id gaps (private
chats and basic groups share one id counter per account; channels have deletions).
A date turns into an id with ``offset_date`` the same way. The stream then simply
reads the chat from that id on (:mod:`tap_telegram.sources.lookback`). A chat's newest
id needs no probe: the fetcher reads the newest page instead (:mod:`.history.fetch`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from tap_telegram.sources.fingerprints import MAX_WINDOW
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.history.reader import get_history
from tap_telegram.sources.mtproto.wire.calls import Caller


async def window_starts(
    caller: Caller,
    chats: Sequence[tuple[ResolvedChat, int]],
    *,
    messages: int,
    since: dt.datetime | None,
) -> list[int | BaseException]:
    """:func:`window_start` of every ``(chat, bookmark)``, concurrently, in order.

    A chat whose probe fails gets its exception in its place: the caller decides
    which failures skip a chat and which end the run.
    """
    return await asyncio.gather(
        *(
            window_start(caller, chat, bookmark, messages=messages, since=since)
            for chat, bookmark in chats
        ),
        return_exceptions=True,
    )


async def window_start(
    caller: Caller, chat: ResolvedChat, bookmark: int, *, messages: int, since: dt.datetime | None
) -> int:
    """Id after which the window starts.

    The window holds the newest ``messages`` messages at or below ``bookmark`` and
    those dated ``since`` or later, at most :data:`~tap_telegram.sources.fingerprints.MAX_WINDOW`
    of them.
    """
    starts = []
    by_count = None
    if messages:
        by_count = await _nth_newest_start(caller, chat, bookmark, min(messages, MAX_WINDOW))
        starts.append(by_count)
    if since is not None:
        starts.append(await last_id_before(caller, chat, since))
    start = min(starts, default=bookmark)
    if since is not None:  # a busy chat's days can hold more than the cap
        cap = by_count if messages >= MAX_WINDOW else None
        if cap is None:
            cap = await _nth_newest_start(caller, chat, bookmark, MAX_WINDOW)
        start = max(start, cap)
    return min(start, bookmark)


async def _nth_newest_start(caller: Caller, chat: ResolvedChat, bookmark: int, n: int) -> int:
    """One less than the id of the ``n``-th newest message at or below ``bookmark``.

    0 when the chat has fewer messages: the window is the whole chat.
    """
    response = await get_history(caller, chat, offset_id=bookmark + 1, add_offset=n - 1)
    ids = [message.id for message in response.messages if message.id <= bookmark]
    return min(ids) - 1 if ids else 0


async def last_id_before(caller: Caller, chat: ResolvedChat, since: dt.datetime) -> int:
    """Id of the newest message older than ``since`` (0 if none): turns a date into an id."""
    response = await get_history(caller, chat, offset_date=since)
    ids = [message.id for message in response.messages if message.date < since]
    return max(ids, default=0)
