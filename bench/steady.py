"""``make bench``'s steady state (issue 18): what an hourly run costs once everything was read.

For N dialogs (300 and 2,000 by default; :func:`tests.fake_telegram.dialogs_world`: every
kind, pinned and archived ones, 30 messages each), two contenders run the real CLI in a
subprocess each, at one fixed clock (so no refresh falls due between the runs):

1. ``first``: a first run;
2. ``quiet``: a rerun with its STATE and nothing new;
3. ``changed``: a rerun after 5 new messages in 10 chats.

``now`` is this tree. ``before`` is ``tap_telegram/`` as it was just before the
dialogs pass came in (the parent of the commit that added
``tap_telegram/sources/mtproto/dialogs.py``), taken from git and put first on
``PYTHONPATH``; the fake Telegram is this tree's for both. Without git, ``before``
falls back to the figures measured in issue 18 (requests only).

**A day of an admin** (issue 30, :func:`admin_day`): 20 chats the account administers
(channels on statistics DC 4 with two async graphs, supergroups on the home DC), the
``admin_log`` and statistics streams selected, a first run, then 24 hourly quiet runs
(the clock crosses midnight once): requests by class per run; a quiet run may cost one
``getAdminLog`` per chat, and statistics once per chat and UTC day.

Then **a day under flood limits** (:func:`flood_day`): N dialogs, a first sync, then 24
hourly runs with new messages in some chats (in this process, the fake's clock an hour
on each time), all against a fake that answers FLOOD_WAIT like a strict Telegram
(:data:`tests.fake_telegram.faults.FLOOD_LIMITS`), from the first sync on. FLOOD_WAITs
are counted by request class, the first sync's (where the budgets are learned) apart
from the hourly runs': in those, nothing may draw one, the refreshes (full info,
members, dialogs) included.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import io
import json
import logging
import math
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from telethon.tl import types

from tap_telegram.sources.mtproto.wire.rate import RateBudget
from tests.fake_telegram import FakeTelegram, World, dialogs_world, run_in_process
from tests.fake_telegram.admin_log import add_admin_event
from tests.fake_telegram.checked import checker_for
from tests.fake_telegram.fake import API_HASH, API_ID
from tests.fake_telegram.harness import catalog_selecting
from tests.fake_telegram.sessions import session_string
from tests.fake_telegram.spec import fake_to_spec
from tests.fake_telegram.stats import enable_stats

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.timezone.utc)
MESSAGES = 30
CHANGED, NEW_MESSAGES = 10, 5
HISTORY = "GetHistoryRequest"
REFRESHES = ("GetFullChannelRequest", "GetFullChatRequest", "GetFullUserRequest",
             "GetParticipantsRequest", "GetForumTopicsRequest")  # fmt: skip
#: Issue 18's measurement of the tap before it, 300 dialogs (requests).
ISSUE_BEFORE = {"first": 1209, "quiet": 909, "changed": 919}
#: ``before`` is not run on the ``changed`` step above this size (it costs what
#: ``quiet`` costs, minutes at 2,000 dialogs).
BEFORE_CHANGED_MAX = 500


@dataclasses.dataclass
class Step:
    """One run of one contender: requests by class, wall seconds, records, exit code."""

    dialogs: int
    runner: str
    step: str
    requests: dict[str, int]
    seconds: float | None
    records: int = 0
    returncode: int = 0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def history(self) -> int:
        return self.requests.get(HISTORY, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialogs": self.dialogs,
            "runner": self.runner,
            "step": self.step,
            "requests": self.total,
            "history_requests": self.history,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "records": self.records,
            "returncode": self.returncode,
            "by_request": self.requests,
        }


def budget(dialogs: int) -> int:
    """Issue 18: a run with nothing new costs at most ``⌈N/100⌉ + 10`` requests."""
    return math.ceil(dialogs / 100) + 10


def config_for(seed: int, **settings: Any) -> dict[str, Any]:
    """Every dialog of the world, default settings."""
    return {
        "source": "mtproto",
        "api_id": API_ID,
        "api_hash": API_HASH,
        "session_string": session_string(seed, "ok", "main"),
        **settings,
    }


# -- the tap before this issue ----------------------------------------------------------


def before_tree(folder: Path) -> Path | None:
    """``tap_telegram/`` just before the dialogs pass, extracted under ``folder``."""
    try:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--",
             "tap_telegram/sources/mtproto/dialogs.py"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        if not added:
            return None
        archive = subprocess.run(
            ["git", "archive", "--format=tar", f"{added[-1]}^", "tap_telegram"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    target = folder / "before"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


# -- one run in a subprocess --------------------------------------------------------------


def run_cli(
    fake: FakeTelegram,
    config: dict[str, Any],
    state: dict[str, Any] | None,
    folder: Path,
    tree: Path | None,
    on_record: Callable[[bytes], None] | None = None,
) -> tuple[Step, dict[str, Any] | None]:
    """The CLI against ``fake`` (its world, clock and limits); the last STATE it wrote.

    Output is read line by line and only the last STATE kept: each STATE holds every
    chat's bookmark, gigabytes over a first run of thousands of chats. Every line of
    this tree's tap passes the stream checker, which counts the records (a baseline
    ``tree`` is only counted). ``on_record`` sees every RECORD line (as bytes) when given.
    """
    checker = checker_for(fake, config, state) if tree is None else None
    paths = {name: folder / f"{name}.json" for name in ("world", "config", "state", "stats")}
    paths["world"].write_text(json.dumps(fake_to_spec(fake), ensure_ascii=False), "utf-8")
    paths["config"].write_text(json.dumps(config), "utf-8")
    args = [sys.executable, "-m", "tests.fake_telegram.launcher", "--world", str(paths["world"]),
            "--", "--config", str(paths["config"])]  # fmt: skip
    if state is not None:
        paths["state"].write_text(json.dumps(state), "utf-8")
        args += ["--state", str(paths["state"])]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [*([str(tree)] if tree else []), str(ROOT), env.get("PYTHONPATH", "")]
    )
    env["FAKE_TELEGRAM_STATS"] = str(paths["stats"])
    paths["stats"].unlink(missing_ok=True)
    last_state, records = None, 0
    started = time.monotonic()
    # Not from ROOT: ``python -m`` puts the working directory before PYTHONPATH.
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=folder, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if checker is not None:
                checker.feed(line)
            if line.startswith(b'{"type":"STATE"'):
                last_state = line
            elif line.startswith(b'{"type":"RECORD"'):
                records += 1
                if on_record is not None:
                    on_record(line)
    seconds = time.monotonic() - started
    if checker is not None:
        records = checker.close().total
    stats = json.loads(paths["stats"].read_text("utf-8")) if paths["stats"].exists() else {}
    step = Step(0, "", "", dict(stats.get("requests", {})), seconds, records, proc.returncode)
    return step, json.loads(last_state)["value"] if last_state else None


def contender(dialogs: int, runner: str, tree: Path | None, folder: Path, log: Any) -> list[Step]:
    """First run, quiet rerun, ten chats changed: one contender on one world."""
    world = dialogs_world(dialogs, messages=MESSAGES)
    fake = FakeTelegram(world, now=NOW)
    config = config_for(world.seed)
    steps: list[Step] = []

    def run(name: str, state: dict[str, Any] | None) -> dict[str, Any] | None:
        log(f"bench: steady {dialogs} dialogs, {runner}: {name} ...")
        step, after = run_cli(fake, config, state, folder, tree)
        step.dialogs, step.runner, step.step = dialogs, runner, name
        failed = f", EXIT {step.returncode}" if step.returncode else ""
        log(
            f"bench:   {step.total:,} requests ({step.history:,} getHistory) in "
            f"{step.seconds or 0:.1f} s{failed}"
        )
        steps.append(step)
        return after

    first = run("first", None)
    quiet = run("quiet", first)
    if runner == "now" or dialogs <= BEFORE_CHANGED_MAX:
        for index in range(CHANGED):  # ten chats of every kind
            world.append_messages(f"d{(40 + index) % dialogs}", NEW_MESSAGES)
        run("changed", quiet)
    return steps


# -- a day under flood limits ---------------------------------------------------------------


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """The in-process tap logs thousands of lines a run: not into the bench's output."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


