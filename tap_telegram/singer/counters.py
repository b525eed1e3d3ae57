"""Run counters: SDK metrics per chat and one summary line per run, never in STATE.

What a chat's run cost (messages, edits, deletions, requests, flood waits, seconds) is
logged as SDK metric points (``METRIC: {...}`` lines, :func:`emit_metrics`, tagged with
the chat's context) and added up in the ``run summary:`` line (:class:`RunSummary`).

Before this release these counters also rode in STATE, under ``"stats"`` in every chat's
partition of the ``messages`` stream: 206 of the ~451 bytes a chat took in every STATE
message (issue 26). A STATE written by such a release still loads; its ``stats`` are
dropped as it is loaded (:func:`drop_legacy_stats`), so the STATE the run writes no
longer carries them. Totals across runs are the target's to add up from the metrics.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from singer_sdk import metrics

#: Key of the counters in a partition's state in earlier releases (dropped when a STATE loads).
LEGACY_STATS_KEY = "stats"


class TelegramMetric(str, enum.Enum):
    """Metric names the tap adds to the SDK's (``METRIC: {...}`` log lines)."""

    REQUEST_COUNT = "telegram_request_count"
    FLOOD_WAIT_COUNT = "telegram_flood_wait_count"
    FLOOD_WAIT_SECONDS = "telegram_flood_wait_seconds"
    MESSAGES_PER_SECOND = "telegram_messages_per_second"
    EDIT_COUNT = "telegram_edit_count"
    DELETION_COUNT = "telegram_deletion_count"


@dataclasses.dataclass
class ChatRun:
    """One chat in this run: when it started and how many messages were emitted."""

    started: float = dataclasses.field(default_factory=time.monotonic)
    messages: int = 0
    #: Edited messages emitted again, and tombstones, from the update log (``track_changes``).
    edits: int = 0
    deletions: int = 0

    @property
    def seconds(self) -> float:
        """Wall time since the chat started."""
        return time.monotonic() - self.started


def drop_legacy_stats(state: Mapping[str, Any]) -> None:
    """Remove the per-chat ``stats`` of a STATE from an earlier release (module docstring)."""
    for stream_state in (state.get("bookmarks") or {}).values():
        if not isinstance(stream_state, dict):
            continue
        for partition in stream_state.get("partitions") or []:
            if isinstance(partition, dict):
                partition.pop(LEGACY_STATS_KEY, None)


def emit_metrics(tags: Mapping[str, Any], run: ChatRun, calls: Mapping[str, float]) -> None:
    """The chat's counters as SDK metric points (``METRIC:`` lines on the metrics logger)."""
    logger = metrics.get_metrics_logger()
    points: list[tuple[str, TelegramMetric, float]] = [
        ("counter", TelegramMetric.REQUEST_COUNT, int(calls.get("requests", 0))),
        ("counter", TelegramMetric.FLOOD_WAIT_COUNT, int(calls.get("flood_waits", 0))),
        ("counter", TelegramMetric.FLOOD_WAIT_SECONDS, float(calls.get("flood_seconds", 0))),
        (
            "gauge",
            TelegramMetric.MESSAGES_PER_SECOND,
            round(run.messages / run.seconds, 1) if run.seconds > 0 else 0.0,
        ),
    ]
    # Edits and deletions only where there were any (``track_changes``).
    if run.edits:
        points.append(("counter", TelegramMetric.EDIT_COUNT, run.edits))
    if run.deletions:
        points.append(("counter", TelegramMetric.DELETION_COUNT, run.deletions))
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
