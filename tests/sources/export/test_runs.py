"""Whole tap runs on exports (the CLI in a subprocess): STATE, reruns, exit codes, summary."""

from __future__ import annotations

import shutil

from tests.sources.export.support import ERAS, chat, message, run_tap, write

ALLOTMENT = -1001187654321
OLD_HISTORY = [-999999942, -999999941, -999999940, -999999939]
BERLIN = {"export_timezone": "Europe/Berlin"}
CHAT = -1000000000777


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "ERROR" in line and "tap-telegram: " in line]


def test_old_export_without_the_zone_is_one_line_exit_4(tmp_path):
    path = ERAS / "2019-account-typed-ids.json"
    run = run_tap(tmp_path, {"export_path": str(path)})
    assert run.returncode == 4
    assert "Traceback" not in run.stderr
    (line,) = [line for line in error_lines(run.stderr) if "export_timezone" in line]
    assert str(path) in line
    assert run.records.get("messages") is None


def test_migrated_supergroup_bookmarks_across_reruns_and_a_later_export(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(ERAS / "2019-account-typed-ids.json", exports / "2019.json")
    config = {"export_path": str(exports), "chats": ["Allotment 7"], **BERLIN}

    first = run_tap(tmp_path, config)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.ids(ALLOTMENT) == [*OLD_HISTORY, 1, 2, 3, 4, 5]
    assert first.bookmarks() == {ALLOTMENT: 5}

    # interrupted inside the old group's history: the rerun goes on from there
    state = {
        "bookmarks": {
            "messages": {
                "partitions": [
                    {
                        "context": {"chat_id": ALLOTMENT},
                        "replication_key": "id",
                        "replication_key_value": -999999941,
                    }
                ]
            }
        }
    }
    resumed = run_tap(tmp_path, config, state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.ids(ALLOTMENT) == [-999999940, -999999939, 1, 2, 3, 4, 5]

    # the same chat exported again later, next to the old export: only the new messages
    shutil.copy(ERAS / "2024-chat-migrated.json", exports / "2024.json")
    later = run_tap(tmp_path, config, first.state)
    assert later.returncode == 0, later.stderr[-2000:]
    assert later.ids(ALLOTMENT) == [6, 7, 8]
    assert later.bookmarks() == {ALLOTMENT: 8}


def test_start_message_id_skips_the_migrated_history(tmp_path):
    config = {
        "export_path": str(ERAS / "2024-chat-migrated.json"),
        "start_message_id": 2,
    }
    run = run_tap(tmp_path, config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids(ALLOTMENT) == [3, 4, 5, 6, 7, 8]


def test_a_failed_chat_is_counted_named_by_marked_id_and_resumed_after_a_fix(tmp_path):
    good = [message(index) for index in range(1, 7)]
    damaged = [*good[:3], message(5, "a different text"), *good[3:]]  # two different 5s
    path = write(tmp_path / "export" / "result.json", chat(damaged))

    run = run_tap(tmp_path, {"export_path": str(path)})
    assert run.returncode == 5
    assert "Traceback" not in run.stderr
    assert run.ids(CHAT) == [1, 2, 3, 4]
    assert run.bookmarks() == {CHAT: 4}  # never past the contradiction at 5
    summary = [line for line in run.stderr.splitlines() if "run summary:" in line]
    assert "1 chats failed" in summary[0]
    assert f"chat {CHAT} ('Test group'): export file {path}: message id 5" in run.stderr

    failing = run_tap(tmp_path, {"export_path": str(path), "on_chat_error": "fail"})
    assert failing.returncode == 4
    # The one line that says what to do, without the SDK's "unhandled error" line above it.
    (line,) = [line for line in failing.stderr.splitlines() if "| ERROR" in line]
    assert "message id 5: the file holds two different messages" in line
    summary = [line for line in failing.stderr.splitlines() if "run summary:" in line]
    assert "1 chats failed" in summary[0]

    write(path, chat(good))  # the file fixed (or exported again)
    rerun = run_tap(tmp_path, {"export_path": str(path)}, run.state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.ids(CHAT) == [5, 6]


def test_adjacent_messages_in_the_wrong_order_all_load(tmp_path):
    rows = [message(index) for index in (1, 2, 4, 3, 5)]
    path = write(tmp_path / "export" / "result.json", chat(rows))
    run = run_tap(tmp_path, {"export_path": str(path)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids(CHAT) == [1, 2, 3, 4, 5]
    assert run.bookmarks() == {CHAT: 5}