#: Chats with new messages in each hourly run of the flood day, and how many each.
DAY_CHANGED, DAY_NEW = 30, 5


@contextlib.contextmanager
def pacing(on: bool) -> Iterator[None]:
    """The tap's learned pacing on (the default) or off (it waits as told, never paces)."""
    before = RateBudget.learns
    RateBudget.learns = on
    try:
        yield
    finally:
        RateBudget.learns = before


def flood_day(
    dialogs: int,
    log: Any,
    hours: int = 24,
    *,
    paced: bool = True,
    history_limit: tuple[int, float] | None = None,
) -> dict[str, Any]:
    """A user's day under :data:`FLOOD_LIMITS`: a first sync, then ``hours`` hourly runs.

    The limits apply from the first sync on, as on Telegram: the first sync is where the
    tap meets them and learns each method's budget, so its FLOOD_WAITs are counted apart
    (``flood_waits_first_run``, the learning waits) from the hourly runs' (each starting
    from the previous run's STATE, which carries the learned budgets). Every hour
    :data:`DAY_CHANGED` chats (a different set each hour) get :data:`DAY_NEW` new
    messages: more ``getHistory`` than the limit's burst (20 per 10 s). At 2 requests a
    second a first sync of 2,000 dialogs takes about 17 minutes. ``history_limit``
    replaces the ``getHistory`` limit (tests: a short day). Default settings
    (``max_flood_wait`` 300: a wait is waited out), ``on_chat_error: skip``; every run's
    output goes through the stream checker.
    """
    world: World = dialogs_world(dialogs, messages=2)
    fake = FakeTelegram(world, now=NOW)
    fake.flood_limited(history=history_limit is None)
    if history_limit is not None:
        fake.rate_limit(*history_limit, HISTORY)
    config = config_for(world.seed, on_chat_error="skip")
    label = "paced" if paced else "pacing off"
    log(f"bench: flood day, {dialogs} dialogs, {label}: first sync (flood-limited) ...")
    started = time.monotonic()
    with quiet_logs(), pacing(paced):
        first = run_in_process(fake, config).check()
    first_seconds = time.monotonic() - started
    assert first.stats is not None
    state = first.state
    first_floods = dict(first.stats.floods)
    total, pages = sum(first.stats.requests.values()), first.stats.requests.get(HISTORY, 0)
    waits = sum(first_floods.values())
    log(f"bench:   first sync: {total:,} requests ({pages:,} getHistory), "
        f"{waits} FLOOD_WAITs {first_floods}, {first_seconds:.1f} s")  # fmt: skip
    floods: collections.Counter[str] = collections.Counter()
    by_hour: list[int] = []
    refreshes, requests, history, seconds = [], [], [], []
    for hour in range(hours):
        fake.next_hour()
        for index in range(DAY_CHANGED):
            world.append_messages(f"d{(hour * DAY_CHANGED + index * 7) % dialogs}", DAY_NEW)
        started = time.monotonic()
        with quiet_logs(), pacing(paced):
            run = run_in_process(fake, config, state).check()
        seconds.append(time.monotonic() - started)
        state = run.state
        assert run.stats is not None
        floods.update(run.stats.floods)
        by_hour.append(sum(run.stats.floods.values()))
        refreshes.append(sum(run.stats.requests.get(name, 0) for name in REFRESHES))
        requests.append(sum(run.stats.requests.values()))
        history.append(run.stats.requests.get(HISTORY, 0))
        log(f"bench:   hour {hour + 1}: {requests[-1]:,} requests ({history[-1]} getHistory), "
            f"{refreshes[-1]} refreshes, {by_hour[-1]} FLOOD_WAITs, "
            f"{seconds[-1]:.1f} s")  # fmt: skip
    return {
        "dialogs": dialogs,
        "hours": hours,
        "paced": paced,
        "changed_per_hour": DAY_CHANGED,
        "first_run_requests": total,
        "first_run_history_requests": pages,
        "first_run_seconds": round(first_seconds, 1),
        "flood_waits_first_run": first_floods,
        "flood_waits": dict(floods),
        "flood_waits_by_hour": by_hour,
        "flood_waits_hourly_runs": sum(by_hour),
        "history_per_run_max": max(history),
        "refreshes_per_run_max": max(refreshes),
        "refreshes_per_run_mean": round(sum(refreshes) / hours, 1),
        "requests_per_run_max": max(requests),
        "requests_per_day": sum(requests),
        "seconds_per_run_max": round(max(seconds), 2),
        "seconds_per_run_mean": round(sum(seconds) / hours, 2),
        "pace_after_first_run": _pace(first.state),
        "pace": _pace(state),
    }


