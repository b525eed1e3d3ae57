"""The keys sources keep in the ``messages`` STATE, declared with their shapes.

Sources that remember something per chat or per run next to the bookmarks (change
capture's log positions and delivered ids, :mod:`tap_telegram.sources.mtproto.changes.capture`)
name their keys here, with the shape every run writes, so that the STATE check at
load (:mod:`tap_telegram.singer.state_check`) holds a hand-edited STATE to them
without knowing what they mean.
"""

from __future__ import annotations

#: Bounds of a 64-bit (bookmark, first id) and of a 32-bit (Telegram's ``int``) value.
INT64 = 1 << 63
INT32 = 1 << 31

#: Keys of a chat's partition: the channel's update-log position, its first delivered
#: id and (private chats, basic groups) the ids it delivered.
PTS_KEY, FIRST_KEY, INDEX_KEY = "pts", "first_id", "delivered_ids"
#: Key of a chat's verification mark (:mod:`tap_telegram.sources.mtproto.changes.verify_marks`):
#: a reason code, set when the update log cannot vouch for the chat's changes.
VERIFY_KEY = "verify"
#: Keys of a chat's sweep (:mod:`tap_telegram.sources.mtproto.history.sweep_state`): the id
#: after which its current pass goes on, the pass's last id, when it started (unix seconds),
#: the verification mark it started under (0: none), the id from which the chat's
#: missing ids are known (below it the first pass learns them), the time up to which
#: the chat's changes are known complete (unix seconds), and its known-missing ids.
SWEEP_AFTER, SWEEP_END, SWEEP_SINCE, SWEEP_REASON = (
    "sweep_after",
    "sweep_end",
    "sweep_since",
    "sweep_reason",
)
SWEEP_KNOWN, COMPLETE_KEY, GAPS_KEY = "sweep_known", "changes_complete_until", "sweep_gaps"
#: Key of the account's update-log position in the stream's STATE (``bookmarks.messages``).
ACCOUNT_KEY = "account_log"
#: Consecutive runs whose update-log read failed (:mod:`.mtproto.changes.failures`): a
#: channel's in its partition, the account's next to ``account_log``.
FAILS_KEY, ACCOUNT_FAILS_KEY = "log_failures", "account_log_failures"

#: Whole numbers of a partition, by key, with their bound (signed: a value Telegram
#: refuses restarts tracking with a log line; one it cannot carry is refused).
PARTITION_NUMBERS = {
    PTS_KEY: INT32,
    FIRST_KEY: INT64,
    VERIFY_KEY: INT32,
    FAILS_KEY: INT32,
    SWEEP_AFTER: INT64,
    SWEEP_END: INT64,
    SWEEP_SINCE: INT64,
    SWEEP_REASON: INT32,
    SWEEP_KNOWN: INT64,
    COMPLETE_KEY: INT64,
}
#: Lists of strings of a partition (packed chunks, checked where they are unpacked).
PARTITION_STRING_LISTS = (INDEX_KEY, GAPS_KEY)
#: Positions in the stream's STATE: objects of 32-bit whole numbers, by key.
STREAM_POSITIONS = {ACCOUNT_KEY: ("pts", "qts", "date", "seq")}
#: Whole numbers of the stream's STATE, by key, with their bound.
STREAM_NUMBERS = {ACCOUNT_FAILS_KEY: INT32}

#: Key of the methods' learned budgets in the source's memory (``bookmarks.chats.memory``):
#: per request class ``[requests, window in ms, learned at in Unix seconds]``, only for
#: methods that drew a FLOOD_WAIT in the last week (:mod:`tap_telegram.sources.mtproto.wire.rate`).
PACE_KEY = "pace"
#: The same for runs with ``use_takeout``: Telegram gives requests wrapped in a takeout
#: (data export) session other limits, so what a takeout run learns is kept apart and
#: neither kind of run is paced by the other's budgets.
PACE_TAKEOUT_KEY = "pace_takeout"
