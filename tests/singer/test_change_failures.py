"""Change capture when an update log fails: that box's changes wait, nothing else does.

The real tap runs in this process against the fake Telegram with faults on the update
requests (``updates.getState``, ``getDifference``, ``getChannelDifference``). Every run's
whole stream goes through the stream checker (no STATE covers a change not written,
unless the chat is marked for verification); requests are counted by type.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram, TapRun, UpdateLogSettings, World, run_in_process
from tests.singer.test_changes import (
    CHANNEL_DIFF,
    DIFF,
    config,
    counts,
    make_world,
    messages,
    partitions,
)

#: Above any max_flood_wait: the request fails at once (no Telethon retries, no sleep).
LONG_FLOOD = "FLOOD_WAIT_100000"


@pytest.fixture
def world() -> World:
    return make_world()


def account_log(run: TapRun) -> dict[str, Any]:
    assert run.state is not None
    return dict(run.state["bookmarks"]["messages"]["account_log"])


def stream_state(run: TapRun) -> dict[str, Any]:
    assert run.state is not None
    return dict(run.state["bookmarks"]["messages"])


def clean(run: TapRun, code: int = 0) -> TapRun:
    """The run exited ``code`` without a traceback; its stream was checked as it ran."""
    assert run.returncode == code, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run


def summary(caplog: pytest.LogCaptureFixture) -> str:
    """The last run's summary line (INFO: caught with ``caplog`` at that level)."""
    return [m for m in caplog.messages if m.startswith("run summary:")][-1]


def new_rows(run: TapRun, world: World, appended: dict[str, list[int]]) -> None:
    """Every chat's new messages are out, exactly."""
    for key, ids in appended.items():
        chat = world.marked_id(key)
        got = [r["id"] for r in messages(run) if r["chat_id"] == chat and r["id"] in ids]
        assert got == ids, key


def test_an_account_log_that_keeps_failing_costs_no_history_and_is_an_error_at_3_runs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tap-telegram")
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    before = account_log(first)
    bob = world.marked_id("bob")
    edited = world.text_ids("bob")[4]
    world.edit_message("bob", edited, "waits for the log")
    fake.add_fault(DIFF, LONG_FLOOD, times=None)
    state = first.state
    for run_no in (1, 2, 3):
        appended = {key: world.append_messages(key, 2) for key in ("news", "bob", "fam")}
        run = clean(run_in_process(fake, cfg, state), 0 if run_no < 3 else 5)
        new_rows(run, world, appended)
        assert (bob, edited) not in {(r["chat_id"], r["id"]) for r in messages(run)}
        assert account_log(run) == before  # the position stays
        assert stream_state(run)["account_log_failures"] == run_no
        assert "1 failed (position kept)" in summary(caplog)
        state = run.state
    errors = [line for line in run.stderr.splitlines() if "failed in 3 runs in a row" in line]
    assert len(errors) == 1, run.stderr[-3000:]
    assert "the account's update log" in errors[0]
    fake.faults.clear()
    back = clean(run_in_process(fake, cfg, state))
    assert [(r["id"], r["text"]) for r in messages(back)] == [(edited, "waits for the log")]
    assert "account_log_failures" not in stream_state(back)  # reset once it reads
    assert account_log(back)["pts"] == world.account_pts


@pytest.mark.slow  # Telethon sends a server error 6 times, 2 s apart
def test_a_server_error_on_get_state_still_delivers_every_chat(world: World) -> None:
    """A first run whose getState keeps failing (Telethon's retries, then RPC_CALL_FAIL)."""
    fake = FakeTelegram(world)
    fake.add_fault("GetStateRequest", "RPC_CALL_FAIL", times=None)
    run = clean(run_in_process(fake, config(fake, world)))
    for key in ("news", "devs", "forum", "bob", "fam"):
        chat = world.marked_id(key)
        assert [r["id"] for r in messages(run) if r["chat_id"] == chat] == world.message_ids(key)
    assert "account_log" not in stream_state(run)
    assert stream_state(run)["account_log_failures"] == 1
    assert "kept answering GetStateRequest with a server error" in run.stderr


