"""Channel and supergroup statistics of the fake: the numbers, the graphs, the statistics DC.

What Telegram documents (core.telegram.org/api/stats, /method/stats.getBroadcastStats,
/method/stats.getMegagroupStats, /method/stats.loadAsyncGraph, /type/StatsGraph;
Telethon's ``TelegramClient.get_stats``):

* only admins of a channel (``stats.getBroadcastStats``) or supergroup
  (``stats.getMegagroupStats``) with enough members get statistics: the wrong kind
  answers BROADCAST_REQUIRED / MEGAGROUP_REQUIRED, a non-admin or a chat too small
  CHAT_ADMIN_REQUIRED (Telethon: "if there are not enough members (poorly named)
  errors such as ChatAdminRequiredError"); ``channelFull.can_view_stats`` says
  whether they exist and ``channelFull.stats_dc`` where;
* they must be fetched from the statistics DC: elsewhere the answer is
  ``STATS_MIGRATE_X`` and the client sends the request again on a sender borrowed for
  DC X (``_borrow_exported_sender``: ``auth.exportAuthorization`` on the home DC,
  ``auth.importAuthorization`` on DC X);
* a graph is ``statsGraph`` (JSON in ``DataJSON``: ``columns`` whose first column is
  ``["x", <UTC midnights in milliseconds>...]`` and the others ``["y0", values...]``,
  ``types`` (``x``, ``line``, ``bar``, ``area``, ``step``), ``names`` (series labels),
  ``colors``; an optional ``zoom_token``), ``statsGraphAsync`` (a token to load with
  ``stats.loadAsyncGraph``) or ``statsGraphError`` (a message to show instead);
  ``loadAsyncGraph`` answers GRAPH_INVALID_RELOAD for a token it does not know.

Modelled here: ``chat.stats`` (:class:`~.records.StatsSetup`, set with
:func:`enable_stats`) holds the DC, the period in days and which graphs are async or
errors; every number is computed from the chat's salt and the day, so two fetches on one
day agree and the next day adds a point. The borrowed sender is a
:class:`~.sender.FakeSender` that tells the server which DC it talks to
(:func:`install_borrowing`). ``stats.getMessageStats`` (a post's views and reactions graphs) answers like
``getBroadcastStats`` (channels only, the statistics DC; MSG_ID_INVALID for a post that
does not exist). Assumed (not documented): ``loadAsyncGraph`` on a DC other than the
statistics DC also answers STATS_MIGRATE.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from telethon import TelegramClient, functions
from telethon.tl import types
from telethon.tl.alltlobjects import LAYER

from tests.fake_telegram.hashing import UTC, mix
from tests.fake_telegram.records import ChatRecord, StatsSetup
from tests.fake_telegram.sender import FakeSender
from tests.fake_telegram.world import ChatRef, World

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram

#: Series of each graph: (label, type). Labels are what Telegram's apps show.
BROADCAST_GRAPHS: dict[str, tuple[tuple[str, str], ...]] = {
    "growth": (("Total followers", "line"),),
    "followers": (("Joined", "line"), ("Left", "line")),
    "mute": (("Muted", "line"), ("Unmuted", "line")),
    "top_hours": (("Views", "line"),),
    "interactions": (("Views", "line"), ("Shares", "line")),
    "iv_interactions": (("Instant View views", "line"),),
    "views_by_source": (("Followers", "bar"), ("Other", "bar"), ("Search", "bar")),
    "new_followers_by_source": (("URL", "bar"), ("Search", "bar")),
    "languages": (("English", "area"), ("Русский", "area")),
    "reactions_by_emotion": (("👍", "bar"), ("❤", "bar")),
    "story_interactions": (("Views", "line"),),
    "story_reactions_by_emotion": (("👍", "bar"),),
}
MEGAGROUP_GRAPHS: dict[str, tuple[tuple[str, str], ...]] = {
    "growth": (("Total members", "line"),),
    "members": (("Joined", "line"), ("Left", "line")),
    "new_members_by_source": (("Invites", "bar"), ("Link", "bar")),
    "languages": (("English", "area"), ("Español", "area")),
    "messages": (("Text", "bar"), ("Photos", "bar"), ("Stickers", "step")),
    "actions": (("Messages", "line"), ("Views", "line")),
    "top_hours": (("Messages", "line"),),
    "weekdays": (("Messages", "bar"),),
}
COLORS = ("#3497ED", "#F34C44", "#4BD964", "#F5BD25")
#: Where a token points: ``<chat key>/<graph>/<day ordinal>``.
TOKEN_SEPARATOR = "/"


def enable_stats(world: World, ref: ChatRef, **setup: Any) -> StatsSetup:
    """Give a channel or supergroup statistics (the account must be an admin to read them)."""
    chat = world.chat(ref)
    if chat.kind not in {"channel", "supergroup", "forum"}:
        raise ValueError(f"chat {chat.key!r} is a {chat.kind}: no statistics")
    chat.stats = StatsSetup(**setup)
    return chat.stats


def graphs_of(chat: ChatRecord) -> dict[str, tuple[tuple[str, str], ...]]:
    """The graphs of a chat's kind of statistics."""
    return BROADCAST_GRAPHS if chat.is_broadcast else MEGAGROUP_GRAPHS


