"""The dialogs pass (sources/mtproto/chats/dialogs.py) against the fake's truthful dialogs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telethon import utils
from telethon.tl import types

from tap_telegram.sources.mtproto.chats.dialogs import (
    Dialogs,
    fetch_channels,
    follow_upgrades,
    load_dialogs,
)
from tap_telegram.sources.mtproto.wire.calls import Caller
from tests.fake_telegram import FakeTelegram, World, dialogs_world
from tests.fake_telegram.chat_changes import migrate_chat
from tests.fake_telegram.clients import connected, run

LOGGER = logging.getLogger("tests.dialogs")


def with_caller(fake: FakeTelegram, work: Any) -> Any:
    async def go() -> Any:
        async with connected(fake) as client:
            return await work(Caller(client, LOGGER, max_flood_wait=0))

    return run(go())


def test_every_dialog_once_in_a_page_per_hundred() -> None:
    world = dialogs_world(250, messages=2)
    world.add_chat("quiet", "supergroup")  # no message at all: paging must not stop there
    fake = FakeTelegram(world)
    dialogs: Dialogs = with_caller(fake, load_dialogs)
    assert fake.stats.requests["GetDialogsRequest"] == 3
    assert {d.chat_id for d in dialogs} == {world.marked_id(c) for c in world.chats}
    assert len(dialogs) == len(world.chats)
    pinned = [d.chat_id for d in dialogs][:3]
    assert pinned == [world.marked_id(f"d{i}") for i in range(3)], "pinned first, in order"
    news = dialogs.get(world.marked_id("d1"))
    assert news is not None
    assert news.top_message == world.last_id("d1")
    assert news.pts == world.chat("d1").pts
    assert news.pinned
    archived = dialogs.get(world.marked_id("d6"))
    assert archived is not None
    assert archived.folder_id == 1, "archived chats are dialogs too"
    private = dialogs.get(world.marked_id("d3"))
    assert private is not None
    assert private.pts is None
    assert private.top_message == world.last_id("d3")


def test_usernames_match_in_any_case() -> None:
    world = dialogs_world(8)
    world.chat("d1").username = "Steady_News"
    fake = FakeTelegram(world)
    dialogs: Dialogs = with_caller(fake, load_dialogs)
    found = dialogs.by_username("steady_news")
    assert found is not None
    assert found.chat_id == world.marked_id("d1")
    assert dialogs.by_username("nobody_here") is None


def upgraded(world: World) -> list[Any]:
    """A caller's view: the upgraded group's entity, as the dialogs give it."""
    fake = FakeTelegram(world)
    return [fake, with_caller(fake, load_dialogs)]


def test_an_upgraded_group_brings_its_supergroup_from_the_dialogs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = dialogs_world(8)
    migrate_chat(world, "d2", "d2_super")
    fake, dialogs = upgraded(world)
    group = dialogs.get(world.marked_id("d2")).entity
    assert isinstance(group.migrated_to, types.InputChannel)
    fake.reset_stats()
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        out = with_caller(fake, lambda caller: follow_upgrades(caller, dialogs, [group], LOGGER))
    assert [utils.get_peer_id(e) for e in out] == [world.marked_id(k) for k in ("d2", "d2_super")]
    assert fake.stats.requests["GetChannelsRequest"] == 0
    # Both chats named by marked id first, their titles after.
    (line,) = [r.getMessage() for r in caplog.records if "upgraded" in r.getMessage()]
    assert line.startswith(f"chat {world.marked_id('d2')} ('")
    assert f"reading {world.marked_id('d2_super')} ('" in line


def test_an_upgraded_group_whose_supergroup_is_no_dialog_costs_one_request() -> None:
    world = dialogs_world(8)
    migrate_chat(world, "d2", "d2_super")
    world.chat("d2_super").member = False
    world.chat("d2_super").username = "open_super"
    fake, dialogs = upgraded(world)
    assert dialogs.get(world.marked_id("d2_super")) is None
    group = dialogs.get(world.marked_id("d2")).entity
    fake.reset_stats()
    out = with_caller(fake, lambda caller: follow_upgrades(caller, dialogs, [group], LOGGER))
    assert utils.get_peer_id(out[-1]) == world.marked_id("d2_super")
    assert fake.stats.requests["GetChannelsRequest"] == 1


def test_remembered_channels_come_back_in_one_request_or_not_at_all() -> None:
    world = dialogs_world(4)
    outside = world.add_chat("outside", "channel", username="steady_out", member=False)
    other = world.add_chat("other", "channel", username="steady_other", member=False)
    fake = FakeTelegram(world)
    remembered = {
        "steady_out": (outside.id, outside.access_hash),
        "steady_other": (other.id, other.access_hash),
    }
    found = with_caller(fake, lambda caller: fetch_channels(caller, remembered))
    assert {name: entity.id for name, entity in found.items()} == {
        "steady_out": outside.id,
        "steady_other": other.id,
    }
    assert fake.stats.requests["GetChannelsRequest"] == 1
    stale = {"steady_out": (outside.id, outside.access_hash + 1)}  # another session's hash
    assert with_caller(fake, lambda caller: fetch_channels(caller, stale)) == {}
    assert with_caller(fake, lambda caller: fetch_channels(caller, {})) == {}


def test_a_list_that_stops_short_of_its_count_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram not moving past the offset: the run goes on with what it has, and says so.

    (What the 10,000-dialog bench once met: dates past 2038 wrapped to 1901, and the
    tap synced 103 chats without a word.)
    """
    world = dialogs_world(250, messages=1)
    fake = FakeTelegram(world)
    fake.add_fault("GetDialogsRequest", kind="stall", nth=2, times=None)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        dialogs: Dialogs = with_caller(fake, load_dialogs)
    assert len(dialogs) == 103, "page 1, and 3 more from the repeated page"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "Telegram counts 250 dialogs but listed 103 in 3 pages" in warnings[0]
    assert "did not move the list" in warnings[0]
    assert "\n" not in warnings[0]


def test_a_stall_that_passes_loses_no_dialog(caplog: pytest.LogCaptureFixture) -> None:
    """One repeated page: the next offset still moves on, every dialog is listed, no warning."""
    world = dialogs_world(250, messages=1)
    fake = FakeTelegram(world)
    fake.add_fault("GetDialogsRequest", kind="stall", nth=2, times=1)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        dialogs: Dialogs = with_caller(fake, load_dialogs)
    assert len(dialogs) == 250
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
