"""Golden output of a whole MTProto run with change capture and lookback on.

The proof that a restructuring changed no output: a deterministic fake world (every
chat kind, generated content with media, replies, forwards, reactions and service
messages, plus hand-written ones), a first run, changes in every chat kind (new
messages, edits, deletions, reactions, an edit inside the lookback window, a rename),
a second run, and a third with nothing new. ``tests/golden/mtproto_run.jsonl`` holds
every RECORD line of the three runs byte for byte and each run's last STATE with sorted
keys (STATE may differ in key order only). Wall-clock values are masked: the SDK's
``time_extracted``, a tombstone's ``deleted_detected_at`` and STATE's per-chat run
statistics (``last_run``, ``last_run_seconds``, ``messages_per_second``). The runs go through the harness, so the stream checker
checks them. To accept an intended change in output, regenerate and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_run.py
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram, TapRun, World, run_in_process
from tests.fake_telegram.chat_changes import add_member, rename_chat
from tests.fake_telegram.discussion import Thread, add_comment, post_with_comments

GOLDEN = Path(__file__).resolve().parent / "golden" / "mtproto_run.jsonl"
#: The fake's clock (and the tap's) during the first run; each later run is an hour on.
NOW = dt.datetime(2021, 1, 16, 12, tzinfo=dt.timezone.utc)
#: Wall-clock values (not the fake's clock), masked in the golden: the SDK's stamp on
#: each RECORD and when a tombstone was seen; in STATE, the per-chat run statistics.
WALL_CLOCK = re.compile(rb'"(time_extracted|deleted_detected_at)":"[^"]*"')
WALL_CLOCK_STATE = frozenset({"last_run", "last_run_seconds", "messages_per_second"})


def make_world() -> tuple[World, Thread]:
    """Every chat kind; hourly messages so that ``lookback_days`` covers a chat's tail."""
    world = World(24)
    world.add_generated_users(8, bots=1)
    world.add_chat("news", "channel", messages=160, username="gr_news", interval=3600,
                   linked="talk")  # fmt: skip
    world.add_chat("talk", "supergroup", messages=90, username="gr_talk", interval=3600)
    world.add_chat("devs", "supergroup", messages=140, username="gr_devs", interval=3600)
    world.add_chat("forum", "forum", messages=120, username="gr_forum", interval=3600,
                   topics=["Bugs", "Ideas"])  # fmt: skip
    world.add_chat("bob", "private", messages=100, interval=3600)
    world.add_chat("fam", "group", messages=110, interval=3600)
    world.add_chat("other", "private", messages=30)  # not selected
    thread = post_with_comments(
        world, "news", "launch", [("user1", "first!"), ("user2", "nice"), ("user3", "when?")]
    )
    world.set_reactions("news", thread.post_id, [("👍", 5), ("🔥", 2)])
    return world, thread


def chats(world: World) -> list[str]:
    return [
        "@gr_news",
        "@gr_talk",
        "@gr_devs",
        "@gr_forum",
        str(world.marked_id("bob")),
        str(world.marked_id("fam")),
    ]


def change_world(world: World, thread: Thread) -> None:
    """New, edited and deleted messages in every kind, and changes only lookback sees."""
    for key in ("news", "talk", "devs", "forum", "bob", "fam"):
        ids = world.text_ids(key)
        world.edit_message(key, ids[0], f"oldest of {key}, edited")  # change capture only
        world.edit_message(key, ids[-2], f"newest but one of {key}, edited")  # in the window
        world.delete_messages(key, [ids[3], ids[-4]])
        world.append_messages(key, 4)
    world.set_reactions("devs", world.text_ids("devs")[-6], [("🎉", 3)])  # lookback only
    world.set_reactions("news", world.text_ids("news")[-9], [("❤", 7)])  # lookback only
    world.append_message("devs", "a reply", sender="user4", reply_to=world.text_ids("devs")[-3])
    world.append_message("forum", "in a topic", sender="user5", topic=3)  # topics are 2, 3
    world.append_message("bob", "photo later", sender="bob")
    world.append_message("fam", "hello family", sender="user6")
    rename_chat(world, "fam", "Family (renamed)")
    world.add_user("newcomer", first_name="Nia", last_name="Newcomer", username="nia_fake")
    add_member(world, "devs", "newcomer")
    add_comment(world, "news", thread, "user8", "a later comment")
    world.edit_message("other", world.text_ids("other")[2], "not selected")
    world.delete_messages("other", world.text_ids("other")[5:7])


