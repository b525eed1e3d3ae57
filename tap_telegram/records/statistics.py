"""Records of Telegram's channel and supergroup statistics: dated snapshots and graph rows.

Three streams, because the answers have three shapes:

* ``channel_stats``: one snapshot per broadcast channel and day (key ``[chat_id, date]``):
  followers, views/shares/reactions per post and per story (each now and for the
  previous period), the share of followers with notifications on, recent posts'
  counters;
* ``group_stats``: one snapshot per supergroup and day: members, messages, viewers,
  posters (now and previous), and the top posters, admins and inviters;
* ``stats_graphs``: every point of every graph as a row (key ``[chat_id, message_id,
  graph, x, series]``; ``message_id`` 0 for the chat's graphs, the post's id for the
  ``views`` / ``reactions_by_emotion`` graphs of its newest posts with ``stats_posts``):
  ``graph`` is the graph's name (``growth``, ``followers``, ``languages``,
  ``top_hours``, ...), ``x`` the point's x value (UTC midnight in milliseconds for the
  daily graphs), ``date`` that instant, ``series`` Telegram's column (``y0``, ``y1``...),
  ``series_name`` its label (``Joined``, ``English``...), ``value`` the number.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, cast

from singer_sdk import typing as th

#: Kinds of snapshot (``ChatStatistics.kind``): a broadcast channel's, a supergroup's.
CHANNEL_SNAPSHOT, GROUP_SNAPSHOT = "channel", "group"
#: ``chats.type`` of the chats that may have statistics -> the kind of their snapshot.
SNAPSHOT_KINDS = {"channel": CHANNEL_SNAPSHOT, "supergroup": GROUP_SNAPSHOT}

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ChannelStatsRecord,
        GroupStatsRecord,
        StatsGraphRecord,
    )

#: Values Telegram gives "now and for the previous period" (``statsAbsValueAndPrev``).
CHANNEL_COUNTERS = (
    "followers",
    "views_per_post",
    "shares_per_post",
    "reactions_per_post",
    "views_per_story",
    "shares_per_story",
    "reactions_per_story",
)
GROUP_COUNTERS = ("members", "messages", "viewers", "posters")


def _snapshot(counters: tuple[str, ...], *extra: th.Property[Any]) -> dict[str, Any]:
    """A snapshot schema: keys, the period, each counter now and previous, then ``extra``."""
    properties = [
        th.Property("chat_id", th.IntegerType, required=True, description="Marked chat id."),
        th.Property(
            "date", th.DateTimeType, required=True, description="End of the period (UTC day)."
        ),
        th.Property("period_start", th.DateTimeType, description="Start of the period."),
    ]
    for name in counters:
        properties.append(th.Property(name, th.NumberType, description="Over the period."))
        properties.append(
            th.Property(f"{name}_previous", th.NumberType, description="The period before.")
        )
    return th.PropertiesList(*properties, *extra).to_dict()


def _people(*fields: str) -> th.ArrayType[th.ObjectType]:
    """A list of users with integer counters."""
    return th.ArrayType(
        th.ObjectType(
            th.Property("user_id", th.IntegerType),
            *(th.Property(field, th.IntegerType) for field in fields),
        )
    )


CHANNEL_STATS_SCHEMA = _snapshot(
    CHANNEL_COUNTERS,
    th.Property(
        "enabled_notifications_percent",
        th.NumberType,
        description="Followers with notifications on, in percent.",
    ),
    th.Property(
        "recent_posts",
        th.ArrayType(
            th.ObjectType(
                th.Property("msg_id", th.IntegerType),
                th.Property("story_id", th.IntegerType),
                th.Property("views", th.IntegerType),
                th.Property("forwards", th.IntegerType),
                th.Property("reactions", th.IntegerType),
            )
        ),
        description="Interactions of the latest posts and stories.",
    ),
)

GROUP_STATS_SCHEMA = _snapshot(
    GROUP_COUNTERS,
    th.Property("top_posters", _people("messages", "avg_chars")),
    th.Property("top_admins", _people("deleted", "kicked", "banned")),
    th.Property("top_inviters", _people("invitations")),
)

STATS_GRAPH_SCHEMA = th.PropertiesList(
    th.Property("chat_id", th.IntegerType, required=True, description="Marked chat id."),
    th.Property(
        "message_id",
        th.IntegerType,
        required=True,
        description="The post of a post's graph (stats_posts); 0 for the chat's graphs.",
    ),
    th.Property("graph", th.StringType, required=True, description="growth, followers, ..."),
    th.Property("x", th.IntegerType, required=True, description="The point's x value."),
    th.Property("series", th.StringType, required=True, description="Telegram's column: y0, y1."),
    th.Property(
        "date",
        th.DateTimeType,
        description="x as a UTC instant (daily graphs); else the snapshot's date.",
    ),
    th.Property("series_name", th.StringType, description="The series' label."),
    th.Property("series_type", th.StringType, description="line, bar, area or step."),
    th.Property("value", th.NumberType),
).to_dict()


# The empty records below are built from the schemas, whose keys are the TypedDicts'
# (tests/records/test_types.py): every key present, in the schema's order.


def empty_channel_stats(chat_id: int) -> ChannelStatsRecord:
    """A ``channel_stats`` record with every key present, ``None`` but ``chat_id``."""
    record = cast("ChannelStatsRecord", dict.fromkeys(CHANNEL_STATS_SCHEMA["properties"]))
    record["chat_id"] = chat_id
    return record


def empty_group_stats(chat_id: int) -> GroupStatsRecord:
    """A ``group_stats`` record with every key present, ``None`` but ``chat_id``."""
    record = cast("GroupStatsRecord", dict.fromkeys(GROUP_STATS_SCHEMA["properties"]))
    record["chat_id"] = chat_id
    return record


def empty_graph_row(chat_id: int, message_id: int, graph: str) -> StatsGraphRecord:
    """A ``stats_graphs`` row with every key present, ``None`` but the given ones."""
    record = cast("StatsGraphRecord", dict.fromkeys(STATS_GRAPH_SCHEMA["properties"]))
    record.update({"chat_id": chat_id, "message_id": message_id, "graph": graph})
    return record


def counters_of(
    record: ChannelStatsRecord | GroupStatsRecord,
) -> MutableMapping[str, float | None]:
    """A snapshot's counters by name (``followers``, ``followers_previous``, ...).

    The names are data (:data:`CHANNEL_COUNTERS`, :data:`GROUP_COUNTERS`), the same
    tuples the schemas are built from; a TypedDict takes only literal keys, so the
    mapper writes counters through this view of the same dict.
    """
    return cast("MutableMapping[str, float | None]", record)
