"""When an update log cannot be read: what it costs (that box's changes, this run) and no more.

Change capture reads every log before any history (:mod:`.changes.reader`). A log that
fails there must never cost a chat its new messages, and never lose a change:

* **A failed read** (a server error after Telethon's retries, a FLOOD_WAIT above
  ``max_flood_wait``, a connection down past ``max_reconnect_seconds``) affects that
  box only, for this run: its position stays where it was (the next run reads the
  same changes), every chat's history is read as always, the run summary counts it.
  A consecutive-failure counter lives in STATE next to the position (a channel's
  ``log_failures`` in its partition, the account's ``account_log_failures`` next to
  ``account_log``: :mod:`tap_telegram.sources.state_keys`), reset once the log is read
  again. At :data:`FAILED_RUNS` runs in a row it is an error (:class:`LogFailedError`:
  exit 5, like a failed chat), not a warning: a log that never reads never delivers its
  edits and deletions.
* **A refused position** (:data:`REFUSALS`: PERSISTENT_TIMESTAMP_INVALID, an OUTDATED
  that persists, no access any more) is never silently replaced: the chat is marked
  for verification (:mod:`.changes.verify_marks`) and the new position is stored in the
  same commit as the mark, so the sweep re-reads what the log can no longer say.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from telethon import errors

from tap_telegram.errors import ChatError, ConnectionLostError, TapTelegramError
from tap_telegram.sources.mtproto.wire.errors import rpc_name

#: Runs in a row whose log failed before it is an error instead of a warning.
FAILED_RUNS = 3

#: Errors by which Telegram refuses a stored position for good (the request is fine,
#: the position is not): invalid or empty, outdated (after a retry), no access (403s,
#: a private channel: its log cannot be read from there any more).
REFUSALS: tuple[type[errors.RPCError], ...] = (
    errors.PersistentTimestampInvalidError,
    errors.PersistentTimestampEmptyError,
    errors.PersistentTimestampOutdatedError,
    errors.ChannelPrivateError,
    errors.ForbiddenError,
)
#: Raised while reading a log for a passing reason: the box's read failed, this run.
LOG_FAILURES: tuple[type[BaseException], ...] = (ChatError, ConnectionLostError)
#: An OUTDATED position is "try again later"; for some channels it never passes.
OUTDATED = "PERSISTENT_TIMESTAMP_OUTDATED"


class Refusal(Exception):  # noqa: N818 - an answer, not a failure
    """Telegram refused a stored log position (``rpc``: its error, ``CHANNEL_PRIVATE``)."""

    def __init__(self, rpc: str) -> None:
        super().__init__(rpc)
        self.rpc = rpc


#: Everything a log's read survives (the box's changes wait; the run goes on).
SURVIVED: tuple[type[BaseException], ...] = (Refusal, *LOG_FAILURES)


def refusal_of(exc: errors.RPCError) -> Refusal:
    """The refusal an RPC error of :data:`REFUSALS` means."""
    return Refusal(rpc_name(exc))


def problem_of(exc: BaseException) -> str:
    """What went wrong, without the chat (the log line names it)."""
    if isinstance(exc, ChatError):
        return exc.problem
    return str(exc)


class LogFailedError(ChatError):
    """A box's update log failed in :data:`FAILED_RUNS` runs in a row: an error of the run.

    A :class:`ChatError` (counted among the failed chats, exit 5), yet not the chat's:
    its ``chat`` names the log, so the chat's other streams are still read.
    """

    def __init__(self, where: str, problem: str) -> None:
        self.chat = where
        self.problem = problem
        TapTelegramError.__init__(self, f"{where}: {problem}")


def count(holder: MutableMapping[str, Any], key: str, *, failed: bool) -> int:
    """Count a failed read (``failed``) or reset the counter; the consecutive failures now."""
    if not failed:
        holder.pop(key, None)
        return 0
    before = holder.get(key)
    runs = (before if isinstance(before, int) and before > 0 else 0) + 1
    holder[key] = runs
    return runs


def failed_runs(holder: MutableMapping[str, Any], key: str) -> int:
    """Consecutive failed reads stored before this run."""
    before = holder.get(key)
    return before if isinstance(before, int) and before > 0 else 0


def failure_line(problem: str, runs: int) -> str:
    """The warning (or, at :data:`FAILED_RUNS`, the error) of a log that failed ``runs`` times."""
    if runs >= FAILED_RUNS:
        return (
            f"failed in {runs} runs in a row (now: {problem}); its edits and deletions since "
            "then are delivered only once it reads again: if Telegram's status is fine, check "
            "the account can still open the chats (and max_flood_wait), or set track_changes "
            "to false to stop reading update logs"
        )
    return (
        f"could not be read on this run ({problem}); messages are read as always and the "
        f"log's position stays, so the next run reads these changes (failed {runs} run(s) "
        f"in a row; an error at {FAILED_RUNS})"
    )


def refused_line(rpc: str, stored: int | None, *, hand_edited: bool, new: bool) -> str:
    """The warning of a position Telegram refused: what happened and what the tap does."""
    if hand_edited:
        why = "a position no run writes: STATE was edited by hand or comes from another account"
    elif rpc in {"CHANNEL_PRIVATE"} or "FORBIDDEN" in rpc:
        why = "the account may have lost access to the chat"
    elif rpc == OUTDATED:
        why = "Telegram could not serve it, again after a retry"
    else:
        why = "Telegram no longer serves its log from there"
    at = "" if stored is None else f" {stored}"
    then = (
        "the log is read from Telegram's current position on"
        if new
        else "its position stays until Telegram gives a new one"
    )
    return (
        f"Telegram refused the update-log position{at} stored in STATE ({rpc}: {why}); the "
        "chat is marked for verification: its edits and deletions since the last run will "
        f"be verified by re-reading its history, and {then}"
    )


def stalled(logger: logging.Logger, where: str, pts: int) -> None:
    """A slice that does not move the position ends the read (as tdlib does), in one line."""
    logger.warning(
        "%s: Telegram's update log answered a slice that does not advance past pts %d; "
        "the read stops there for this run (the next run asks again from there)",
        where,
        pts,
    )
