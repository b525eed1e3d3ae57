"""``make bench``'s busy day (key ``busy``, issue 25): the sweep against a lookback window.

An account of 300 dialogs (:func:`tests.fake_telegram.dialogs_world`, 30 messages
each), 10 of them busy supergroups and channels (3,000 messages to start with, then
about 500 events an hour: 88 % new messages, 8 % edits and 4 % deletions of their newest
1,000 messages), and in each busy chat every hour one **old** edit and one **old**
deletion (ids in the oldest half of what existed before the day): changes Telegram's
update log cannot report, since a busy channel's difference is "too long" after 100
events (the fake's ``channel_too_long="limit"``, Telegram's rule for user accounts).

Every contender starts from the same world and a first run (not measured), then runs
hourly for a simulated day, in this process, the fake's clock an hour on each time,
under the fake's flood limits from the first hourly run on, as the steady day does
(:data:`tests.fake_telegram.faults.FLOOD_LIMITS`), with getHistory's window compressed
(20 per 0.5 s instead of per 10 s, so that a day runs in minutes; waits are slept and
counted):

* ``sweep``: ``verify_requests_per_run`` at its default (20), no lookback;
* ``sweep+marks``: the same, with the busy chats marked for verification after every
  run, as change capture marks a chat whose log was "too long" (issue 25 part B);
* ``lookback``: ``lookback_messages`` 100 (one page a chat: the smallest window that
  re-reads anything), no sweep: its extra requests per run are what it costs;
* ``sweep@lookback``: the sweep given the lookback's measured extra requests per run.

After the day, each sweep contender goes on hourly with nothing changing until every
old change is delivered or a week has passed (``week`` runs in all): the within-a-week
share is measured, not projected. Counted: the share of old edits and deletions
delivered by the end of the day and within the week, requests per run (busy: the
day's; quiet: a run with nothing changed) and FLOOD_WAITs. ``scale`` shrinks the
account (``--quick``, tests).
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from typing import Any

from bench.steady import NOW, REFRESHES, quiet_logs
from tap_telegram.sources.mtproto.changes.verify_marks import Reason, mark
from tap_telegram.sources.mtproto.history.sweep_state import index_ids
from tests.fake_telegram import FakeTelegram, UpdateLogSettings, World, dialogs_world
from tests.fake_telegram import run_in_process as run_tap

HISTORY = "GetHistoryRequest"
#: Telegram's "too long" rule for a user account (pts + 100 < remote pts).
REAL = UpdateLogSettings(channel_too_long="limit")
#: getHistory's flood window, compressed from the fake's 10 s (see the module docstring).
HISTORY_LIMIT = (20, 0.5)


@dataclasses.dataclass(frozen=True)
class Setup:
    """Sizes of the scenario (:func:`setup` scales them)."""

    dialogs: int = 300
    busy: int = 10
    start_messages: int = 3_000
    events_per_hour: int = 500
    hours: int = 24
    #: Hours in all (day included) the sweep contenders may run to deliver every old change.
    week: int = 168
    budget: int = 20
    lookback: int = 100
    #: Run the sweep hourly up to the week's end (else ``week_runs`` more, then project).
    simulate_week: bool = False
    week_runs: int = 12
    seed: int = 25

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def setup(scale: float = 1.0) -> Setup:
    """The scenario at ``scale`` (1: the issue's sizes)."""
    if scale >= 1:
        return Setup()
    return Setup(
        dialogs=max(20, int(300 * scale)),
        busy=max(2, int(10 * scale)),
        start_messages=max(500, int(3_000 * scale)),
        hours=max(6, int(24 * scale)),
        week=max(24, int(168 * scale)),
        simulate_week=True,
    )


def busy_keys(s: Setup) -> list[str]:
    """The busy chats: the first supergroups and channels (keys ``d0``, ``d1``, ``d4`` ...)."""
    keys = [f"d{i}" for i in range(s.dialogs) if i % 4 in (0, 1)]
    return keys[: s.busy]


def build(s: Setup) -> tuple[World, FakeTelegram]:
    """The account before the day, and its fake (Telegram's rules, flood limits)."""
    world = dialogs_world(s.dialogs, messages=30, seed=s.seed)
    for key in busy_keys(s):
        world.append_messages(key, s.start_messages)
    fake = FakeTelegram(world, now=NOW, update_log=REAL)
    return world, fake


def flood_limit(fake: FakeTelegram) -> None:
    """The fake's flood limits, getHistory's window compressed (after the first run)."""
    fake.flood_limited(history=False)
    fake.rate_limit(*HISTORY_LIMIT, HISTORY)


@dataclasses.dataclass
class Old:
    """The day's old changes: ``(chat, id)`` -> hour made, and when each came out."""

    edits: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)
    deletions: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)
    texts: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)
    caught: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)

    def note(self, records: list[dict[str, Any]], hour: int) -> None:
        """Mark the old changes these records deliver (an edit: its new text)."""
        for r in records:
            key = (r["chat_id"], r["id"])
            if key in self.caught:
                continue
            if (r.get("deleted") and key in self.deletions) or (
                not r.get("deleted") and key in self.texts and self.texts[key] == r.get("text")
            ):
                self.caught[key] = hour

    def share(self, by_hour: int) -> float:
        total = len(self.edits) + len(self.deletions)
        got = sum(1 for hour in self.caught.values() if hour <= by_hour)
        return round(got / total, 3) if total else 1.0

    @property
    def complete(self) -> bool:
        return len(self.caught) == len(self.edits) + len(self.deletions)