def test_a_channel_log_that_keeps_failing_is_marked_counted_and_an_error_at_3_runs(
    world: World,
) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    news = world.marked_id("news")
    pts_before = partitions(first)[news]["pts"]
    edited = world.text_ids("news")[7]
    world.edit_message("news", edited, "waits for the channel's log")
    world.edit_message("bob", world.text_ids("bob")[2], "private edit")
    fake.add_fault(CHANNEL_DIFF, LONG_FLOOD, chat="@cc_news", times=None)
    state = first.state
    for run_no in (1, 2, 3):
        appended = {key: world.append_messages(key, 1) for key in ("news", "devs", "bob")}
        run = clean(run_in_process(fake, cfg, state), 0 if run_no < 3 else 5)
        new_rows(run, world, appended)
        part = partitions(run)[news]
        assert part["pts"] == pts_before
        assert part["log_failures"] == run_no
        assert part["verify"] == 3  # Reason.LOG_FAILED
        # A channel never holds the account's position back: the private edit once.
        private = [r for r in messages(run) if r.get("text") == "private edit"]
        assert len(private) == (1 if run_no == 1 else 0)
        assert account_log(run)["pts"] == world.account_pts
        state = run.state
    error = next(line for line in run.stderr.splitlines() if "failed in 3 runs" in line)
    assert f"chat {news}" in error
    fake.faults.clear()
    back = clean(run_in_process(fake, cfg, state))
    assert [(r["id"], r["text"]) for r in messages(back)] == [
        (edited, "waits for the channel's log")
    ]
    assert "log_failures" not in partitions(back)[news]
    assert partitions(back)[news]["pts"] == world.chat("news").pts


def test_a_connection_lost_during_a_channel_log_is_that_logs_failure_only(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world, max_reconnect_seconds=1)
    first = run_in_process(fake, cfg).check()
    world.edit_message("news", world.text_ids("news")[3], "after the outage")
    appended = {key: world.append_messages(key, 2) for key in ("news", "devs", "bob")}
    fake.add_fault(CHANNEL_DIFF, kind="disconnect", outage_seconds=1.5)
    run = clean(run_in_process(fake, cfg, first.state))
    new_rows(run, world, appended)
    news = world.marked_id("news")
    assert partitions(run)[news]["log_failures"] == 1
    assert partitions(run)[news]["pts"] == partitions(first)[news]["pts"]


