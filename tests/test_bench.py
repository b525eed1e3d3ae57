"""``make bench`` at tiny sizes, so its machinery cannot rot (no timing is asserted)."""

from __future__ import annotations

import itertools
import json

import ijson
import msgspec

from bench import busy_day, changes, compare, export_bench, export_parse, overrides, steady
from bench.__main__ import flood_share, main, request_goals, table
from bench.export_memory import write_export
from bench.runners import run_naive, run_tap
from bench.scenarios import Scenario, scenarios
from tap_telegram.singer.sdk_private import SdkStream


def test_bench_main_prints_table_and_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(
        [
            "--scale",
            "0.001",
            "--only",
            "0ms",
            "--naive-seconds",
            "0.3",
            "--repeat",
            "1",
            "--json-out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "| 1 chat, 0 ms | tap | 200 |" in printed
    line = json.loads(out.read_text(encoding="utf-8"))
    assert printed.rstrip().endswith(json.dumps(line))
    runners = {r["runner"]: r for r in line["results"]}
    assert set(runners) == {"ceiling", "ceiling-tuned", "naive", "tap"}
    for name in ("ceiling", "ceiling-tuned", "tap"):
        assert runners[name]["messages"] == 200, name
        assert runners[name]["peak_rss_mb"] > 10
    assert runners["naive"]["messages"] > 0
    assert line["goals"]["tap_complete"] is True
    assert isinstance(line["goals"]["0ms_tap_vs_ceiling"], float)


def test_scenarios_are_the_issues_six():
    keys = [s.key for s in scenarios()]
    assert keys == ["0ms", "100ms", "20chats", "flood", "1M", "sparse"]
    full = {s.key: s.messages for s in scenarios()}
    assert full == {"0ms": 100_000, "100ms": 100_000, "20chats": 100_000, "flood": 12_000,
                    "1M": 1_000_000, "sparse": 10_000}  # fmt: skip


def test_sparse_scenario_has_long_deleted_ranges_and_random_gaps():
    (chat,) = next(s for s in scenarios() if s.key == "sparse").spec()["chats"]
    deleted = chat["deleted"]
    assert chat["messages"] - len(deleted) == 10_000
    assert len(set(deleted)) == len(deleted)
    assert 1 not in deleted
    assert chat["messages"] not in deleted
    runs, length = [], 1
    for before, after in itertools.pairwise(deleted):
        if after == before + 1:
            length += 1
        else:
            runs.append(length)
            length = 1
    assert max(runs) >= 200, "long deleted ranges"
    assert runs.count(1) >= 1_000, "and single gaps"


def test_sparse_scenario_reports_requests_of_both_readers(tmp_path):
    tiny = Scenario("sparse", "tiny sparse", 1, 600, spread=4)
    results = [run_tap(tiny, tmp_path), run_tap(tiny, tmp_path, single=True)]
    assert [(r.runner, r.messages, r.returncode) for r in results] == [
        ("tap", 600, 0),
        ("tap-1", 600, 0),
    ]
    goals = request_goals(results)
    assert goals["sparse_history_requests_tap_1"] == results[1].extra["history_requests"] > 0
    assert goals["sparse_goal_requests_1.1"] is True
    assert "| tiny sparse | tap-1 | 600 |" in table(results, {"sparse": "tiny sparse"})


def test_flood_limited_tap_and_naive_on_tiny_worlds(tmp_path):
    tiny = Scenario("tflood", "tiny flood", 1, 1_000, flood_limit=(4, 1.0))
    result = run_tap(tiny, tmp_path)
    assert result.returncode == 0, result.extra.get("stderr_tail")
    assert result.messages == 1_000
    assert result.extra["flood_waits"] >= 1
    assert result.extra["flood_wait_log_lines"] >= result.extra["flood_waits"]
    accepted, share = flood_share(result, (4, 1.0))
    assert 0 < accepted <= result.extra["history_requests"]
    assert share > 0
    single = run_tap(Scenario("t2", "two chats", 2, 150, kind="supergroup"), tmp_path, single=True)
    assert (single.runner, single.messages, single.returncode) == ("tap-1", 300, 0)
    naive = run_naive(Scenario("t3", "naive", 2, 60, kind="group"), tmp_path, 10.0)
    assert naive.returncode == 0
    assert naive.messages == 120, "the naive script reads every chat"


def test_steady_state_bench_on_a_tiny_world(tmp_path):
    tree = steady.before_tree(tmp_path)
    assert tree is not None, "the tap before the dialogs pass comes from git"
    assert (tree / "tap_telegram" / "sources" / "mtproto" / "fetch.py").exists()
    assert not (tree / "tap_telegram" / "sources" / "mtproto" / "dialogs.py").exists()
    steps = steady.contender(20, "now", None, tmp_path, log=lambda *_: None)
    steps += steady.contender(20, "before", tree, tmp_path, log=lambda *_: None)
    day = steady.flood_day(20, log=lambda *_: None, hours=2)
    assert [(s.runner, s.step) for s in steps] == [
        (runner, step) for runner in ("now", "before") for step in ("first", "quiet", "changed")
    ]
    assert all(s.returncode == 0 for s in steps)
    by = {(s.runner, s.step): s for s in steps}
    assert by["now", "first"].records == by["before", "first"].records > 0
    # Before: full info and members of every chat on every run; now: the dialogs pass.
    assert by["before", "quiet"].requests.get("GetFullChannelRequest", 0) == 10
    assert by["now", "quiet"].requests.get("GetFullChannelRequest", 0) == 0
    goals = {**steady.goals(steps), **steady.day_goals(day)}
    assert goals["steady_20_quiet_goal_without_history"] is True
    assert goals["steady_20_quiet_requests"] < goals["steady_20_quiet_requests_before"]
    assert goals["steady_day_20_goal_no_flood_wait_from_refreshes"] is True
    assert "| 20 | before | quiet |" in steady.table(steps)


def test_state_scenario_on_a_tiny_world(capsys, monkeypatch):
    """Issue 26's scenario: counts of STATE against RECORD bytes, before and now, and CPU."""
    from bench import state_cost

    monkeypatch.setattr(state_cost, "CHECK_STREAMS", True)  # every run through the checker
    result = state_cost.run_state(0.01, log=lambda *_: None)
    runs = {(r.case, r.dialogs, r.contender): r for r in result["runs"]}
    assert set(runs) == {
        (case, dialogs, contender)
        for case, dialogs in [("first", 20), ("quiet", 20), ("changed", 20), ("private_1M", 1)]
        for contender in ("before", "now")
    }
    for (case, dialogs, _), now in ((k, r) for k, r in runs.items() if k[2] == "now"):
        before = runs[case, dialogs, "before"]
        assert now.records == before.records, "the same records either way"
        assert now.state_lines <= before.state_lines
        assert now.state_bytes <= before.state_bytes
    assert runs["first", 20, "now"].records > 0
    assert set(result["cpu"]) == {20, 50, 100}
    table = state_cost.table(result)
    assert "| first | 20 |" in table
    assert "| 100 |" in table
    assert result["goals"]["state_goal_all_now"] is True
    first = runs["first", 20, "now"]
    goal = result["goals"]["final_state_goal_200_bytes_per_chat_20"]
    assert goal == first.bytes_per_chat_without_changes() > 0, "the goal with its number"
    assert result["goals"]["final_state_goal_200_bytes_per_chat_20_with_change_capture"] > goal
    assert 0 < first.memory_bytes_per_chat() < first.final_bytes_per_chat()
    assert isinstance(result["goals"]["cpu_goal_100_within_1.2x_of_20"], bool)


def test_state_cpu_goal_is_judged_at_the_largest_planned_size():
    """A size whose run gave no figure (not every dialog read) fails the goal."""
    from bench import state_cost

    cpu = {20: {"before": 100.0, "now": 100.0}, 5_000: {"before": 400.0, "now": 110.0}}
    planned = [20, 2_000, 5_000, 10_000]
    missing = state_cost.goals([], cpu, planned)
    assert missing["cpu_goal_10000_within_1.2x_of_20"] is False
    assert missing["cpu_10000_now_vs_20"] is None
    cpu[10_000] = {"before": 900.0, "now": 119.0}
    met = state_cost.goals([], cpu, planned)
    assert met["cpu_goal_10000_within_1.2x_of_20"] is True
    assert met["cpu_10000_now_vs_20"] == 1.19
    cpu[10_000]["now"] = 121.0
    assert state_cost.goals([], cpu, planned)["cpu_goal_10000_within_1.2x_of_20"] is False
    assert "| 10,000 | 900.0 | 121.0 | 9.0 | 1.21 |" in state_cost.table({"runs": [], "cpu": cpu})


def test_changes_scenario_on_a_tiny_world(tmp_path, capsys):
    setup = changes.setup(0.01)
    assert (setup.channel, setup.window, setup.mutations, setup.old_edits) == (1_000, 500, 100, 20)
    out = tmp_path / "bench.json"
    assert main(["--scale", "0.01", "--only", "changes", "--json-out", str(out)]) == 0
    printed = capsys.readouterr().out
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["changes_setup"] == setup.as_dict()
    goals = line["goals"]
    for key in ("changes_requests_goal", "changes_old_edits_caught", "changes_same_caught",
                "changes_complete"):  # fmt: skip
        assert goals[key] is True, key
    mutations = goals["changes_mutations"]
    edits, deletions = mutations["edits"], mutations["deletions"]
    assert edits + deletions == 100
    assert min(edits, deletions) > 20
    assert mutations["old_edits"] == 20
    assert mutations["updates_per_log"] == {"channel": 110, "account": 10}
    assert goals["changes_requests_budget"] == 2 + 1 + 3
    runs = {(r["runner"], r["server"], r["latency"]): r for r in line["changes"]}
    assert set(runs) == {
        (name, server, lat) for name, server in changes.SECOND_RUNS for lat in (0, 0.1)
    }
    # Telegram's rule: 110 channel updates are "too long": only the private chats' changes.
    assert goals["changes_telegram_requests_goal"] is True
    assert goals["changes_telegram_private_caught_all"] is True
    assert goals["changes_telegram_requests_budget"] == 1 + 1 + 3
    assert goals["changes_telegram_track_changes_caught"] == 10
    assert goals["changes_telegram_old_edits_track_changes"] == 0
    assert "generous" in goals["changes_servers"]
    for latency in (0, 0.1):
        telegram = runs["track_changes", "telegram", latency]
        assert telegram["returncode"] == 0
        assert (telegram["private_caught"], telegram["old_edits_caught"]) == (10, 0)
        assert telegram["requests_by_class"]["GetChannelDifferenceRequest"] == 1  # too long
        track = runs["track_changes", "generous", latency]
        lookback = runs["lookback", "telegram", latency]
        assert track["returncode"] == lookback["returncode"] == 0
        # The generous server: every change, old edits included, from the update logs alone.
        assert (track["edits_caught"], track["deletions_caught"]) == (edits, deletions)
        assert track["old_edits_caught"] == 20
        assert track["private_caught"] == 10
        by_class = track["requests_by_class"]
        assert by_class["GetChannelDifferenceRequest"] == 2  # 110 updates, 100 a page
        assert "GetHistoryRequest" not in by_class
        assert 0 < track["requests_beyond_quiet_run"] <= goals["changes_requests_budget"]
        # The window: its edits and the channel's deletions (private ids are per account).
        private_deletions = 10 - lookback["private_caught"]
        assert private_deletions > 0
        assert lookback["edits_caught"] == edits
        assert lookback["deletions_caught"] == deletions - private_deletions
        assert lookback["old_edits_caught"] == 0
        assert "GetChannelDifferenceRequest" not in lookback["requests_by_class"]
        assert lookback["requests_by_class"]["GetHistoryRequest"] >= setup.window // 100
        assert lookback["requests"] > track["requests"]
    assert goals["changes_old_edits_lookback"] == 0
    assert goals["changes_0ms_requests_lookback_vs_track_changes"] > 1
    assert "| 100 ms | lookback | telegram |" in printed
    assert "| 0 ms | track_changes | generous |" in printed
    assert "Servers: telegram: too long past 100 updates" in printed


def test_admin_day_costs_one_admin_log_request_per_chat_and_stats_once_a_day():
    day = steady.admin_day(4, log=lambda *_: None, hours=16)  # 09:30 + 15 h crosses midnight
    goals = steady.admin_goals(day)
    assert goals["admin_day_4_goal_admin_log"] is True
    assert goals["admin_day_4_goal_stats_daily"] is True
    assert day["admin_log_per_quiet_run_max"] == 4
    assert day["quiet_runs_with_stats"] == 1
    # Next day: the remembered DC is asked directly: one summary per chat.
    assert day["stats_summaries_per_day"] == 4


def _bench_line(tap_rate: int, ceiling_rate: int, requests: int, seconds: float) -> dict:
    """A bench JSON line with one 0 ms result pair, a goal and a steady step."""
    return {
        "bench": "tap-telegram",
        "scale": 1.0,
        "seconds": seconds,
        "machine": {"load_avg_1m": 1.0, "load_avg_1m_end": 1.5},
        "goals": {"tap_complete": True, "0ms_tap_vs_ceiling": round(tap_rate / ceiling_rate, 2)},
        "results": [
            {"scenario": "0ms", "runner": "ceiling", "msgs_per_s": ceiling_rate},
            {
                "scenario": "0ms",
                "runner": "tap",
                "msgs_per_s": tap_rate,
                "net_msgs_per_s": tap_rate + 100,
                "history_requests": 1000,
            },
        ],
        "steady": [
            {"dialogs": 300, "runner": "tap", "step": "quiet", "requests": requests, "seconds": 2.0}
        ],
        "changes": [],
    }


def test_compare_prints_each_row_side_by_side_and_marks_what_moved(tmp_path, capsys):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text("bench: noise\n" + json.dumps(_bench_line(15000, 20000, 13, 600.0)) + "\n")
    after.write_text(json.dumps(_bench_line(10000, 20000, 14, 610.0)) + "\n")
    assert compare.main([str(before), str(after)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out if line.startswith("| ")}
    assert rows["goal 0ms_tap_vs_ceiling"] == "| goal 0ms_tap_vs_ceiling | 0.75 | 0.5 | 0.67 | ! |"
    assert rows["0ms ceiling msgs/s"] == "| 0ms ceiling msgs/s | 20,000 | 20,000 | 1.00 |  |"
    assert rows["0ms tap msgs/s"].endswith("| 0.67 | ! |")
    assert rows["steady 300 tap quiet requests"] == (
        "| steady 300 tap quiet requests | 13 | 14 | 1.08 | ! |"  # a count: any change
    )
    assert rows["bench seconds"].endswith("| 1.02 |  |")
    assert "goal tap_complete" not in rows  # not a number
    assert out[-1] == "4 of 8 rows outside 1 ± 0.2 (or a changed count)"


def test_overrides_measures_each_speed_override_with_and_without(capsys):
    """``python -m bench.overrides`` at tiny sizes: both modes run, the override is restored."""
    assert overrides.main(["--rounds", "2", "--messages", "300", "--chats", "8"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    for name in ("record_loop", "state_writer"):
        assert len(line[name]["with_us_per_msg"]) == len(line[name]["without_us_per_msg"]) == 2
        assert line[name]["median_with"] > 0
    assert SdkStream._sdk_path_is_a_loop is overrides.LOOP


def test_busy_day_on_a_tiny_account():
    """The busy day (issue 25) at a tiny scale: the sweep delivers old changes a lookback misses."""
    setup = busy_day.Setup(
        dialogs=8, busy=1, start_messages=400, events_per_hour=300, hours=3, week=8,
        budget=10, simulate_week=True,
    )  # fmt: skip
    lines: list[str] = []
    sweep = busy_day.run_contender(setup, "sweep", {"verify_requests_per_run": 10}, lines.append)
    lookback = busy_day.run_contender(
        setup, "lookback", {"verify_requests_per_run": 0, "lookback_messages": 100}, lines.append
    )
    assert len(sweep.old.edits) == len(sweep.old.deletions) == setup.hours
    # Old changes are beyond "too long" and the window: only the sweep delivers them.
    assert lookback.week_share == 0.0
    assert sweep.week_share == 1.0
    assert sweep.quiet_history <= setup.budget
    goals = busy_day.goals([sweep, lookback], setup)
    assert goals["busy_quiet_run_within_budget"] is True
    table = busy_day.table([sweep, lookback])
    assert "sweep" in table
    assert "lookback" in table


def test_export_bench_compares_the_same_records(tmp_path):
    """The export scenario: both contenders, same records (count and hash), a ratio."""
    runs = export_bench.run_export(0.001, tmp_path, repeat=1, log=lambda _: None)
    assert {run.runner for run in runs} == {"export-ceiling", "export-tap"}
    assert all(run.records == 2_000 and run.returncode == 0 for run in runs)
    found = export_bench.goals(runs)
    assert found["export_complete"] is True
    assert found["export_same_records"] is True
    assert isinstance(found["export_tap_vs_ceiling_cpu"], float)
    assert "| export-tap | 2,000 |" in export_bench.table(runs)


def test_export_parse_measures_each_way_of_parsing_on_a_small_export(capsys):
    """bench.export_parse: every way parses the same messages; one table, one JSON line."""
    data = b'{"messages": [\n  {"id": 1},\n  {"id": 2}\n ]\n}'
    assert [data[start:end] for start, end in export_parse.runs(data)] == [
        b'\n  {"id": 1},\n  {"id": 2}\n '
    ]
    found = export_parse.main(["--messages", "300", "--rounds", "1"])
    assert set(found) >= {"export_parse_scan_s", "export_parse_read-msgspec_s"}
    out = capsys.readouterr().out
    assert "| one-parse |" in out
    assert out.strip().splitlines()[-1].startswith("{")


def test_export_parse_msgspec_runs_decode_the_very_messages_ijson_reads(tmp_path):
    """The proposed read (msgspec over ~64 KB runs) gives the objects ijson's items give."""
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    data = path.read_bytes()
    spans = export_parse.runs(data)
    assert len(spans) > 1
    decode = msgspec.json.Decoder().decode
    decoded = [m for start, end in spans for m in decode(b"[" + data[start:end] + b"]")]
    with path.open("rb") as handle:
        assert decoded == list(ijson.items(handle, "messages.item", use_float=True))
    assert export_parse.one_parse(data, spans)[0] == 3_000
