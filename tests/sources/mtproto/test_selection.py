"""Which chats an MTProto run takes: every dialog said out loud before any message is
read, ``exclude_chats`` out of the dialogs and out of ``chats``. The real tap against
the fake Telegram (``variety_world``: 7 readable dialogs, private chats included)."""

from __future__ import annotations

import pytest

from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world
from tests.fake_telegram.worlds import variety_world

READING = "reading messages after id"


@pytest.fixture(scope="module")
def world():
    return variety_world(seed=3)


def warnings(stderr: str) -> list[str]:
    return [line.split("| ", 3)[-1] for line in stderr.splitlines() if "| WARNING" in line]


def test_every_dialog_is_announced_before_any_message_is_read(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config()).check()
    assert len(run.records["chats"]) == 7
    lines = run.stderr.splitlines()
    (announce,) = [n for n, line in enumerate(lines) if "no `chats` setting" in line]
    first_read = next(n for n, line in enumerate(lines) if READING in line)
    assert announce < first_read
    assert lines[announce].endswith(
        "tap-telegram: no `chats` setting, so extracting every chat of the account (its "
        "dialogs): 7 chats (3 user, 1 group, 2 supergroup, 1 channel); to extract less, list "
        "the chats in `chats`, keep some types with `chat_types` (user, group, supergroup, "
        "channel) or leave chats out with `exclude_chats`"
    )


def test_exclude_chats_takes_dialogs_out_by_username_id_and_invite_link(world):
    fake = FakeTelegram(world)
    family, comments = world.marked_id("family"), world.marked_id("comments")
    invite = world.chat("comments").invite_hash
    excluded = ["@Alice_Fake", str(family), f"https://t.me/+{invite}", "@nobody_like_this"]
    run = run_fake_tap(fake, fake.tap_config(exclude_chats=excluded)).check()
    ids = {chat["id"] for chat in run.records["chats"]}
    assert len(ids) == 4
    assert not {world.marked_id("alice"), family, comments} & ids
    assert not {r["chat_id"] for r in run.records["messages"]} & {family, comments}
    found = warnings(run.stderr)
    assert (
        "tap-telegram: setting 'exclude_chats': '@nobody_like_this' matches none of the "
        "chats selected, so it excludes nothing; check the id, @username or name"
    ) in found
    assert any("every chat of the account (its dialogs): 4 chats (2 user, 1 supergroup, 1 channel)"
               in line for line in found)  # fmt: skip


def test_exclude_chats_takes_chats_out_of_chats():
    world = three_chats_world(seed=8)
    fake = FakeTelegram(world)
    config = fake.tap_config(
        chats=["@fake_news", "@fake_devs"], exclude_chats=[str(world.marked_id("channel"))]
    )
    run = run_fake_tap(fake, config).check()
    devs = world.marked_id("supergroup")
    assert [chat["id"] for chat in run.records["chats"]] == [devs]
    assert {r["chat_id"] for r in run.records["messages"]} == {devs}
    assert not [line for line in warnings(run.stderr) if "setting 'exclude_chats'" in line]
    assert "no `chats` setting" not in run.stderr


def test_an_unreadable_exclude_entry_is_a_config_error():
    fake = FakeTelegram(three_chats_world(seed=8))
    run = run_fake_tap(fake, fake.tap_config(exclude_chats=["hello world"]))
    assert run.returncode == 2
    assert "setting 'exclude_chats': cannot read 'hello world'" in run.stderr
    assert "messages" not in run.records


def test_exclude_chats_has_the_last_word_over_include_comments(world):
    """``include_comments`` adds a channel's discussion group by id: an excluded group
    stays out, and an entry naming it is not reported as matching nothing."""
    fake = FakeTelegram(world)
    news, comments = world.marked_id("news"), world.marked_id("comments")
    config = fake.tap_config(
        chats=["@fake_newsroom"], include_comments=True, exclude_chats=[str(comments)]
    )
    run = run_fake_tap(fake, config).check()
    assert [chat["id"] for chat in run.records["chats"]] == [news]
    assert {r["chat_id"] for r in run.records["messages"]} == {news}
    assert "setting 'exclude_chats'" not in run.stderr

    # Without the exclusion the group is read too (the test above is not vacuous).
    config = fake.tap_config(chats=["@fake_newsroom"], include_comments=True)
    run = run_fake_tap(FakeTelegram(world), config).check()
    assert [chat["id"] for chat in run.records["chats"]] == [news, comments]
