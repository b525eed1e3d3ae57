"""Chats whose changes the update log cannot vouch for, marked in STATE for the sweep.

Telegram's update log misses changes in a few known ways: a channel's difference is
"too long" (more than ``limit`` events since the position), Telegram refuses a stored
position (PERSISTENT_TIMESTAMP_INVALID, a 403), or the log kept failing. None of these
may silently move the position past changes it never delivered. The chat's partition
gets a ``verify`` mark instead, naming why; the sweep re-reads marked chats first and
clears the mark once it has re-checked the chat's whole delivered range.

The mark is a small number in STATE (a reason code), so the STATE check at load can
hold a hand-edited value to a bound; :data:`REASONS` names each code for log lines.
"""

from __future__ import annotations

import enum
from collections.abc import MutableMapping
from typing import Any

from tap_telegram.sources.state_keys import VERIFY_KEY


class Reason(enum.IntEnum):
    """Why a chat's changes must be verified by re-reading its history."""

    #: The log answered "too long": changes older than its last ``limit`` events are gone.
    TOO_LONG = 1
    #: Telegram refused the stored position (invalid, outdated for good, or forbidden).
    REFUSED = 2
    #: Reading the chat's log failed on this run (the position stayed where it was).
    LOG_FAILED = 3


#: Log wording of each reason ("... changes will be verified by re-reading: <reason>").
REASONS = {
    Reason.TOO_LONG: "the update log was too long",
    Reason.REFUSED: "Telegram refused the stored log position",
    Reason.LOG_FAILED: "reading the update log failed",
}


def mark(partition: MutableMapping[str, Any], reason: Reason) -> bool:
    """Mark the chat for verification; whether STATE changed.

    A mark already there is kept when it is at least as severe (a lower code is kept,
    so the first cause stays named until the sweep clears it).
    """
    current = marked(partition)
    if current is not None and current <= reason:
        return False
    partition[VERIFY_KEY] = int(reason)
    return True


def marked(partition: MutableMapping[str, Any]) -> Reason | None:
    """The chat's mark, if any (an unknown code reads as :attr:`Reason.LOG_FAILED`)."""
    value = partition.get(VERIFY_KEY)
    if value is None:
        return None
    try:
        return Reason(value)
    except ValueError:
        return Reason.LOG_FAILED


def clear(partition: MutableMapping[str, Any]) -> bool:
    """Remove the mark (the sweep re-checked the whole chat); whether STATE changed."""
    return partition.pop(VERIFY_KEY, None) is not None
