"""``stream_per_chat: true`` with target-csv: one file per chat, bookmarks unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, Workspace, bookmarks, state_id
from tests.e2e.outputs import csv_rows, last_ids, world_truth
from tests.e2e.worlds import WorldFile, e2e_world_spec

pytestmark = pytest.mark.e2e
LOADER = "target-csv"
OPTION = "stream_per_chat"


def _rows(ws: Workspace, stream: str) -> list[dict[str, str]]:
    return [row for path in ws.csv_files(stream) for row in csv_rows(path)]


def test_one_csv_file_per_chat(workspace: Workspace, tmp_path: Path) -> None:
    world_file = WorldFile(e2e_world_spec(seed=5), tmp_path / "world.json")
    world = world_file.world
    keys = ["news", "devs", "family", "alice"]
    chats = ["@e2e_news", "@e2e_devs", str(world.marked_id("family")), "@alice_e2e"]
    workspace.use_world(world_file.path)
    workspace.set_config(FAKE_EXTRACTOR, **world_file.fake.tap_config(chats=chats))
    workspace.set_config(FAKE_EXTRACTOR, **{OPTION: True})
    workspace.run(FAKE_EXTRACTOR, LOADER).check()

    truth = world_truth(world, keys)
    for chat, ids in truth.items():
        stream = f"messages_{abs(chat)}"
        files = workspace.csv_files(stream)
        assert files, f"no CSV file for {stream}: {sorted(workspace.csv_dir.iterdir())}"
        rows = _rows(workspace, stream)
        assert sorted(int(r["id"]) for r in rows) == ids
        assert {int(r["chat_id"]) for r in rows} == {chat}
    assert not _rows(workspace, "messages"), "records went to the shared messages stream"
    # STATE stays under `messages`, one partition per chat.
    sid = state_id(FAKE_EXTRACTOR, LOADER)
    assert bookmarks(workspace.state(sid)) == last_ids(truth)

    # Incremental per chat: only the new messages of the chat that grew.
    new = world.append_messages("devs", 12)
    world_file.save()
    workspace.run(FAKE_EXTRACTOR, LOADER).check()
    devs = world.marked_id("devs")
    rows = _rows(workspace, f"messages_{abs(devs)}")
    assert sorted(int(r["id"]) for r in rows) == world.message_ids("devs")
    assert len(rows) == len(truth[devs]) + len(new)
    assert bookmarks(workspace.state(sid))[devs] == world.last_id("devs")
