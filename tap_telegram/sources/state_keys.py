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
#: Key of the account's update-log position in the stream's STATE (``bookmarks.messages``).
ACCOUNT_KEY = "account_log"
#: Consecutive runs whose update-log read failed (:mod:`.mtproto.changes.failures`): a
#: channel's in its partition, the account's next to ``account_log``.
FAILS_KEY, ACCOUNT_FAILS_KEY = "log_failures", "account_log_failures"

#: Whole numbers of a partition, by key, with their bound (signed: a value Telegram
#: refuses restarts tracking with a log line; one it cannot carry is refused).
PARTITION_NUMBERS = {PTS_KEY: INT32, FIRST_KEY: INT64, VERIFY_KEY: INT32, FAILS_KEY: INT32}
#: Lists of strings of a partition (packed chunks, checked where they are unpacked).
PARTITION_STRING_LISTS = (INDEX_KEY,)
#: Positions in the stream's STATE: objects of 32-bit whole numbers, by key.
STREAM_POSITIONS = {ACCOUNT_KEY: ("pts", "qts", "date", "seq")}
#: Whole numbers of the stream's STATE, by key, with their bound.
STREAM_NUMBERS = {ACCOUNT_FAILS_KEY: INT32}
