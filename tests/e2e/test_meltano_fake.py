"""`meltano run tap-telegram <target>` against the fake Telegram (MTProto path).

The extractor is the real tap CLI behind the fake's launcher; Meltano keeps the state
(environment ``dev``, its system database), passes it back with ``--state`` and the
target writes CSV, JSONL or PostgreSQL. Three runs per target: a full load, a rerun
that finds nothing new, and a run after the world grew, which must load exactly the
new messages. Each pipeline keeps its own state id.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, LOADERS, bookmarks, state_id
from tests.e2e.outputs import (
    Destination,
    check_against_world,
    duplicates,
    keys,
    last_ids,
    world_keys,
    world_truth,
)
from tests.e2e.worlds import WorldFile, e2e_world_spec

pytestmark = pytest.mark.e2e


def test_full_then_incremental(destination: Destination, tmp_path: Path) -> None:
    ws = destination.workspace
    world_file = WorldFile(e2e_world_spec(), tmp_path / "world.json")
    world = world_file.world
    ws.use_world(world_file.path)
    ws.set_config(FAKE_EXTRACTOR, **world_file.fake.tap_config())
    sid = state_id(FAKE_EXTRACTOR, destination.target)

    # 1. Full load: every message of every dialog, once, with the right content.
    ws.run(FAKE_EXTRACTOR, destination.target).check()
    truth = world_truth(world)
    rows = destination.rows()
    found = keys(rows)
    assert not duplicates(found)
    assert set(found) == world_keys(truth)
    assert check_against_world(world, rows) == []
    assert {int(row["id"]) for row in destination.rows("chats")} == set(truth)
    assert destination.rows("users"), "the users stream wrote nothing"
    assert bookmarks(ws.state(sid)) == last_ids(truth)
    # One extractor, several loaders: each pipeline has its own state id (nothing was
    # stored under another loader's).
    for other in LOADERS:
        if other != destination.target:
            assert ws.state(state_id(FAKE_EXTRACTOR, other)) is None, other

    # 2. Rerun: Meltano passes the state back, nothing is new.
    ws.run(FAKE_EXTRACTOR, destination.target).check()
    assert keys(destination.rows()) == found, (
        "a rerun with nothing new changed the output (rows lost, e.g. a file rewritten, "
        "or loaded again)"
    )

    # 3. The world grows (one chat had no messages at all): only the new ones load.
    new = world.append_messages("news", 37) + world.append_messages("alice", 5)
    new += world.append_messages("quiet", 3)
    world_file.save()
    ws.run(FAKE_EXTRACTOR, destination.target).check()
    truth = world_truth(world)
    after = keys(destination.rows())
    assert not duplicates(after), "a rerun loaded old messages again"
    assert set(after) == world_keys(truth)
    assert sum(after.values()) == sum(found.values()) + len(new)
    assert bookmarks(ws.state(sid)) == last_ids(truth)
