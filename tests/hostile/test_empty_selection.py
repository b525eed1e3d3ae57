"""Issue 27, item 1: a run that selects no chat ends with one line and its exit code.

It used to end in an ``AssertionError`` traceback (exit 1) from the messages stream,
losing the failure summary. Now: chats that failed to resolve give the summary (exit
5, exit 0 with ``on_chat_error: skip``); a filter that leaves nothing names the filter
(exit 2); an export with no readable chat is an export error (exit 4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world
from tests.sources.export.support import chat, message, run_tap, write


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1].split("| ", 3)[-1]


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "AssertionError" not in stderr


@pytest.fixture(scope="module")
def world():
    world = three_chats_world(seed=27)
    world.expire_invite("goneHash27")
    return world


def test_every_listed_chat_failing_gives_the_failure_summary(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["https://t.me/+goneHash27"]))
    no_traceback(run.stderr)
    assert run.returncode == 5
    assert last_line(run.stderr).startswith("tap-telegram: 1 chat(s) failed")
    assert "invite link is invalid or expired" in last_line(run.stderr)
    assert "messages" not in run.records


def test_every_listed_chat_failing_with_skip_exits_zero(world):
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["https://t.me/+goneHash27"], on_chat_error="skip")
    run = run_fake_tap(fake, config)
    no_traceback(run.stderr)
    assert run.returncode == 0
    assert "1 chats failed" in run.stderr


def test_chat_types_that_leave_nothing_name_the_filter(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chat_types=["user"]))  # channels and groups only
    no_traceback(run.stderr)
    assert run.returncode == 2
    assert "no chat to extract: setting 'chat_types' left none of the chats" in last_line(
        run.stderr
    )
    assert "extracting every chat" not in run.stderr


def test_exclude_chats_that_take_out_every_listed_chat(world):
    fake = FakeTelegram(world)
    chat_id = str(world.marked_id("channel"))
    run = run_fake_tap(fake, fake.tap_config(chats=[chat_id], exclude_chats=[chat_id]))
    no_traceback(run.stderr)
    assert run.returncode == 2
    assert "setting 'chats' then 'exclude_chats' left none of the chats" in last_line(run.stderr)


def test_export_title_matching_nothing_is_a_failed_chat(tmp_path: Path):
    write(tmp_path / "ex" / "result.json", chat([message(1)]))
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex"), "chats": ["Nope"]})
    no_traceback(run.stderr)
    assert run.returncode == 5
    assert "chat Nope: not in the export" in last_line(run.stderr)


def test_export_chat_types_leaving_nothing(tmp_path: Path):
    write(tmp_path / "ex" / "result.json", chat([message(1)]))
    config = {"export_path": str(tmp_path / "ex"), "chat_types": ["user"]}
    run = run_tap(tmp_path / "run", config)
    no_traceback(run.stderr)
    assert run.returncode == 2
    assert last_line(run.stderr) == (
        "tap-telegram: no chat to extract: setting 'chat_types' left none of the chats (1 "
        "found in the export); check those settings (`chat_types`: user, group, supergroup, "
        "channel)"
    )
    assert run.records == {} or "messages" not in run.records


def test_export_whose_only_chat_has_an_unknown_type(tmp_path: Path):
    write(tmp_path / "ex" / "result.json", chat([message(1)], type="future_kind"))
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex")})
    no_traceback(run.stderr)
    assert run.returncode == 4
    assert "no chat of a type this tap reads" in last_line(run.stderr)
