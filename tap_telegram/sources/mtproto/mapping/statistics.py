"""``stats.broadcastStats`` / ``stats.megagroupStats`` → snapshot records and graph rows.

A graph's JSON (``statsGraph.json.data``) is Telegram's chart format: ``columns`` is a
list of columns, each ``[label, value, value, ...]``; the column whose ``types`` entry
is ``"x"`` holds the x values (UTC midnights in milliseconds for daily graphs), every
other column is a series with its label in ``names`` and its kind in ``types``. Each
(x, series) point becomes one ``stats_graphs`` row. ``zoom_token`` is ignored (the
zoomed-in hourly view of one day is not replicated); async graphs are loaded before
they get here (:mod:`..admin.statistics`); error graphs have no rows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tap_telegram.records.constants import UTC
from tap_telegram.records.statistics import (
    CHANNEL_COUNTERS,
    GROUP_COUNTERS,
    counters_of,
    empty_channel_stats,
    empty_graph_row,
    empty_group_stats,
)
from tap_telegram.sources.mtproto.mapping.messages import utc

if TYPE_CHECKING:
    from tap_telegram.records.types import ChannelStatsRecord, GroupStatsRecord, StatsGraphRecord

#: x values at or above this are millisecond timestamps (after 1973); below, plain numbers.
MS_TIMESTAMPS = 10**11


def graph_names(stats: Any) -> list[str]:
    """Names of the graphs of a statistics answer (``growth``, ``followers``...), in TL order."""
    return [key.removesuffix("_graph") for key in stats.to_dict() if key.endswith("_graph")]


def graph_rows(chat_id: int, name: str, graph: Any, message_id: int = 0) -> list[StatsGraphRecord]:
    """One row per point of a loaded graph (``[]`` for an async or error graph).

    ``message_id``: the post a post's graph belongs to; 0 for the chat's own graphs.
    """
    if not isinstance(graph, types.StatsGraph):
        return []
    data = json.loads(graph.json.data)
    kinds: dict[str, str] = data.get("types") or {}
    names: dict[str, str] = data.get("names") or {}
    columns = [column for column in data.get("columns") or [] if column]
    xs = next((c[1:] for c in columns if kinds.get(c[0]) == "x" or c[0] == "x"), None)
    if xs is None:
        return []
    rows: list[StatsGraphRecord] = []
    for column in columns:
        label = column[0]
        if label == "x" or kinds.get(label) == "x":
            continue
        for x, value in zip(xs, column[1:], strict=False):
            row = empty_graph_row(chat_id, message_id, name)
            row.update(
                {
                    "x": int(x),
                    "series": label,
                    "date": _instant(int(x)),
                    "series_name": names.get(label),
                    "series_type": kinds.get(label),
                    "value": value,
                }
            )
            rows.append(row)
    return rows


def _instant(x: int) -> dt.datetime | None:
    """A millisecond timestamp as an aware datetime; ``None`` for other x values."""
    if x < MS_TIMESTAMPS:
        return None
    return dt.datetime.fromtimestamp(x / 1000, UTC)


def channel_snapshot(chat_id: int, stats: Any) -> ChannelStatsRecord:
    """A ``channel_stats`` record."""
    record = empty_channel_stats(chat_id)
    _period(record, CHANNEL_COUNTERS, stats)
    share = stats.enabled_notifications
    if share is not None and share.total:
        record["enabled_notifications_percent"] = round(100.0 * share.part / share.total, 4)
    record["recent_posts"] = [
        {
            "msg_id": getattr(post, "msg_id", None),
            "story_id": getattr(post, "story_id", None),
            "views": post.views,
            "forwards": post.forwards,
            "reactions": post.reactions,
        }
        for post in stats.recent_posts_interactions or []
    ]
    return record


def group_snapshot(chat_id: int, stats: Any) -> GroupStatsRecord:
    """A ``group_stats`` record with its top posters, admins and inviters."""
    record = empty_group_stats(chat_id)
    _period(record, GROUP_COUNTERS, stats)
    record["top_posters"] = [
        {"user_id": p.user_id, "messages": p.messages, "avg_chars": p.avg_chars}
        for p in stats.top_posters
    ]
    record["top_admins"] = [
        {"user_id": a.user_id, "deleted": a.deleted, "kicked": a.kicked, "banned": a.banned}
        for a in stats.top_admins
    ]
    record["top_inviters"] = [
        {"user_id": i.user_id, "invitations": i.invitations} for i in stats.top_inviters
    ]
    return record


def _period(
    record: ChannelStatsRecord | GroupStatsRecord, counters: tuple[str, ...], stats: Any
) -> None:
    """Fill the period and the now/previous counters every snapshot has."""
    record["date"] = utc(stats.period.max_date)
    record["period_start"] = utc(stats.period.min_date)
    values = counters_of(record)
    for name in counters:
        value = getattr(stats, name, None)
        if isinstance(value, types.StatsAbsValueAndPrev):
            values[name] = value.current
            values[f"{name}_previous"] = value.previous
