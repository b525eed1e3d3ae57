"""The sweep's plan: which chats a run re-reads, and how many requests each gets.

Kept apart from the reading (:mod:`.sweep`) because the order and the shares are the
sweep's guarantee, and they can be read and changed without a request in sight.

**Order.** With B the budget: chats marked for verification come first and take up to
``B - ⌊B/4⌋`` requests (all B when no other chat waits); what is left goes to every
chat, a pass under way before any new one, then by the start of its last pass, oldest
first: least recently verified first. Each chat gets the requests its pass still needs
(``⌈ids left / page_size⌉``; private chats and basic groups: ids of its index), until
the budget is spent. A chat
marked while a pass was under way starts a new pass (the old one began before the
mark). A chat whose last pass started at this run's time is not swept again.

**Guarantee.** A chat's pass started at time S reads every page after S, so once it
reaches its end every change made before S is delivered: ``changes_complete_until``
becomes S and a mark the pass started under is cleared. With P the sum over the
chats of ``⌈delivered range / 100⌉`` (private chats: delivered ids), every chat
completes a pass at least every ⌈P/B⌉ + 1 runs when no chat is marked, and every
⌈P/⌊B/4⌋⌉ + 1 runs when some are marked on every run; a marked chat of n messages,
the only one marked: within ⌈⌈n/100⌉/(B - ⌊B/4⌋)⌉ runs of its mark (⌈⌈n/100⌉/B⌉ when no
other chat needs re-checking).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from tap_telegram.settings import Settings
from tap_telegram.sources.lookback import TOMBSTONE_TYPES
from tap_telegram.sources.mtproto.changes import verify_marks
from tap_telegram.sources.mtproto.changes.capture import ACCOUNT_TYPES
from tap_telegram.sources.mtproto.history.sweep_state import (
    Partition,
    Pass,
    index_ids,
    read_pass,
)

#: Marked chats take at most all but 1/ROTATION_SHARE of a run's budget while others
#: wait: a chat marked on every run (a busy channel) cannot starve the rotation.
ROTATION_SHARE = 4
#: A chat as the run started: its id, ``type``, partition and bookmark (``None``: first
#: delivered in this run, nothing to re-check).
ChatStart = tuple[int, str | None, Partition, int | None]


@dataclasses.dataclass
class Turn:
    """One chat's share of this run: its pass (restarted or not) and its requests."""

    chat_id: int
    dense: bool
    position: Pass
    requests: int


def plan_turns(
    settings: Settings, chats: Iterable[ChatStart], *, budget: int, now: int, page_size: int
) -> dict[int, Turn]:
    """Share the run's budget: marked chats first, then the least recently verified.

    Returns each chat's turn by chat id (only chats given at least one request).
    """
    candidates: list[tuple[tuple[int, ...], Turn, int]] = []
    for chat_id, kind, partition, bookmark in chats:
        dense = kind in TOMBSTONE_TYPES
        if bookmark is None or not (dense or kind in ACCOUNT_TYPES):
            continue
        position = read_pass(settings, partition, bookmark)
        mark = verify_marks.marked(partition)
        if position.done and mark is None and position.since >= now:
            continue  # verified as of now: a new pass would tell nothing new
        # Least recently verified first: by when its current (or last) pass started.
        # A pass under way is finished first: at most one chat's pass is left
        # half-way by a run, and it is the next run's first.
        order = (
            0 if mark is not None else 1,
            int(mark or 0),
            1 if position.done else 0,
            position.since,
            chat_id,
        )
        if position.done or (mark is not None and position.reason == 0):
            position = dataclasses.replace(
                position,
                after=position.first - 1,
                end=bookmark,
                since=now,
                reason=int(mark or 0),
            )
        need = _need(partition, position, dense=dense, page_size=page_size)
        if need is None or need <= 0:
            continue
        candidates.append((order, Turn(chat_id, dense, position, 0), need))
    return _share(candidates, budget)


def _share(candidates: list[tuple[tuple[int, ...], Turn, int]], budget: int) -> dict[int, Turn]:
    """Marked chats first, then every chat by least recently verified.

    Marked chats take all but ``1/ROTATION_SHARE`` of the budget while others wait,
    so that marks never starve the rotation.
    """
    ordered = sorted(candidates, key=lambda item: item[0])
    unmarked = any(order[0] for order, _, _ in ordered)
    left = budget
    marked_left = left - (left // ROTATION_SHARE if unmarked else 0)
    for order, turn, need in ordered:
        if order[0] == 0 and marked_left > 0:
            turn.requests = min(marked_left, need)
            marked_left -= turn.requests
            left -= turn.requests
    for _, turn, need in sorted(ordered, key=lambda item: item[0][2:]):
        if left <= 0:
            break
        more = min(left, need - turn.requests)
        turn.requests += more
        left -= more
    return {turn.chat_id: turn for _, turn, _ in ordered if turn.requests}


def _need(partition: Partition, position: Pass, *, dense: bool, page_size: int) -> int | None:
    """Requests the pass still needs (an upper bound); ``None``: cannot sweep it."""
    if dense:
        return math.ceil(max(0, position.end - position.after) / page_size)
    ids = index_ids(partition)
    if ids is None:
        return None  # private chat without a delivered-id index: no tombstone possible
    left = sum(1 for i in ids if position.after < i <= position.end)
    return math.ceil(left / page_size)
