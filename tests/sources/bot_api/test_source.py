"""``source: bot_api`` end to end: paging and STATE across runs, edits, chats and users,
long polling. The real tap CLI in a subprocess against the fake Bot API on a real local
HTTP server; the token is checked absent from every output (tests/sources/bot_api/harness.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fake_bot_api import ALICE, BOB, CHANNEL, GROUP, message
from tests.fake_telegram.harness import REPO_ROOT
from tests.sources.bot_api.harness import (
    cfg,
    cursor,
    cursors,
    keys,
    new_fake,
    push_mixed,
    run_tap,
)

OTHER: dict[str, Any] = {"id": -1003333333333, "title": "Elsewhere", "type": "supergroup"}


@pytest.fixture
def fake(httpserver):
    return new_fake(httpserver)


# ----- paging and state across runs ---------------------------------------------------


def test_pages_hundreds_of_updates_across_runs(fake):
    pushed = push_mixed(fake, 350)
    ids = [update_id for update_id, _ in pushed]

    first = run_tap(cfg(fake, page_size=40)).check()
    assert keys(first) == [key for _, key in pushed]
    # One getUpdates per page of 40; each later call confirms exactly the pages before it.
    assert fake.get_updates_offsets() == [None] + [ids[40 * k - 1] + 1 for k in range(1, 9)]
    # STATE after every page, before the call that confirms it.
    assert cursors(first) == [ids[40 * k - 1] for k in range(1, 9)] + [ids[-1]]
    # The run's last (short) page is not confirmed by this run: Telegram still has it.
    assert fake.pending_ids() == ids[320:]
    assert first.state is not None
    assert first.state["bookmarks"]["messages"] == {"bot_api": {"update_id": ids[-1]}}

    more = push_mixed(fake, 130, start=351)
    second = run_tap(cfg(fake, page_size=40), state=first.state).check()
    # The second run's first call confirms nothing; it finds the first run's last page
    # still queued, skips it (it was delivered) and confirms it with its next call.
    more_ids = [u for u, _ in more]
    assert fake.get_updates_offsets()[9:] == [None] + [more_ids[40 * k - 1] + 1 for k in (1, 2, 3)]
    assert keys(second) == [key for _, key in more]
    assert cursor(second.state) == more[-1][0]

    third = run_tap(cfg(fake, page_size=40), state=second.state).check()
    assert keys(third) == []
    assert cursor(third.state) == more[-1][0]
    assert fake.pending_ids() == []


def test_edits_upsert_by_primary_key_and_never_move_the_cursor_back(fake):
    fake.push("message", message(GROUP, 10, "draft"))
    fake.push("channel_post", message(CHANNEL, 5, "post"))
    fake.push("edited_message", message(GROUP, 10, "final", edit_date=1_760_001_000))
    fake.push("edited_channel_post", message(CHANNEL, 5, "post v2", edit_date=1_760_001_500))
    first = run_tap(cfg(fake)).check()
    assert keys(first) == [
        (GROUP["id"], 10),
        (CHANNEL["id"], 5),
        (GROUP["id"], 10),
        (CHANNEL["id"], 5),
    ]
    table = {(r["chat_id"], r["id"]): r for r in first.records["messages"]}  # a target's upsert
    assert table[(GROUP["id"], 10)]["text"] == "final"
    assert table[(GROUP["id"], 10)]["edit_date"].startswith("2025-10-09T")
    assert table[(CHANNEL["id"], 5)]["text"] == "post v2"
    # No `chats` setting: the chats stream lists the chats the updates showed.
    assert {c["id"]: c["type"] for c in first.records["chats"]} == {
        GROUP["id"]: "supergroup",
        CHANNEL["id"]: "channel",
    }

    # An edit in a later run has a message id below the ones already delivered (in
    # MTProto terms, below the bookmark): it is emitted, the cursor only moves forward.
    for n in range(11, 20):
        fake.push("message", message(GROUP, n, f"m{n}"))
    last = fake.push("edited_message", message(GROUP, 10, "final, again", edit_date=1_760_002_000))
    second = run_tap(cfg(fake), state=first.state).check()
    assert keys(second)[-1] == (GROUP["id"], 10)
    assert second.records["messages"][-1]["text"] == "final, again"
    assert cursor(second.state) == last > cursor(first.state)


def test_update_ids_restarting_lower_after_a_week_are_read_as_new(fake):
    for n in range(1, 6):
        fake.push("message", message(GROUP, n, f"m{n}"))
    first = run_tap(cfg(fake)).check()
    assert cursor(first.state) == 500_000_005
    fake.expire()  # a day later Telegram dropped the run's unconfirmed last page...
    fake.restart_ids(1000)  # ...and after a week without updates ids restart lower
    for n in range(6, 9):
        fake.push("message", message(GROUP, n, f"m{n}"))
    second = run_tap(cfg(fake), state=first.state).check()
    assert keys(second) == [(GROUP["id"], n) for n in (6, 7, 8)]
    assert "update ids restarted" in second.stderr
    assert cursor(second.state) == 1002
    # And the next run recognises its own last page again.
    third = run_tap(cfg(fake), state=second.state).check()
    assert keys(third) == []
    assert fake.pending_ids() == []


def test_catalog_from_discovery_without_config_still_reads_by_update_id(fake):
    catalog = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tap_telegram", "--discover"],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            check=True,
        ).stdout
    )
    for stream in catalog["streams"]:
        stream["metadata"][0]["metadata"]["selected"] = True
    messages_entry = next(s for s in catalog["streams"] if s["tap_stream_id"] == "messages")
    assert messages_entry.get("replication_key") == "id"  # made for MTProto
    fake.push("message", message(GROUP, 9, "late"))
    fake.push("message", message(GROUP, 3, "early id, later update"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.json"
        path.write_text(json.dumps(catalog), encoding="utf-8")
        run = run_tap(cfg(fake), extra=["--catalog", str(path)]).check()
    assert keys(run) == [(GROUP["id"], 9), (GROUP["id"], 3)]
    assert "replication_key_value" not in json.dumps(run.state)


def test_chats_filter_chats_and_users_streams(fake):
    fake.add_chat({**GROUP, "description": "We build things", "linked_chat_id": CHANNEL["id"]})
    fake.add_chat(CHANNEL)
    fake.push("message", message(GROUP, 1, "hello"))
    fake.push("message", message(OTHER, 1, "not selected"))
    fake.push("channel_post", message(CHANNEL, 2, "news"))
    fake.push("message", {**message(GROUP, 3, "hi"), "from": BOB})
    run = run_tap(cfg(fake, chats=["@builders", "@newsroom"])).check()
    assert keys(run) == [(GROUP["id"], 1), (CHANNEL["id"], 2), (GROUP["id"], 3)]
    chats = {c["id"]: c for c in run.records["chats"]}
    assert set(chats) == {GROUP["id"], CHANNEL["id"]}
    assert chats[GROUP["id"]]["about"] == "We build things"  # from getChat
    assert chats[CHANNEL["id"]]["type"] == "channel"
    assert {u["id"] for u in run.records["users"]} == {ALICE["id"], BOB["id"]}
    assert "1 from chats not in `chats`" in run.stderr
    assert "run summary: 3 messages from 2 chats" in run.stderr
    summary = run.stderr.split("run summary:")[1].splitlines()[0]
    assert re.search(r"\b[1-9]\d* requests", summary), summary
    # Streams run messages → chats → ... → users, so chats lists what the updates showed.
    order = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert order == ["messages", "chats", "participants", "topics", "users"]
    assert not run.records.get("participants")
    assert not run.records.get("topics")


def test_unknown_configured_chat_fails_with_a_clear_line_but_keeps_the_others(fake):
    fake.push("message", message(GROUP, 1, "hello"))
    run = run_tap(cfg(fake, chats=["@builders", "@nosuchchat"]))
    assert run.returncode == 5
    assert "@nosuchchat" in run.stderr
    assert "chat not found" in run.stderr
    assert "Traceback" not in run.stderr
    assert keys(run) == [(GROUP["id"], 1)]


def test_stream_per_chat_names_a_stream_per_chat(fake):
    fake.push("message", message(GROUP, 1, "a"))
    fake.push("channel_post", message(CHANNEL, 1, "b"))
    fake.push("message", message(GROUP, 2, "c"))
    run = run_tap(cfg(fake, stream_per_chat=True)).check()
    group, channel = f"messages_{abs(GROUP['id'])}", f"messages_{abs(CHANNEL['id'])}"
    assert [r["id"] for r in run.records[group]] == [1, 2]
    assert [r["id"] for r in run.records[channel]] == [1]
    assert "messages" not in run.records
    assert set(run.schemas) >= {group, channel}
    assert cursor(run.state) is not None


def test_allowed_updates_and_long_polling(fake):
    run = run_tap(cfg(fake, allowed_updates=["channel_post"], bot_api_timeout=1))
    run.check()
    assert fake.allowed == ["channel_post"]  # Telegram remembers it for the bot
    assert fake.calls[-1].params["timeout"] == 1
    assert keys(run) == []

    polled: list[float] = []

    def later() -> None:
        time.sleep(0.5)
        assert fake.push("message", message(GROUP, 1, "not an allowed type")) is None
        fake.push("channel_post", message(CHANNEL, 7, "arrives while polling"))

    def on_poll(offset: int | None) -> None:
        if not polled:  # the first call finds nothing and waits: push while it does
            polled.append(time.monotonic())
            threading.Thread(target=later, daemon=True).start()

    fake.on_get_updates = on_poll
    calls = len(fake.calls)
    run = run_tap(cfg(fake, allowed_updates=["channel_post"], bot_api_timeout=20)).check()
    fake.on_get_updates = None
    assert keys(run) == [(CHANNEL["id"], 7)]
    # Answered when the update came, not at the timeout: a poll that timed out would
    # have answered nothing, and the run would end without the update (counted, not timed).
    assert [c.method for c in fake.calls[calls:] if c.method != "getMe"] == ["getUpdates"]