def period(chat: ChatRecord, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``(min_date, max_date)``: the last ``days`` whole days before ``now``'s day."""
    assert chat.stats is not None
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - dt.timedelta(days=chat.stats.days), end


def value(chat: ChatRecord, graph: str, series: int, day: dt.datetime) -> int:
    """One point: deterministic per chat, graph, series and day."""
    return mix(chat.salt, len(graph), series, day.toordinal()) % 1000


def graph_json(
    chat: ChatRecord,
    graph: str,
    now: dt.datetime,
    *,
    series: tuple[tuple[str, str], ...] | None = None,
) -> dict[str, Any]:
    """The graph's JSON as Telegram sends it (one point per day of the period)."""
    start, end = period(chat, now)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    series = series if series is not None else graphs_of(chat)[graph]
    columns: list[list[Any]] = [["x", *(int(day.timestamp()) * 1000 for day in days)]]
    types_: dict[str, str] = {"x": "x"}
    names: dict[str, str] = {}
    colors: dict[str, str] = {}
    for index, (label, kind) in enumerate(series):
        key = f"y{index}"
        columns.append([key, *(value(chat, graph, index, day) for day in days)])
        types_[key] = kind
        names[key] = label
        colors[key] = COLORS[index % len(COLORS)]
    return {"columns": columns, "types": types_, "names": names, "colors": colors}


def graph_tl(chat: ChatRecord, graph: str, now: dt.datetime) -> Any:
    """``statsGraph`` (with a zoom token, which clients may ignore), async, or error."""
    assert chat.stats is not None
    if graph in chat.stats.error_graphs:
        return types.StatsGraphError(error="Not enough data to display.")
    if graph in chat.stats.async_graphs:
        token = TOKEN_SEPARATOR.join((chat.key, graph, str(now.toordinal())))
        return types.StatsGraphAsync(token=token)
    return loaded_graph(chat, graph, now)


def loaded_graph(chat: ChatRecord, graph: str, now: dt.datetime) -> Any:
    """A ``statsGraph`` with its JSON."""
    data = json.dumps(graph_json(chat, graph, now), ensure_ascii=False)
    return types.StatsGraph(json=types.DataJSON(data=data), zoom_token=f"zoom/{graph}")


#: Graphs of one post (``stats.messageStats``).
POST_GRAPHS: dict[str, tuple[tuple[str, str], ...]] = {
    "views": (("Views", "line"), ("Shares", "line")),
    "reactions_by_emotion": (("👍", "bar"),),
}


def post_graph_json(chat: ChatRecord, msg_id: int, graph: str, now: dt.datetime) -> dict[str, Any]:
    """A post's graph: the channel's graph format, its own values (``post<id>_<graph>``)."""
    data = graph_json(chat, graph, now, series=POST_GRAPHS[graph])
    for column in data["columns"][1:]:
        index = int(column[0][1:])
        days = [dt.datetime.fromtimestamp(x / 1000, UTC) for x in data["columns"][0][1:]]
        column[1:] = [value(chat, f"post{msg_id}_{graph}", index, day) for day in days]
    return data


def message_stats(chat: ChatRecord, msg_id: int, now: dt.datetime) -> Any:
    """``stats.messageStats`` of one channel post."""
    graphs = {
        f"{name}_graph": types.StatsGraph(
            json=types.DataJSON(data=json.dumps(post_graph_json(chat, msg_id, name, now)))
        )
        for name in POST_GRAPHS
    }
    return types.stats.MessageStats(**graphs)


def counters(chat: ChatRecord, name: str) -> types.StatsAbsValueAndPrev:
    """A summary value now and for the previous period."""
    current = 100 + mix(chat.salt, len(name), 1) % 5000
    return types.StatsAbsValueAndPrev(current=current, previous=current - 7)


def broadcast_stats(world: World, chat: ChatRecord, now: dt.datetime) -> Any:
    """``stats.broadcastStats`` of a channel."""
    start, end = period(chat, now)
    graphs = {f"{name}_graph": graph_tl(chat, name, now) for name in BROADCAST_GRAPHS}
    posts = [
        types.PostInteractionCountersMessage(
            msg_id=world.last_id(chat) - i, views=500 - i, forwards=i, reactions=2 * i
        )
        for i in range(min(3, world.message_count(chat)))
    ]
    return types.stats.BroadcastStats(
        period=types.StatsDateRangeDays(min_date=start, max_date=end),
        followers=counters(chat, "followers"),
        views_per_post=counters(chat, "views_per_post"),
        shares_per_post=counters(chat, "shares_per_post"),
        reactions_per_post=counters(chat, "reactions_per_post"),
        views_per_story=counters(chat, "views_per_story"),
        shares_per_story=counters(chat, "shares_per_story"),
        reactions_per_story=counters(chat, "reactions_per_story"),
        enabled_notifications=types.StatsPercentValue(part=40.0, total=160.0),
        recent_posts_interactions=posts,
        **graphs,
    )


def megagroup_stats(world: World, chat: ChatRecord, now: dt.datetime) -> Any:
    """``stats.megagroupStats`` of a supergroup, with its top posters, admins and inviters."""
    start, end = period(chat, now)
    graphs = {f"{name}_graph": graph_tl(chat, name, now) for name in MEGAGROUP_GRAPHS}
    members = [world.users[key] for key in chat.members[:3]]
    return types.stats.MegagroupStats(
        period=types.StatsDateRangeDays(min_date=start, max_date=end),
        members=counters(chat, "members"),
        messages=counters(chat, "messages"),
        viewers=counters(chat, "viewers"),
        posters=counters(chat, "posters"),
        top_posters=[
            types.StatsGroupTopPoster(user_id=u.id, messages=50 - i, avg_chars=40 + i)
            for i, u in enumerate(members)
        ],
        top_admins=[
            types.StatsGroupTopAdmin(user_id=world.self_user.id, deleted=3, kicked=1, banned=2)
        ],
        top_inviters=[types.StatsGroupTopInviter(user_id=u.id, invitations=5) for u in members[:1]],
        users=[],
        **graphs,
    )


class DcSender(FakeSender):
    """A sender borrowed for another DC: the server answers as that DC."""

    def __init__(self, fake: FakeTelegram, auth_key: Any, dc_id: int) -> None:
        super().__init__(fake, auth_key, None)
        self.dc_id = dc_id

    def _send_one(self, request: Any) -> Any:
        server = self.fake.server
        home, server.dc = server.dc, self.dc_id
        try:
            return super()._send_one(request)
        finally:
            server.dc = home


def install_borrowing(fake: FakeTelegram, client: TelegramClient) -> None:
    """Borrowed senders of ``client`` (other DCs) become :class:`DcSender` objects.

    Telethon's ``_create_exported_sender`` builds a real ``MTProtoSender`` and opens a
    socket: this is the same steps on the fake's network: the DC from ``help.getConfig``
    (``_get_dc``), ``auth.exportAuthorization`` on the home DC, then
    ``initConnection(auth.importAuthorization)`` on the new sender.
    """

    async def create_exported_sender(dc_id: int) -> Any:
        dc = await client._get_dc(dc_id)
        sender = DcSender(fake, client.session.auth_key, dc.id)
        await sender.connect(dc)
        auth = await client(functions.auth.ExportAuthorizationRequest(dc_id))
        init = client._init_request
        init.query = functions.auth.ImportAuthorizationRequest(id=auth.id, bytes=auth.bytes)
        await sender.send(functions.InvokeWithLayerRequest(LAYER, init))
        fake.senders.append(sender)
        return sender

    client._create_exported_sender = create_exported_sender
