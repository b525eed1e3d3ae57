"""``make bench``'s change capture scenario (key ``changes``): update logs versus a lookback window.

One channel of 100,000 messages and 3 private chats of 3,000 messages each. Both
contenders first read everything once (not measured, at 0 ms latency), each with its
own settings, and keep the STATE. Then the world changes:

* 1,000 edits and deletions (about half each, one update per message), spread at random
  over the newest 10,000 messages of the channel (90 %) and the newest 1,000 of the
  private chats (10 %);
* 20 edits of channel messages older than any window (ids below 50,000).

Each contender then runs again from its own STATE over the same changed world, at 0 ms
and at 100 ms latency (the same first-run STATE both times):

* ``track_changes``: ``track_changes: true``, no lookback (the default settings);
* ``lookback``: ``track_changes: false``, ``lookback_messages: 10000`` (the cap).

**Two servers.** ``track_changes`` runs twice (column ``server``):

* ``telegram``: the fake's default, Telegram's rule: a channel's difference is "too long"
  once ``pts + 100 < remote pts`` (a user's limit is 100). The channel got far more than
  100 updates, so its log cannot be read: ``track_changes`` catches the private chats'
  changes (the account's log reads up to ~1,000,000 back) and none of the channel's; the
  tap warns and restarts the channel's position. This is what a real account sees after
  such a gap (keys ``changes_telegram_*``).
* ``generous``: the fake's explicit ``channel_too_long="horizon"`` option (100,000
  updates kept, paged 100 at a time). Telegram does not serve this to a user account;
  the scenario needs it to measure what reading a long log costs and reaches (the
  request budget, old edits, the same changes as the window): the goals below are
  measured on it.

``lookback`` reads no update log, so it runs once, against the default server.

Counted per run: requests by class (from the fake), wall seconds, records, and which
changes were caught: an edit when the edited id comes out again with its new text, a
deletion when it comes out as a tombstone. The lookback window tombstones deletions in
channels and supergroups only (private chats' ids are per account), and sees nothing
older than its window. ``scale`` shrinks the world (``--quick``, tests).

Goals (``changes_*`` keys, :mod:`bench.changes_report`), on the ``generous`` server:
``track_changes`` costs at most Σ⌈updates per log / 100⌉ + 3 requests more than its own
quiet run from the same STATE (measured before the changes: connecting, the dialogs
pass, empty logs); it catches every old edit; it catches everything the window catches.
On the ``telegram`` server: at most one request per changed log + 3 beyond the quiet
run, and every change of the private chats (``changes_telegram_*``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from pathlib import Path
from typing import Any

from bench.steady import NOW, Step, config_for, run_cli
from tests.fake_telegram import FakeTelegram, UpdateLogSettings, World

CHANNEL = "news"
HISTORY = "GetHistoryRequest"
CHANNEL_DIFFERENCE = "GetChannelDifferenceRequest"
DIFFERENCE = "GetDifferenceRequest"
#: The requests that read update logs (Telethon's own catch-up on connecting included).
UPDATE_LOG = (CHANNEL_DIFFERENCE, DIFFERENCE, "GetStateRequest")
#: Updates per getChannelDifference page and per getDifference slice.
PAGE = 100
RUNNERS: dict[str, dict[str, Any]] = {
    "track_changes": {"track_changes": True},
    "lookback": {"track_changes": False, "lookback_messages": 10_000},
}
#: The fake's update-log rules: Telegram's (the default) and the generous option.
SERVERS: dict[str, UpdateLogSettings] = {
    "telegram": UpdateLogSettings(),
    "generous": UpdateLogSettings(channel_too_long="horizon", channel_horizon=100_000),
}
#: The measured second runs: (contender, server).
SECOND_RUNS = (
    ("track_changes", "telegram"),
    ("track_changes", "generous"),
    ("lookback", "telegram"),
)
SERVER_NOTE = (
    "telegram: too long past 100 updates (Telegram's rule, the fake's default); generous: "
    "the fake's explicit horizon option (100,000 kept), to measure paging a long log"
)


@dataclasses.dataclass(frozen=True)
class Setup:
    """Sizes of the scenario (:func:`setup` scales them)."""

    channel: int = 100_000
    #: The channel's newest messages that change, and the lookback window.
    window: int = 10_000
    privates: int = 3
    private_messages: int = 3_000
    #: Each private chat's newest messages that change.
    private_window: int = 1_000
    mutations: int = 1_000
    #: Share of the mutations in the private chats.
    private_share: float = 0.1
    old_edits: int = 20
    #: Old edits are of ids below this.
    old_below: int = 50_000
    seed: int = 7

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def setup(scale: float = 1.0) -> Setup:
    """The scenario at ``scale`` (1: the issue's sizes; the window stays at most 10,000)."""
    channel = max(1_000, int(100_000 * scale))
    window = min(10_000, channel // 2)
    private_messages = max(200, int(3_000 * scale))
    return Setup(
        channel=channel,
        window=window,
        private_messages=private_messages,
        private_window=min(1_000, private_messages // 2),
        mutations=min(1_000, window // 5),
        old_below=min(50_000, channel - window),
    )


@dataclasses.dataclass
class Mutations:
    """What changed: ``(marked chat id, message id)`` -> the new text (edits) or deletions."""

    edits: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)
    deletions: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    old_edits: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)
    #: Update log units per log: the channel's, and the account's (private chats).
    units: dict[str, int] = dataclasses.field(default_factory=dict)

    def request_budget(self) -> int:
        """Σ⌈changes per log / 100⌉ + 3: what reading the update logs may cost."""
        return sum(math.ceil(n / PAGE) for n in self.units.values()) + 3

    def telegram_budget(self) -> int:
        """One request per changed log + 3: under Telegram's rule a channel's log is one
        page, or "too long" (one request) past 100 updates; the account's log reads
        ~1,000,000 back in slices of 100."""
        channels = sum(1 for log, n in self.units.items() if log != "account" and n)
        return channels + math.ceil(self.units.get("account", 0) / PAGE) + 3

    @property
    def private(self) -> int:
        """Changes (edits and deletions) in the private chats."""
        return sum(1 for key in [*self.edits, *self.deletions] if key[0] > 0)


def build_world(s: Setup) -> World:
    """The channel and the private chats, before any change."""
    world = World(s.seed, account_stride=64)
    world.add_generated_users(8)
    world.add_chat(CHANNEL, "channel", messages=s.channel, username="bench_changes")
    for index in range(s.privates):
        world.add_chat(f"p{index}", "private", messages=s.private_messages, user=f"friend{index}")
    return world


def mutate(world: World, s: Setup) -> Mutations:
    """Apply the scenario's edits and deletions (one update each, in random order)."""
    draw = random.Random(s.seed)
    out = Mutations()
    planned: list[tuple[str, int, bool]] = []  # (chat, id, old)
    in_private = round(s.mutations * s.private_share)
    newest = world.message_ids(CHANNEL)[-s.window :]
    planned += [(CHANNEL, i, False) for i in draw.sample(newest, s.mutations - in_private)]
    for index in range(s.privates):
        ref = f"p{index}"
        share = in_private // s.privates + (1 if index < in_private % s.privates else 0)
        ids = world.message_ids(ref)[-s.private_window :]
        planned += [(ref, i, False) for i in draw.sample(ids, share)]
    old = [i for i in world.message_ids(CHANNEL) if 1 < i < s.old_below]
    draw.shuffle(old)
    planned += [(CHANNEL, i, True) for i in old if world.is_text(CHANNEL, i)][: s.old_edits]
    draw.shuffle(planned)
    for ref, message_id, is_old in planned:
        key = (world.marked_id(ref), message_id)
        log = "channel" if ref == CHANNEL else "account"
        out.units[log] = out.units.get(log, 0) + 1
        if is_old or (draw.random() < 0.5 and world.is_text(ref, message_id)):
            text = f"bench edit {message_id}" + (" (old)" if is_old else "")
            world.edit_message(ref, message_id, text)
            (out.old_edits if is_old else out.edits)[key] = text
        else:
            world.delete_messages(ref, [message_id])
            out.deletions.add(key)
    return out


@dataclasses.dataclass
class Run:
    """One measured second run of one contender."""

    runner: str
    latency: float
    step: Step
    #: The fake's update-log rule (:data:`SERVERS`).
    server: str = "telegram"
    edits: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    deletions: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    old_edits: set[tuple[int, int]] = dataclasses.field(default_factory=set)

    #: Records of the ``messages`` stream (the run's ``step.records`` counts every stream).
    messages: int = 0
    #: Of the caught deletions and edits, those in private chats.
    private: int = 0
    #: Requests of a run with nothing changed from the same STATE (track_changes only).
    quiet: int | None = None

    def requests(self, name: str) -> int:
        return self.step.requests.get(name, 0)

    @property
    def update_log(self) -> int:
        """Requests that read update logs."""
        return sum(self.requests(name) for name in UPDATE_LOG)

    @property
    def beyond_quiet(self) -> int | None:
        """Requests beyond a quiet run's (connecting, the dialogs pass, empty logs)."""
        return None if self.quiet is None else self.step.total - self.quiet

    @property
    def caught(self) -> set[tuple[int, int]]:
        return self.edits | self.deletions | self.old_edits

    def as_dict(self) -> dict[str, Any]:
        return {
            "runner": self.runner,
            "server": self.server,
            "latency": self.latency,
            "requests": self.step.total,
            "requests_by_class": self.step.requests,
            "requests_update_log": self.update_log,
            "requests_quiet_run": self.quiet,
            "requests_beyond_quiet_run": self.beyond_quiet,
            "seconds": round(self.step.seconds or 0.0, 2),
            "records": self.step.records,
            "message_records": self.messages,
            "edits_caught": len(self.edits),
            "deletions_caught": len(self.deletions),
            "old_edits_caught": len(self.old_edits),
            "private_caught": self.private,
            "returncode": self.step.returncode,
        }


def _collector(run: Run, changes: Mutations) -> Any:
    def keep(line: bytes) -> None:
        message = json.loads(line)
        if message.get("stream") != "messages":
            return
        run.messages += 1
        record = message["record"]
        key = (record["chat_id"], record["id"])
        if record.get("deleted"):
            if key in changes.deletions:
                run.deletions.add(key)
        elif key in changes.edits and record.get("text") == changes.edits[key]:
            run.edits.add(key)
        elif key in changes.old_edits and record.get("text") == changes.old_edits[key]:
            run.old_edits.add(key)
        else:
            return
        if key[0] > 0:  # users' marked ids are positive: a private chat
            run.private += 1

    return keep


def run_changes(
    s: Setup, folder: Path, log: Any = print, latencies: tuple[float, ...] = (0.0, 0.1)
) -> tuple[list[Run], Mutations, list[Step]]:
    """First runs (both contenders), the changes, then the measured second runs."""
    world = build_world(s)
    fakes = {
        name: FakeTelegram(world, now=NOW, update_log=settings)
        for name, settings in SERVERS.items()
    }
    fake = fakes["telegram"]
    configs = {name: config_for(world.seed, **settings) for name, settings in RUNNERS.items()}
    configs["lookback"]["lookback_messages"] = s.window
    states: dict[str, dict[str, Any] | None] = {}
    firsts: list[Step] = []
    for name, config in configs.items():
        log(f"bench: changes, {name}: first run ({s.channel:,}-message channel) ...")
        step, states[name] = run_cli(fake, config, None, folder, None)
        step.runner, step.step = name, "first"
        log(f"bench:   {step.records:,} records, {step.total:,} requests in {step.seconds:.1f} s")
        firsts.append(step)
    log("bench: changes, track_changes: quiet run (nothing changed) ...")
    quiet, _ = run_cli(fake, configs["track_changes"], states["track_changes"], folder, None)
    log(f"bench:   {quiet.total:,} requests in {quiet.seconds:.1f} s")
    changes = mutate(world, s)
    runs: list[Run] = []
    for latency in latencies:
        for name, server in SECOND_RUNS:
            config = configs[name]
            fakes[server].latency = latency
            log(
                f"bench: changes, {name} ({server} server): second run at {latency * 1000:g} ms ..."
            )
            run = Run(name, latency, Step(0, name, "second", {}, None), server)
            step, _ = run_cli(
                fakes[server], config, states[name], folder, None, _collector(run, changes)
            )
            step.runner, step.step = name, "second"
            run.step = step
            if name == "track_changes":
                run.quiet = quiet.total
            log(
                f"bench:   {step.total:,} requests, {step.records:,} records in "
                f"{step.seconds:.1f} s{f', EXIT {step.returncode}' if step.returncode else ''}"
            )
            runs.append(run)
    return runs, changes, firsts
