"""The change capture scenario's report: goals (``changes_*`` keys) and its table.

See :mod:`bench.changes` for the scenario, its two servers and what the goals mean.
"""

from __future__ import annotations

from typing import Any

from bench.changes import CHANNEL_DIFFERENCE, DIFFERENCE, HISTORY, SERVER_NOTE, Mutations, Run
from bench.steady import Step


def _ms(latency: float) -> str:
    return f"{latency * 1000:g}ms"


def goals(runs: list[Run], changes: Mutations, firsts: list[Step]) -> dict[str, Any]:
    """Requests, seconds, what each caught, and the goals (``changes_*`` keys)."""
    out: dict[str, Any] = {"changes_servers": SERVER_NOTE}
    by = {
        (r.runner, r.latency): r
        for r in runs
        if r.server == "generous" or r.runner != "track_changes"
    }
    window = len(changes.edits) + len(changes.deletions)
    out["changes_mutations"] = {
        "edits": len(changes.edits),
        "deletions": len(changes.deletions),
        "old_edits": len(changes.old_edits),
        "updates_per_log": changes.units,
    }
    for latency in sorted({r.latency for r in runs}):
        track, lookback = by.get(("track_changes", latency)), by.get(("lookback", latency))
        if track is None or lookback is None:
            continue
        ms = _ms(latency)
        for run in (track, lookback):
            out[f"changes_{ms}_{run.runner}_requests"] = run.step.total
            out[f"changes_{ms}_{run.runner}_seconds"] = round(run.step.seconds or 0.0, 2)
        out[f"changes_{ms}_requests_lookback_vs_track_changes"] = _ratio(
            lookback.step.total, track.step.total
        )
        out[f"changes_{ms}_seconds_lookback_vs_track_changes"] = _ratio(
            lookback.step.seconds or 0.0, track.step.seconds or 0.0
        )
    out.update(_telegram_goals(runs, changes))
    track_runs = [r for r in runs if r.runner == "track_changes" and r.server == "generous"]
    lookback_runs = [r for r in runs if r.runner == "lookback"]
    if track_runs and lookback_runs:
        track, lookback = track_runs[-1], lookback_runs[-1]
        out["changes_in_window"] = window
        out["changes_track_changes_caught"] = len(track.edits | track.deletions)
        out["changes_lookback_caught"] = len(lookback.edits | lookback.deletions)
        out["changes_old_edits_track_changes"] = len(track.old_edits)
        out["changes_old_edits_lookback"] = len(lookback.old_edits)
        out["changes_requests_budget"] = changes.request_budget()
        beyond = [r.beyond_quiet for r in track_runs]
        out["changes_track_changes_requests_beyond_quiet_run"] = max(b or 0 for b in beyond)
        out["changes_track_changes_update_log_requests"] = max(r.update_log for r in track_runs)
        out["changes_requests_goal"] = all(
            b is not None and b <= changes.request_budget() for b in beyond
        )
        out["changes_old_edits_caught"] = all(
            len(r.old_edits) == len(changes.old_edits) for r in track_runs
        )
        out["changes_same_caught"] = all(
            lb.caught <= tc.caught for lb in lookback_runs for tc in track_runs
        )
    out["changes_complete"] = (
        bool(runs)
        and all(r.step.returncode == 0 for r in runs)
        and all(s.returncode == 0 and s.records > 0 for s in firsts)
    )
    return out


def _telegram_goals(runs: list[Run], changes: Mutations) -> dict[str, Any]:
    """What ``track_changes`` reaches and costs under Telegram's rule (``changes_telegram_*``)."""
    track = [r for r in runs if r.runner == "track_changes" and r.server == "telegram"]
    if not track:
        return {}
    last = track[-1]
    return {
        "changes_telegram_track_changes_caught": len(last.edits | last.deletions),
        "changes_telegram_old_edits_track_changes": len(last.old_edits),
        "changes_telegram_private_caught": last.private,
        "changes_telegram_requests_budget": changes.telegram_budget(),
        "changes_telegram_requests_goal": all(
            r.beyond_quiet is not None and r.beyond_quiet <= changes.telegram_budget()
            for r in track
        ),
        "changes_telegram_private_caught_all": all(r.private == changes.private for r in track),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def table(runs: list[Run], changes: Mutations) -> str:
    """A Markdown table of the measured runs."""
    edits, deletions = len(changes.edits), len(changes.deletions)
    lines = [
        "| latency | contender | server | requests | getChannelDifference | getDifference "
        "| getHistory | seconds | message records | edits caught | deletions caught "
        "| old edits caught |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.latency * 1000:g} ms | {r.runner} | {r.server} | {r.step.total:,} "
            f"| {r.requests(CHANNEL_DIFFERENCE):,} | {r.requests(DIFFERENCE):,} "
            f"| {r.requests(HISTORY):,} | {r.step.seconds or 0:.1f} | {r.messages:,} "
            f"| {len(r.edits):,}/{edits:,} | {len(r.deletions):,}/{deletions:,} "
            f"| {len(r.old_edits)}/{len(changes.old_edits)} |"
        )
    lines.append(f"\nServers: {SERVER_NOTE}.")
    return "\n".join(lines)