def _pace(state: dict[str, Any] | None) -> Any:
    """The learned budgets a STATE carries (``None``: none)."""
    return (state or {}).get("bookmarks", {}).get("chats", {}).get("memory", {}).get("pace")


ADMIN_STREAMS = ("admin_log", "channel_stats", "group_stats", "stats_graphs")
STATS_SUMMARIES = ("GetBroadcastStatsRequest", "GetMegagroupStatsRequest")


def admin_day(chats: int, log: Any, hours: int = 24) -> dict[str, Any]:
    """A first run, then ``hours`` quiet hourly runs of the admin streams over ``chats`` chats."""
    world = World(seed=30)
    world.add_generated_users(8)
    for index in range(chats):
        key, broadcast = f"a{index}", index % 2 == 0
        world.add_chat(key, "channel" if broadcast else "supergroup", messages=MESSAGES,
                       admin="admin", username=f"admin_chat_{index}")  # fmt: skip
        if broadcast:  # on statistics DC 4, two graphs loaded asynchronously
            enable_stats(world, key, dc=4, async_graphs=("languages", "followers"))
        else:
            enable_stats(world, key)
        add_admin_event(world, key, _toggle(True), date=NOW - dt.timedelta(hours=1))
    fake = FakeTelegram(world, now=NOW)
    config = config_for(world.seed, chats=[f"@admin_chat_{i}" for i in range(chats)])
    catalog = catalog_selecting(*ADMIN_STREAMS)
    runs: list[dict[str, int]] = []
    state: dict[str, Any] | None = None
    for hour in range(hours + 1):
        if hour:
            fake.next_hour()
        with quiet_logs():
            run = run_in_process(fake, config, state, catalog=catalog).check()
        state = run.state
        assert run.stats is not None
        runs.append(dict(run.stats.requests))
        log(f"bench: admin day, {chats} chats, run {hour}: {sum(runs[-1].values())} requests")
    quiet = runs[1:]
    return {
        "chats": chats,
        "hours": hours,
        "first": runs[0],
        "admin_log_per_quiet_run_max": max(r.get("GetAdminLogRequest", 0) for r in quiet),
        "stats_summaries_per_day": sum(r.get(n, 0) for r in quiet for n in STATS_SUMMARIES),
        "stats_requests_per_day": sum(
            r.get(n, 0) for r in quiet for n in (*STATS_SUMMARIES, "LoadAsyncGraphRequest")
        ),
        "quiet_runs_with_stats": sum(any(r.get(n) for n in STATS_SUMMARIES) for r in quiet),
        "requests_per_quiet_run_max": max(sum(r.values()) for r in quiet),
        "requests_per_quiet_run_min": min(sum(r.values()) for r in quiet),
    }


