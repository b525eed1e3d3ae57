"""What one page of the sweep proves: the edits and tombstones the update logs missed.

A pure comparison of one ``getHistory`` answer with what the chat delivered, kept apart
from the reading (:mod:`.sweep`) and from STATE (:mod:`.sweep_state`) so that the rules
for what counts as an edit and what may become a tombstone stand in one place:

* an **edit**: a message whose ``edit_date`` is at or after the start of the chat's
  last complete pass (``changes_complete_until``; none yet: every edited message, once);
* a **tombstone** for a delivered id that is gone. Channels and supergroups (dense
  ids): an id inside the delivered range, missing from the answer, that is not among
  the chat's known-missing ids (``sweep_gaps``: ids never delivered, noted as the
  history delivered the ids around them, and ids already tombstoned). Private chats
  and basic groups: an id of the chat's delivered-id index (:mod:`..changes.id_index`)
  missing from the answer. An id the tap never delivered never gets one.
"""

from __future__ import annotations

import bisect
import dataclasses
from typing import Any

from telethon.tl import types

from tap_telegram.sources.mtproto.history.sweep_state import Pass


@dataclasses.dataclass
class Checked:
    """What one sweep page proved about ``(after, covered]``."""

    covered: int
    edited: list[Any]
    #: Delivered ids gone now (tombstones), and every id now known missing.
    gone: list[int]
    missing: set[int]


def check_page(
    position: Pass, answer: Any, gaps: set[int], index: list[int] | None, *, page_size: int
) -> Checked:
    """Compare one answer with what the chat delivered (pure: see the module docstring).

    ``index`` is a private chat's or basic group's delivered ids (``None``: dense ids).
    The answer holds the oldest ``page_size`` messages above ``position.after``: it
    covers up to its newest id, or to the pass's end when nothing newer came back.
    """
    messages = [m for m in answer.messages if not isinstance(m, types.MessageEmpty)]
    present = {int(m.id) for m in messages}
    above = [i for i in present if i > position.after]
    full = len(messages) >= page_size and above
    covered = min(max(above), position.end) if full else position.end
    low = position.after
    edited = [
        m
        for m in messages
        if low < m.id <= covered
        and m.id >= position.first
        and m.id not in gaps
        and (index is None or _has(index, int(m.id)))
        and m.edit_date is not None
        and (position.complete is None or m.edit_date.timestamp() >= position.complete)
    ]
    gone: list[int] = []
    missing: set[int] = set()
    if index is None:
        for message_id in range(max(low + 1, position.first), covered + 1):
            if message_id in present or message_id in gaps:
                continue
            missing.add(message_id)
            if message_id >= position.known:
                gone.append(message_id)
    else:
        start = bisect.bisect_right(index, low)
        for message_id in index[start : bisect.bisect_right(index, covered)]:
            if message_id >= position.first and not (message_id in present or message_id in gaps):
                gone.append(message_id)
                missing.add(message_id)
    return Checked(covered, edited, gone, missing)


def _has(index: list[int], message_id: int) -> bool:
    i = bisect.bisect_left(index, message_id)
    return i < len(index) and index[i] == message_id
