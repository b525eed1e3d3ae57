"""One chat fails (private, flood-wait cap): the others complete, under `meltano run`.

The fault is injected by the fake into one of three chats. With ``on_chat_error``
``continue`` (the default) the run exits non-zero with a summary naming the chat,
every other chat's rows and bookmarks are complete, and the failed chat keeps the
progress it made before the failure; the next run, without the fault, completes it.
``skip`` exits 0; ``fail`` stops at the failed chat.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, Workspace, bookmarks, state_id
from tests.e2e.outputs import Destination, duplicates, keys, last_ids, world_truth
from tests.e2e.postgres import PostgresServer
from tests.e2e.worlds import WorldFile, three_chat_spec

pytestmark = pytest.mark.e2e
LOADER = "target-postgres"


@dataclasses.dataclass(frozen=True)
class Case:
    """A fault in one chat and what it should do."""

    chat: str
    label: str
    fault: dict[str, Any]
    #: Whether the chat delivers its first pages before failing.
    partial: bool


CASES = {
    "private-mid-chat": Case(
        chat="devs",
        label="@fail_devs",
        fault={"request": "GetHistoryRequest", "error": "CHANNEL_PRIVATE", "nth": 3, "times": None},
        partial=True,
    ),
    "flood-cap": Case(
        chat="family",
        label="",  # a basic group without username: named by title or id
        fault={"request": "GetHistoryRequest", "error": "FLOOD_WAIT_100000", "times": None},
        partial=False,
    ),
}


@pytest.fixture
def failing(
    workspace: Workspace,
    pg_server: PostgresServer,
    pg_database: str,
    pg_schema: str,
    tmp_path: Path,
) -> tuple[Workspace, Destination, WorldFile]:
    """A three-chat world (no fault yet) loaded into this test's PostgreSQL schema."""
    workspace.use_postgres(pg_server.target_config(pg_database, pg_schema))
    world_file = WorldFile(three_chat_spec(), tmp_path / "world.json")
    world = world_file.world
    chats = ["@fail_news", "@fail_devs", str(world.marked_id("family"))]
    workspace.use_world(world_file.path)
    workspace.set_config(FAKE_EXTRACTOR, **world_file.fake.tap_config(chats=chats))
    destination = Destination(LOADER, workspace, pg_server, pg_database, pg_schema)
    return workspace, destination, world_file


def _inject(world_file: WorldFile, case: Case) -> None:
    world_file.fake.add_fault(chat=case.chat, **case.fault)
    world_file.save()


@pytest.mark.parametrize("name", list(CASES))
def test_failed_chat_does_not_stop_the_others(
    name: str, failing: tuple[Workspace, Destination, WorldFile]
) -> None:
    ws, destination, world_file = failing
    case = CASES[name]
    world = world_file.world
    _inject(world_file, case)
    truth = world_truth(world)
    failed_id = world.marked_id(case.chat)
    sid = state_id(FAKE_EXTRACTOR, LOADER)

    result = ws.run(FAKE_EXTRACTOR, LOADER)
    assert result.returncode != 0, "a failed chat must make the run exit non-zero"
    assert "1 chat(s) failed" in result.output, result.output[-3000:]
    summary = next(line for line in result.output.splitlines() if "1 chat(s) failed" in line)
    assert str(failed_id) in summary
    if case.label:
        assert case.label in summary
    assert "Extractor failed" in result.output

    found = keys(destination.rows())
    assert not duplicates(found)
    marks = bookmarks(ws.state(sid))
    for chat, ids in truth.items():
        got = sorted(i for c, i in found if c == chat)
        if chat != failed_id:
            assert got == ids, f"chat {chat} is incomplete although another chat failed"
            assert marks.get(chat) == ids[-1]
            continue
        # The failed chat keeps exactly the progress it made: a prefix, bookmarked.
        assert got == ids[: len(got)]
        if case.partial:
            assert got, "the pages read before the failure were not kept"
            assert marks.get(chat) == got[-1]
        else:
            assert not got
            assert marks.get(chat) is None

    # The fault is gone: the next run completes the failed chat from its bookmark.
    world_file.fake.clear_faults()
    world_file.save()
    ws.run(FAKE_EXTRACTOR, LOADER).check()
    after = keys(destination.rows())
    assert not duplicates(after)
    assert set(after) == {(c, i) for c, ids in truth.items() for i in ids}
    assert bookmarks(ws.state(sid)) == last_ids(truth)


def test_skip_exits_zero(failing: tuple[Workspace, Destination, WorldFile]) -> None:
    ws, destination, world_file = failing
    case = CASES["private-mid-chat"]
    _inject(world_file, case)
    ws.set_config(FAKE_EXTRACTOR, on_chat_error="skip")
    ws.run(FAKE_EXTRACTOR, LOADER).check()
    world = world_file.world
    found = keys(destination.rows())
    for key in ("news", "family"):
        chat = world.marked_id(key)
        assert sorted(i for c, i in found if c == chat) == world.message_ids(key)


def test_fail_stops_the_run(failing: tuple[Workspace, Destination, WorldFile]) -> None:
    ws, destination, world_file = failing
    case = CASES["private-mid-chat"]
    _inject(world_file, case)
    ws.set_config(FAKE_EXTRACTOR, on_chat_error="fail")
    result = ws.run(FAKE_EXTRACTOR, LOADER)
    assert result.returncode != 0
    world = world_file.world
    found = keys(destination.rows())
    news, family = world.marked_id("news"), world.marked_id("family")
    assert sorted(i for c, i in found if c == news) == world.message_ids("news")
    assert not [i for c, i in found if c == family], "chats after the failed one were read"
    marks = bookmarks(ws.state(state_id(FAKE_EXTRACTOR, LOADER)))
    assert marks.get(news) == world.last_id("news")