def _toggle(value: bool) -> Any:
    """An admin-log action: invites toggled."""
    return types.ChannelAdminLogEventActionToggleInvites(new_value=value)


def admin_goals(day: dict[str, Any]) -> dict[str, Any]:
    """Issue 30: one ``getAdminLog`` per chat per quiet run; statistics once per chat a day."""
    chats, prefix = day["chats"], f"admin_day_{day['chats']}"
    return {
        f"{prefix}_admin_log_per_quiet_run_max": day["admin_log_per_quiet_run_max"],
        f"{prefix}_stats_summaries_per_day": day["stats_summaries_per_day"],
        f"{prefix}_stats_requests_per_day": day["stats_requests_per_day"],
        f"{prefix}_requests_per_quiet_run": (
            f"{day['requests_per_quiet_run_min']}-{day['requests_per_quiet_run_max']}"
        ),
        f"{prefix}_goal_admin_log": day["admin_log_per_quiet_run_max"] <= chats,
        f"{prefix}_goal_stats_daily": day["stats_summaries_per_day"] <= chats
        and day["quiet_runs_with_stats"] <= 1,
    }


# -- all of it ---------------------------------------------------------------------------------


def run_steady(
    sizes: list[int], day_dialogs: int, folder: Path, log: Any = print
) -> tuple[list[Step], dict[str, Any]]:
    """Every size for both contenders, then the (paced) day; returns the steps and the day."""
    tree = before_tree(folder)
    steps: list[Step] = []
    for dialogs in sizes:
        steps += contender(dialogs, "now", None, folder, log)
        if tree is not None:
            steps += contender(dialogs, "before", tree, folder, log)
    if tree is None and 300 in sizes:
        steps += [Step(300, "before (issue 18)", name, {"total": n}, None)
                  for name, n in ISSUE_BEFORE.items()]  # fmt: skip
    return steps, flood_day(day_dialogs, log)