def masked(line: bytes) -> bytes:
    """A RECORD line as written, its wall-clock values replaced by ``<masked>``."""
    return WALL_CLOCK.sub(rb'"\1":"<masked>"', line)


def masked_state(value: Any) -> Any:
    """STATE with its wall-clock statistics replaced by ``<masked>``."""
    if isinstance(value, dict):
        return {
            key: "<masked>" if key in WALL_CLOCK_STATE else masked_state(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked_state(item) for item in value]
    return value


def run_lines(number: int, run: TapRun) -> list[str]:
    """A run's header, its RECORD lines as written, its last STATE with sorted keys."""
    lines = [json.dumps({"run": number})]
    for raw in run.stdout.encode("utf-8").splitlines():
        if raw.startswith(b'{"type":"RECORD"'):
            lines.append(masked(raw).decode("utf-8"))
    lines.append(json.dumps({"state": masked_state(run.state)}, sort_keys=True, ensure_ascii=False))
    return lines


def whole_run() -> tuple[list[str], list[TapRun]]:
    """The three runs against one fake, and the golden lines they make."""
    world, thread = make_world()
    fake = FakeTelegram(world, now=NOW)
    config = fake.tap_config(
        chats=chats(world),
        track_changes=True,
        lookback_messages=25,
        lookback_days=1.5,
        include_comments=True,
    )
    first = run_in_process(fake, config).check()
    change_world(world, thread)
    fake.next_hour()
    second = run_in_process(fake, config, first.state).check()
    fake.next_hour()
    third = run_in_process(fake, config, second.state).check()
    runs = [first, second, third]
    lines = [line for number, run in enumerate(runs, 1) for line in run_lines(number, run)]
    return lines, runs


def record_counts(runs: list[TapRun]) -> list[dict[str, int]]:
    """Records per stream of each run (to see the golden is not trivially small)."""
    return [dict(collections.Counter({k: len(v) for k, v in r.records.items()})) for r in runs]


def test_whole_mtproto_run_matches_golden() -> None:
    lines, runs = whole_run()
    for run in runs:
        assert run.checked is not None  # the stream checker saw every line
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    if lines != expected:
        diff = difflib.unified_diff(expected, lines, "golden", "now", lineterm="", n=0)
        shown = [line[:300] for line in list(diff)[:40]]
        pytest.fail(f"output differs from {GOLDEN.name}:\n" + "\n".join(shown))


def test_the_golden_run_is_not_trivially_small() -> None:
    """Each run exercised what the golden is there to prove (counts from the golden)."""
    runs: list[collections.Counter[str]] = []
    kinds: list[collections.Counter[str]] = []
    newest: dict[int, int] = {}  # per chat, the newest id of the first run
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if "run" in data:
            runs.append(collections.Counter())
            kinds.append(collections.Counter())
        elif data.get("type") == "RECORD":
            runs[-1][data["stream"]] += 1
            record = data["record"]
            if data["stream"] != "messages":
                continue
            chat, message_id = record["chat_id"], record["id"]
            if len(runs) == 1:
                newest[chat] = max(newest.get(chat, 0), message_id)
            if record["deleted"]:
                kinds[-1]["tombstone"] += 1
                assert record["deleted_detected_at"] == "<masked>"  # set, and masked
            elif record["edit_date"]:
                kinds[-1]["edited"] += 1
            elif message_id <= newest[chat]:
                kinds[-1]["lookback"] += 1  # re-read: reactions or replies changed
    assert len(runs) == 3
    first, second, third = runs
    assert first["messages"] > 700
    assert {"chats", "users", "topics"} <= set(first)
    assert kinds[1]["tombstone"] >= 8  # deletions in channels and supergroups (both rules)
    assert kinds[1]["edited"] >= 12  # two edits in each of six chats
    assert kinds[1]["lookback"] >= 3  # two reactions and a reply count, seen by lookback only
    assert second["messages"] > kinds[1]["tombstone"] + kinds[1]["edited"]  # new ones too
    assert third.get("messages", 0) == 0