@pytest.mark.parametrize("error", ["PERSISTENT_TIMESTAMP_INVALID", "CHANNEL_PRIVATE"])
def test_a_refused_channel_position_is_replaced_only_with_a_mark(
    world: World, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tap-telegram")
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    news = world.marked_id("news")
    world.edit_message("news", world.text_ids("news")[9], "the log cannot say")
    fake.add_fault(CHANNEL_DIFF, error, chat="@cc_news")
    run = clean(run_in_process(fake, cfg, first.state))
    part = partitions(run)[news]
    assert part["verify"] == 2  # Reason.REFUSED: the sweep re-reads it
    assert part["pts"] == world.chat("news").pts
    line = next(line for line in run.stderr.splitlines() if "refused the update-log" in line)
    assert error in line
    assert "marked for verification" in line
    assert "by hand" not in line  # the STATE is the tap's own
    assert "1 refused" in summary(caplog)


def test_a_refused_position_of_a_public_channel_that_is_no_dialog_works() -> None:
    world = make_world()
    world.add_chat("public", "channel", messages=90, username="cc_public", member=False)
    fake = FakeTelegram(world)
    cfg = fake.tap_config(chats=["@cc_public"])
    first = run_in_process(fake, cfg).check()
    world.edit_message("public", world.text_ids("public")[0], "the log cannot say")
    appended = world.append_messages("public", 2)
    fake.add_fault(CHANNEL_DIFF, "PERSISTENT_TIMESTAMP_INVALID")
    run = clean(run_in_process(fake, cfg, first.state))
    public = world.marked_id("public")
    assert [r["id"] for r in messages(run)] == appended
    assert partitions(run)[public]["verify"] == 2
    assert partitions(run)[public]["pts"] == world.chat("public").pts


def test_a_hand_edited_position_is_said_to_be_one(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    state = first.state
    assert state is not None
    news = world.marked_id("news")
    for part in state["bookmarks"]["messages"]["partitions"]:
        if part["context"]["chat_id"] == news:
            part["pts"] = -5
    world.append_messages("news", 1)
    run = clean(run_in_process(fake, cfg, state))
    line = next(line for line in run.stderr.splitlines() if "refused the update-log" in line)
    assert "by hand" in line
    assert partitions(run)[news]["verify"] == 2


def test_a_refused_account_position_marks_every_private_chat_and_basic_group(
    world: World,
) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    world.edit_message("bob", world.text_ids("bob")[5], "the log cannot say")
    fake.add_fault(DIFF, "PERSISTENT_TIMESTAMP_INVALID")
    run = clean(run_in_process(fake, cfg, first.state))
    parts = partitions(run)
    assert parts[world.marked_id("bob")]["verify"] == 2
    assert parts[world.marked_id("fam")]["verify"] == 2
    assert "verify" not in parts[world.marked_id("news")]
    assert account_log(run)["pts"] == world.account_pts


def test_unresolvable_chats_and_failing_channels_never_freeze_the_account_position(
    world: World,
) -> None:
    fake = FakeTelegram(world)
    chats = [
        "@cc_news",
        str(world.marked_id("bob")),
        str(world.marked_id("fam")),
        "@cc_no_such_chat",
    ]
    cfg = fake.tap_config(chats=chats)
    first = clean(run_in_process(fake, cfg), 5)
    world.edit_message("bob", world.text_ids("bob")[6], "private edit")
    world.append_messages("news", 1)  # its history is read, and fails
    fake.add_fault("GetHistoryRequest", LONG_FLOOD, chat="@cc_news", times=None)
    second = clean(run_in_process(fake, cfg, first.state), 5)
    assert [r["text"] for r in messages(second) if r.get("text") == "private edit"] == [
        "private edit"
    ]
    assert account_log(second)["pts"] == world.account_pts
    third = clean(run_in_process(fake, cfg, second.state), 5)
    assert [r for r in messages(third) if r.get("text") == "private edit"] == []


def test_a_channel_log_too_long_marks_the_chat(world: World) -> None:
    fake = FakeTelegram(world, update_log=UpdateLogSettings(channel_too_long="limit"))
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    for message_id in world.text_ids("news")[:150]:
        world.edit_message("news", message_id, "too many")
    run = clean(run_in_process(fake, cfg, first.state))
    part = partitions(run)[world.marked_id("news")]
    assert part["verify"] == 1  # Reason.TOO_LONG
    assert part["pts"] == world.chat("news").pts
    assert "marked for verification" in run.stderr


@pytest.mark.parametrize("request_name", [DIFF, CHANNEL_DIFF])
def test_a_slice_that_does_not_advance_ends_the_read(world: World, request_name: str) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    before = stream_state(first)
    world.edit_message("bob", world.text_ids("bob")[2], "private edit")
    world.edit_message("news", world.text_ids("news")[2], "channel edit")
    fake.add_fault(request_name, kind="stall", times=None)
    run = clean(run_in_process(fake, cfg, first.state))
    assert counts(run)[request_name] == 1  # asked once, never again from the same place
    assert "does not advance" in run.stderr
    news = world.marked_id("news")
    if request_name == DIFF:
        assert account_log(run) == before["account_log"]
    else:
        assert partitions(run)[news]["pts"] == partitions(first)[news]["pts"]
    fake.faults.clear()
    again = clean(run_in_process(fake, cfg, run.state))
    texts = {r["text"] for r in messages(run) + messages(again)}
    assert {"private edit", "channel edit"} <= texts  # none lost


def test_telethon_sends_no_update_request_of_its_own(world: World) -> None:
    fake = FakeTelegram(world)
    off = clean(run_in_process(fake, config(fake, world, track_changes=False)))
    assert counts(off)["GetStateRequest"] == 0
    assert counts(off)[DIFF] == 0
    first = clean(run_in_process(fake, config(fake, world)))
    assert counts(first)["GetStateRequest"] == 1  # the tap's first position
    assert counts(first)[DIFF] == 0
    second = clean(run_in_process(fake, config(fake, world), first.state))
    assert counts(second)["GetStateRequest"] == 0
    assert counts(second)[DIFF] == 1  # the tap's own, through its caller


def test_a_first_position_that_cannot_be_had_is_a_failed_read_not_a_crash() -> None:
    """A public channel that is no dialog takes its first pts from its full info: refused here."""
    world = make_world()
    world.add_chat("public", "channel", messages=90, username="cc_public", member=False)
    fake = FakeTelegram(world)
    fake.add_fault("GetFullChannelRequest", "CHANNEL_PRIVATE", times=None)
    run = clean(run_in_process(fake, fake.tap_config(chats=["@cc_public"])))
    public = world.marked_id("public")
    assert [r["id"] for r in messages(run)] == world.message_ids("public")
    part = partitions(run)[public]
    assert "pts" not in part
    assert part["log_failures"] == 1


@pytest.mark.slow  # Telethon sends PERSISTENT_TIMESTAMP_OUTDATED (a 500) 6 times, 2 s apart
@pytest.mark.parametrize("times", [6, None])
def test_an_outdated_position_is_asked_once_more_then_refused(
    world: World, times: int | None
) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    news = world.marked_id("news")
    world.edit_message("news", world.text_ids("news")[9], "after a retry")
    fake.add_fault(CHANNEL_DIFF, "PERSISTENT_TIMESTAMP_OUTDATED", chat="@cc_news", times=times)
    run = clean(run_in_process(fake, cfg, first.state))
    # Telethon's 6 attempts (request_retries 5), then the tap's one retry: 1 or 6 more.
    assert counts(run)[CHANNEL_DIFF] == (7 if times else 12)
    part = partitions(run)[news]
    assert part["pts"] == world.chat("news").pts
    if times is not None:  # it passed on the tap's retry: read, nothing to verify
        assert [r["text"] for r in messages(run)] == ["after a retry"]
        assert "verify" not in part
    else:  # for good: refused, marked
        assert messages(run) == []
        assert part["verify"] == 2