def mutate(world: World, fake: FakeTelegram, s: Setup, hour: int, old: Old) -> None:
    """One hour of a busy chat: new messages, recent edits and deletions, one old of each."""
    draw = random.Random(s.seed * 1000 + hour)
    now = fake.clock()
    new = round(s.events_per_hour * 0.88)
    edits = round(s.events_per_hour * 0.08)
    deletions = s.events_per_hour - new - edits
    for key in busy_keys(s):
        world.append_messages(key, new)
        ids = world.text_ids(key)
        recent = ids[-1000:]
        for message_id in draw.sample(recent, edits):
            world.edit_message(key, message_id, f"recent edit {hour}", date=now)
        world.delete_messages(key, draw.sample(recent, deletions))
        chat = world.marked_id(key)
        oldest = [i for i in ids if i <= s.start_messages // 2 and (chat, i) not in old.texts]
        oldest = [i for i in oldest if (chat, i) not in old.deletions]
        edited, gone = draw.sample(oldest, 2)
        text = f"old edit {hour} {edited}"
        world.edit_message(key, edited, text, date=now)
        old.edits[chat, edited] = hour
        old.texts[chat, edited] = text
        world.delete_messages(key, [gone])
        old.deletions[chat, gone] = hour


@dataclasses.dataclass
class Contender:
    """One contender's day (and week): requests per run, FLOOD_WAITs, what came out."""

    name: str
    settings: dict[str, Any]
    busy_requests: list[int] = dataclasses.field(default_factory=list)
    busy_history: list[int] = dataclasses.field(default_factory=list)
    quiet_requests: int = 0
    quiet_history: int = 0
    #: Refreshes due in the quiet run (issue 18 counts them apart from its budget).
    quiet_refreshes: int = 0
    flood_waits: int = 0
    week_runs: int = 0
    seconds: float = 0.0
    #: P: Σ ⌈delivered range / 100⌉ over the chats at the end (the rotation's work).
    pages: int = 0
    #: The within-a-week share is a projection (the rotation's bound), not a run.
    projected: bool = False
    old: Old = dataclasses.field(default_factory=Old)
    day_share: float = 0.0
    week_share: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        busy = self.busy_requests or [0]
        return {
            "contender": self.name,
            "settings": self.settings,
            "old_changes": len(self.old.edits) + len(self.old.deletions),
            "share_by_end_of_day": self.day_share,
            "share_within_week": self.week_share,
            "requests_per_busy_run_mean": round(sum(busy) / len(busy), 1),
            "requests_per_busy_run_max": max(busy),
            "history_per_busy_run_mean": round(sum(self.busy_history) / max(1, len(busy)), 1),
            "requests_quiet_run": self.quiet_requests,
            "history_quiet_run": self.quiet_history,
            "refreshes_quiet_run": self.quiet_refreshes,
            "flood_waits": self.flood_waits,
            "runs_after_the_day": self.week_runs,
            "rotation_pages": self.pages,
            "week_projected": self.projected,
            "seconds": round(self.seconds, 1),
        }


def _mark_busy(state: dict[str, Any], chats: set[int]) -> None:
    """What change capture does on a "too long" (part B): mark the chat in its partition."""
    for part in state["bookmarks"]["messages"]["partitions"]:
        if part["context"]["chat_id"] in chats:
            mark(part, Reason.TOO_LONG)


def run_contender(
    s: Setup, name: str, settings: dict[str, Any], log: Any, *, marks: bool = False
) -> Contender:
    """A first run, the day, a quiet run, then (sweep only) the rest of the week."""
    world, fake = build(s)
    config = fake.tap_config(on_chat_error="skip", **settings)
    out = Contender(name, settings)
    busy = {world.marked_id(key) for key in busy_keys(s)}
    started = time.monotonic()
    log(f"bench: busy day, {name}: first run ...")
    with quiet_logs():
        state = run_tap(fake, config).check().state
    assert state is not None
    flood_limit(fake)
    for hour in range(1, s.hours + 1):
        fake.next_hour()
        mutate(world, fake, s, hour, out.old)
        if marks:
            _mark_busy(state, busy)
        with quiet_logs():
            run = run_tap(fake, config, state).check()
        state = run.state
        assert state is not None
        assert run.stats is not None
        out.old.note(run.records.get("messages", []), hour)
        out.busy_requests.append(sum(run.stats.requests.values()))
        out.busy_history.append(run.stats.requests.get(HISTORY, 0))
        out.flood_waits += sum(run.stats.floods.values())
    out.day_share = out.old.share(s.hours)
    log(f"bench:   day: {out.day_share:.0%} of old changes, "
        f"{sum(out.busy_requests) / s.hours:.0f} requests a run")  # fmt: skip
    hour = s.hours
    sweeping = bool(settings.get("verify_requests_per_run"))
    last = s.week if s.simulate_week else s.hours + s.week_runs
    while hour == s.hours or (sweeping and hour < last and not out.old.complete):
        hour += 1
        fake.next_hour()
        with quiet_logs():
            run = run_tap(fake, config, state).check()
        state = run.state
        assert state is not None
        assert run.stats is not None
        out.old.note(run.records.get("messages", []), hour)
        if hour == s.hours + 1:  # nothing changed since the last run
            out.quiet_requests = sum(run.stats.requests.values())
            out.quiet_history = run.stats.requests.get(HISTORY, 0)
            refreshes = sum(run.stats.requests.get(name, 0) for name in REFRESHES)
            out.quiet_refreshes = refreshes
        out.week_runs += 1
    out.pages = rotation_pages(state)
    out.week_share = out.old.share(s.week)
    if sweeping and not out.old.complete and not s.simulate_week:
        # Projected: every chat completes a pass within ⌈P/budget⌉ + 1 runs (README).
        bound = math.ceil(out.pages / int(settings["verify_requests_per_run"])) + 1
        out.projected = bound <= s.week - s.hours
        out.week_share = 1.0 if out.projected else out.week_share
    out.seconds = time.monotonic() - started
    log(f"bench:   week: {out.week_share:.0%} after {out.week_runs} more runs")
    return out


def run_busy(s: Setup, log: Any = print) -> list[Contender]:
    """Every contender (see the module docstring); the last one's budget is measured."""
    sweep = {"verify_requests_per_run": s.budget}
    lookback = {"verify_requests_per_run": 0, "lookback_messages": s.lookback}
    found = [
        run_contender(s, "sweep", sweep, log),
        run_contender(s, "sweep+marks", sweep, log, marks=True),
        run_contender(s, "lookback", lookback, log),
    ]
    extra = max(1, round(statistics_extra(found[2], found[0], s)))
    found.append(run_contender(s, "sweep@lookback", {"verify_requests_per_run": extra}, log))
    return found


def statistics_extra(lookback: Contender, sweep: Contender, s: Setup) -> float:
    """The lookback's history requests per busy run beyond the sweep's own reading."""
    per_run = sum(lookback.busy_history) / s.hours
    sweep_reading = sum(sweep.busy_history) / s.hours - s.budget
    return max(0.0, per_run - max(0.0, sweep_reading))


def rotation_pages(state: dict[str, Any]) -> int:
    """P of the README's bound: Σ ⌈delivered range / 100⌉ over the chats in STATE."""
    total = 0
    for part in state["bookmarks"]["messages"]["partitions"]:
        top, first = part.get("replication_key_value"), part.get("first_id") or 1
        ids = index_ids(part)  # private chats and basic groups: their delivered ids
        if ids is not None:
            total += math.ceil(len(ids) / 100)
        elif isinstance(top, int):
            total += math.ceil(max(0, top - first + 1) / 100)
    return total


def goals(found: list[Contender], s: Setup) -> dict[str, Any]:
    """The scenario's numbers for the JSON line and the README."""
    by = {c.name: c for c in found}
    sweep = by.get("sweep")
    out: dict[str, Any] = {"busy_setup": s.as_dict()}
    for c in found:
        out[f"busy_{c.name}_day_share"] = c.day_share
        out[f"busy_{c.name}_week_share"] = c.week_share
    if sweep is not None:
        limit = math.ceil(s.dialogs / 100) + 10 + s.budget
        # Issue 18's budget is for a run with no refresh due: refreshes are counted apart.
        quiet = sweep.quiet_requests - sweep.quiet_refreshes
        out["busy_quiet_run_within_budget"] = quiet <= limit
        out["busy_quiet_run_budget"] = limit
    return out


def table(found: list[Contender]) -> str:
    """One row per contender."""
    head = (
        f"{'contender':<16}{'budget':>7}{'day':>7}{'week':>7}{'busy req/run':>14}"
        f"{'quiet req':>11}{'floods':>8}{'runs+':>7}"
    )
    lines = [head, "-" * len(head)]
    for c in found:
        d = c.as_dict()
        budget = c.settings.get("verify_requests_per_run") or c.settings.get("lookback_messages")
        lines.append(
            f"{c.name:<16}{budget!s:>7}{d['share_by_end_of_day']:>7.0%}"
            f"{d['share_within_week']:>7.0%}{d['requests_per_busy_run_mean']:>14}"
            f"{d['requests_quiet_run']:>11}{d['flood_waits']:>8}{d['runs_after_the_day']:>7}"
        )
    return "\n".join(lines)