def goals(steps: list[Step]) -> dict[str, Any]:
    """Issue 18's goals, checked (the day's: :func:`day_goals`)."""
    out: dict[str, Any] = {}
    by = {(s.dialogs, s.runner, s.step): s for s in steps}
    for dialogs in sorted({s.dialogs for s in steps}):
        now = {name: by.get((dialogs, "now", name)) for name in ("first", "quiet", "changed")}
        before = {name: by.get((dialogs, "before", name)) for name in ("first", "quiet", "changed")}
        prefix = f"steady_{dialogs}"
        quiet, first, changed = now["quiet"], now["first"], now["changed"]
        if quiet is None or first is None or changed is None:
            continue
        out[f"{prefix}_budget"] = budget(dialogs)
        for name in ("first", "quiet", "changed"):
            mine, theirs = now[name], before[name]
            out[f"{prefix}_{name}_requests"] = mine.total if mine else None
            out[f"{prefix}_{name}_requests_before"] = theirs.total if theirs else None
            out[f"{prefix}_{name}_seconds"] = round(mine.seconds or 0, 1) if mine else None
            out[f"{prefix}_{name}_seconds_before"] = (
                round(theirs.seconds, 1) if theirs and theirs.seconds is not None else None
            )
        out[f"{prefix}_quiet_goal_without_history"] = quiet.total - quiet.history <= budget(dialogs)
        out[f"{prefix}_quiet_goal"] = quiet.total <= budget(dialogs)
        pages = math.ceil(NEW_MESSAGES / 100)
        out[f"{prefix}_changed_goal"] = changed.total - quiet.total <= CHANGED * (pages + 2)
        out[f"{prefix}_first_history_goal"] = first.history <= dialogs * (
            math.ceil(MESSAGES / 100) + 1
        )
        out[f"{prefix}_complete"] = (
            all(s.returncode == 0 for s in (first, quiet, changed)) and first.records > 0
        )
    return out


def day_goals(day: dict[str, Any], unpaced: dict[str, Any] | None = None) -> dict[str, Any]:
    """Issues 18 and 26: in the hourly runs after the first sync, nothing draws a FLOOD_WAIT.

    The first sync's waits (where each method's budget is learned) are reported apart,
    by class; the goals count the 24 hourly runs. ``unpaced``: the same day with pacing
    off (the tap before it learned budgets).
    """
    out: dict[str, Any] = {}
    floods = day["flood_waits"]
    refresh_floods = sum(n for name, n in floods.items() if name != HISTORY)
    prefix = f"steady_day_{day['dialogs']}"
    out[f"{prefix}_flood_waits_first_run"] = day["flood_waits_first_run"]
    out[f"{prefix}_flood_waits_hourly_runs"] = day["flood_waits_hourly_runs"]
    out[f"{prefix}_flood_waits_hourly_by_class"] = floods
    out[f"{prefix}_first_run_seconds"] = day["first_run_seconds"]
    out[f"{prefix}_pace"] = day["pace"]
    if unpaced is not None:
        out[f"{prefix}_flood_waits_first_run_pacing_off"] = unpaced["flood_waits_first_run"]
        out[f"{prefix}_flood_waits_hourly_runs_pacing_off"] = unpaced["flood_waits_hourly_runs"]
        out[f"{prefix}_seconds_per_run_mean"] = day["seconds_per_run_mean"]
        out[f"{prefix}_seconds_per_run_mean_pacing_off"] = unpaced["seconds_per_run_mean"]
    out[f"{prefix}_refreshes_per_run_max"] = day["refreshes_per_run_max"]
    out[f"{prefix}_goal_no_flood_wait_from_refreshes"] = refresh_floods == 0
    out[f"{prefix}_goal_no_flood_wait_in_hourly_runs"] = day["flood_waits_hourly_runs"] == 0
    return out


def table(steps: list[Step]) -> str:
    """A Markdown table of the steps."""
    lines = [
        "| dialogs | contender | run | requests | of them getHistory | seconds |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for s in steps:
        seconds = "" if s.seconds is None else f"{s.seconds:.1f}"
        lines.append(
            f"| {s.dialogs:,} | {s.runner} | {s.step} | {s.total:,} | {s.history:,} | {seconds} |"
        )
    return "\n".join(lines)
