"""When STATE is written: at a bounded cadence, by records and by time, never per page.

Each STATE message holds every chat's bookmark and what the source keeps per chat, so
it grows with the chats; written after every page and chat it made STATE 94-98 % of a
run's output (a first run over 2,000 dialogs: 1,031 MB of STATE for 61 MB of records,
issue 26). The streams now ask :meth:`StateCadence.due` at the points where STATE may
be written (between two pages of a chat's history, at a chat's end); it is written
there only when

* :data:`STATE_EVERY_RECORDS` records, and at least one record per
  :data:`STATE_BYTES_PER_RECORD` bytes of the last STATE, were written since the last
  one (a STATE of 2 MB, 10,000 chats, waits for 100,000 records), or
* :data:`STATE_EVERY_SECONDS` passed since the last one (a slow, flood-limited run).

Always, whatever the cadence: at the end of every stream (the SDK's), when a chat
fails (:meth:`~tap_telegram.singer.sdk_private.SdkStream.write_state_if_changed`), and
before the tap exits on SIGTERM/SIGINT (the SDK's termination handler). A STATE never
covers a record not yet written: it is written between records, after the records the
state in memory covers. A kill (``kill -9``, a power cut) loses at most the records
written since the last STATE: the next run reads them again (delivery is at least
once; targets deduplicate by primary key).
"""

from __future__ import annotations

import dataclasses
import time

#: Records after which a STATE is due by default (the SDK's own ``STATE_MSG_FREQUENCY``;
#: the ``state_every_records`` setting).
STATE_EVERY_RECORDS = 10_000
#: At least one record per this many bytes of the last STATE before the next is due:
#: STATE stays about 2 % of RECORD bytes (records of ~1 KB) however many chats it holds.
STATE_BYTES_PER_RECORD = 20
#: Seconds after which a STATE is due even if fewer records were written, by default
#: (the ``state_every_seconds`` setting).
STATE_EVERY_SECONDS = 300.0


@dataclasses.dataclass
class StateCadence:
    """Counts records and STATE writes of one run; says when the next STATE is due.

    The tap sets the limits from its settings as the run starts (:meth:`start`).
    """

    every_records: int = STATE_EVERY_RECORDS
    bytes_per_record: int = STATE_BYTES_PER_RECORD
    every_seconds: float = STATE_EVERY_SECONDS
    #: Records handed to the SDK since the last STATE.
    records: int = 0
    #: Bytes of the last STATE line (0 before the first).
    last_bytes: int = 0
    #: When the last STATE was written (or the run started).
    last_written: float = dataclasses.field(default_factory=time.monotonic)
    #: STATE messages written in this run.
    written: int = 0

    def start(self, *, every_records: int, every_seconds: float) -> None:
        """A run begins with these limits: nothing written or counted yet."""
        self.every_records, self.every_seconds = every_records, every_seconds
        self.records, self.last_bytes, self.written = 0, 0, 0
        self.last_written = time.monotonic()

    def count(self, records: int = 1) -> None:
        """Note records handed to the SDK (written, or waiting for their batch file)."""
        self.records += records

    def wrote(self, size: int) -> None:
        """Note a STATE message of ``size`` bytes just written."""
        self.records = 0
        self.last_bytes = size
        self.last_written = time.monotonic()
        self.written += 1

    def due(self) -> bool:
        """Whether the next STATE should be written now (the module docstring's rules)."""
        threshold = max(self.every_records, self.last_bytes // max(1, self.bytes_per_record))
        if self.records >= threshold:
            return True
        return time.monotonic() - self.last_written >= self.every_seconds
