"""Run counters: per chat in STATE (next to the bookmark), as SDK metrics, and one summary line.

The bookmark says where a chat resumes; the counters say how the runs went, the
checkpoint metadata a hand-written ETL keeps in its ``checkpoint.json`` (total processed,
rate-limit hits, last run). They live under ``"stats"`` in the chat's partition of the
``messages`` stream::

    {"context": {"chat_id": -1001234567890}, "replication_key": "id",
     "replication_key_value": 48213,
     "stats": {"total_processed": 48213, "rate_limit_hits": 3, "rate_limit_seconds": 41,
               "requests": 489, "runs": 7, "last_run": "2024-06-01T03:00:12+00:00",
               "last_run_processed": 120, "last_run_seconds": 2,
               "messages_per_second": 60}}

The SDK keeps extra keys of a partition's state (it only rewrites its own markers), so
they survive every STATE message and come back with ``--state``. The request and
flood-wait counts come from the source (``Source.call_stats``: the MTProto request
policy counts them); the message counts from what the stream emitted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from singer_sdk import metrics

#: Key of the counters in a partition's state.
STATS_KEY = "stats"


class TelegramMetric(str, enum.Enum):
    """Metric names the tap adds to the SDK's (``METRIC: {...}`` log lines)."""

    REQUEST_COUNT = "telegram_request_count"
    FLOOD_WAIT_COUNT = "telegram_flood_wait_count"
    FLOOD_WAIT_SECONDS = "telegram_flood_wait_seconds"
    MESSAGES_PER_SECOND = "telegram_messages_per_second"


@dataclasses.dataclass
class ChatRun:
    """One chat in this run: when it started and how many messages were emitted."""

    started_at: dt.datetime = dataclasses.field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    )
    started: float = dataclasses.field(default_factory=time.monotonic)
    messages: int = 0
    #: Edited messages emitted again, and tombstones, from the update log (``track_changes``).
    edits: int = 0
    deletions: int = 0

    @property
    def seconds(self) -> float:
        """Wall time since the chat started."""
        return time.monotonic() - self.started

    def stats(
        self, previous: Mapping[str, Any] | None, calls: Mapping[str, float]
    ) -> dict[str, int | str]:
        """The ``stats`` of the partition: ``previous`` totals plus this run so far.

        Integers and strings only: SDK-based targets (target-postgres) parse numbers in
        STATE as ``Decimal`` and then fail to serialize a float back (found end to end).
        """
        before = previous if isinstance(previous, Mapping) else {}
        seconds = self.seconds
        changes = {
            "edits": _count(before, "edits") + self.edits,
            "deletions": _count(before, "deletions") + self.deletions,
            "last_run_edits": self.edits,
            "last_run_deletions": self.deletions,
        }
        return {
            "total_processed": _count(before, "total_processed") + self.messages,
            "rate_limit_hits": _count(before, "rate_limit_hits") + int(calls.get("flood_waits", 0)),
            "rate_limit_seconds": _count(before, "rate_limit_seconds")
            + round(calls.get("flood_seconds", 0)),
            "requests": _count(before, "requests") + int(calls.get("requests", 0)),
            "runs": _count(before, "runs") + 1,
            "last_run": self.started_at.isoformat(),
            "last_run_processed": self.messages,
            "last_run_seconds": round(seconds),
            "messages_per_second": round(self.messages / seconds) if seconds > 0 else 0,
            # Only when there were any (STATE carries every chat's stats, every time).
            **{key: value for key, value in changes.items() if value},
        }


@dataclasses.dataclass
class ChatProgress:
    """One chat in this run as its STATE partition sees it: earlier totals plus this run."""

    #: The chat's partition of the ``messages`` stream state (the SDK's dict, in place).
    partition: dict[str, Any]
    run: ChatRun = dataclasses.field(default_factory=ChatRun)

    def __post_init__(self) -> None:
        #: The totals of earlier runs, as the incoming STATE had them.
        self.previous: Any = self.partition.get(STATS_KEY)

    def save(self, calls: Mapping[str, float]) -> None:
        """Put the counters so far (``calls``: the source's request counts) into STATE."""
        self.partition[STATS_KEY] = self.run.stats(self.previous, calls)


def _count(stats: Mapping[str, Any], key: str) -> int:
    """A counter of earlier runs; 0 if missing or not a number (a hand-edited STATE)."""
    try:
        return int(float(stats.get(key, 0)))
    except (TypeError, ValueError):
        return 0


def emit_metrics(tags: Mapping[str, Any], run: ChatRun, calls: Mapping[str, float]) -> None:
    """The chat's counters as SDK metric points (``METRIC:`` lines on the metrics logger)."""
    logger = metrics.get_metrics_logger()
    points = (
        ("counter", TelegramMetric.REQUEST_COUNT, int(calls.get("requests", 0))),
        ("counter", TelegramMetric.FLOOD_WAIT_COUNT, int(calls.get("flood_waits", 0))),
        ("counter", TelegramMetric.FLOOD_WAIT_SECONDS, float(calls.get("flood_seconds", 0))),
        (
            "gauge",
            TelegramMetric.MESSAGES_PER_SECOND,
            round(run.messages / run.seconds, 1) if run.seconds > 0 else 0.0,
        ),
    )
    for kind, metric, value in points:
        # The SDK's Point only needs ``metric.value``; its type names the SDK's own enum.
        point: metrics.Point[Any] = metrics.Point(
            kind, cast("metrics.Metric", metric), value, dict(tags)
        )
        metrics.log(logger, point)


@dataclasses.dataclass
class RunSummary:
    """Totals of one run for the final summary line."""

    started: float = dataclasses.field(default_factory=time.monotonic)
    messages: int = 0
    chats: int = 0
    edits: int = 0
    deletions: int = 0
    #: A line on what the update logs cost (``track_changes``), when they were read.
    changes: Callable[[], str] | None = None

    def add_chat(self, run: ChatRun) -> None:
        """Count a finished (or failed) chat."""
        self.chats += 1
        self.messages += run.messages
        self.edits += run.edits
        self.deletions += run.deletions

    def line(self, calls: Mapping[str, float], failed: int) -> str:
        """``run summary: ...`` (one line, no secrets: only counts)."""
        seconds = time.monotonic() - self.started
        rate = self.messages / seconds if seconds > 0 else 0.0
        return (
            f"run summary: {self.messages} messages from {self.chats} chats in {seconds:.1f} s "
            f"({rate:.0f} msg/s), {int(calls.get('requests', 0))} requests, "
            f"{int(calls.get('flood_waits', 0))} flood waits "
            f"({float(calls.get('flood_seconds', 0)):.0f} s waited), {failed} chats failed"
            + (
                f"; {self.edits} edits, {self.deletions} deletions ({self.changes()})"
                if self.changes is not None
                else ""
            )
        )

    def log(self, logger: logging.Logger, calls: Mapping[str, float], failed: int) -> None:
        """Log the summary line at INFO."""
        logger.info("%s", self.line(calls, failed))
