"""Lookback, tombstones and comments under `meltano run` into PostgreSQL (issue 7).

Meltano keeps the state (with each chat's ``lookback_tail``) and passes it back; the
target upserts by ``chat_id, id``: an edit updates the row in place, a deletion turns
the row into a tombstone, a late comment joins its post, and nothing is duplicated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, Workspace, bookmarks, state_id
from tests.e2e.outputs import Destination, duplicates, keys
from tests.e2e.postgres import PostgresServer
from tests.e2e.worlds import WorldFile
from tests.fake_telegram.discussion import add_comment, post_with_comments

pytestmark = pytest.mark.e2e
LOADER = "target-postgres"


def spec() -> dict[str, Any]:
    return {
        "seed": 17,
        "generated_users": 6,
        "chats": [
            {"key": "news", "kind": "channel", "username": "lb_e2e_news", "messages": 200,
             "linked": "talk"},
            {"key": "talk", "kind": "supergroup", "username": "lb_e2e_talk", "messages": 40},
        ],
    }  # fmt: skip


def test_edits_deletions_and_comments_land_in_postgres(
    workspace: Workspace,
    pg_server: PostgresServer,
    pg_database: str,
    pg_schema: str,
    tmp_path: Path,
) -> None:
    workspace.use_postgres(pg_server.target_config(pg_database, pg_schema))
    world_file = WorldFile(spec(), tmp_path / "world.json")
    world = world_file.world
    thread = post_with_comments(
        world, "news", "Release notes", [("user1", "nice"), ("user2", "+1")]
    )
    world_file.save()
    workspace.use_world(world_file.path)
    config = world_file.fake.tap_config(
        chats=["@lb_e2e_news"], include_comments=True, lookback_messages=30
    )
    workspace.set_config(FAKE_EXTRACTOR, **config)
    destination = Destination(LOADER, workspace, pg_server, pg_database, pg_schema)
    sid = state_id(FAKE_EXTRACTOR, LOADER)
    news, talk = world.marked_id("news"), world.marked_id("talk")

    workspace.run(FAKE_EXTRACTOR, LOADER).check()
    first = keys(destination.rows())
    assert set(first) == {(news, i) for i in world.message_ids("news")} | {
        (talk, i) for i in world.message_ids("talk")
    }
    state = workspace.state(sid)
    assert state is not None
    parts = state.get("singer_state", state)["bookmarks"]["messages"]["partitions"]
    assert all(p["lookback_tail"].startswith("v1:") for p in parts)
    marks = bookmarks(state)

    edited = world.message_ids("news")[-5]
    world.edit_message("news", edited, "edited after loading")
    world.delete_messages("news", [world.message_ids("news")[-10]])
    gone = sorted({i for chat, i in first if chat == news} - set(world.message_ids("news")))
    late = add_comment(world, "news", thread, "user3", "late comment")
    world_file.save()
    workspace.run(FAKE_EXTRACTOR, LOADER).check()

    rows = destination.rows()
    found = keys(rows)
    assert not duplicates(found)
    assert set(found) == set(first) | {(talk, late)}, (
        "tombstones upsert, nothing new but the comment"
    )
    by_key = {(int(r["chat_id"]), int(r["id"])): r for r in rows}
    assert by_key[news, edited]["text"] == "edited after loading"
    assert by_key[news, edited]["edit_date"] is not None
    for message_id in gone:
        tomb = by_key[news, message_id]
        assert tomb["deleted"] is True
        assert tomb["deleted_detected_at"] is not None
        assert tomb["text"] is None
        assert tomb["date"] is None
    assert by_key[news, thread.post_id]["replies_count"] == 3
    comments = {
        int(r["id"]): int(r["comment_post_id"])
        for r in rows
        if r.get("comment_post_id") is not None and int(r["comment_channel_id"]) == news
    }
    assert comments == dict.fromkeys([*thread.comment_ids, late], thread.post_id)
    after = bookmarks(workspace.state(sid))
    assert after[news] == marks[news], "the channel's bookmark did not move"
    assert after[talk] == late
