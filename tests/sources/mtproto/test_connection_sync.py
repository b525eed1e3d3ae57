"""Issue 16, part 1, end to end: the connection drops in every phase of a sync.

The real CLI in a subprocess against the fake Telegram, whose ``disconnect`` faults
leave the client as Telethon does once its own reconnect attempts failed. A drop the
connection comes back from is survived in every phase (connect, sign-in, resolving,
dialogs, takeout start, history, topics, members, downloads, takeout finish) with
exactly the records and bookmarks of an undisturbed run; an outage that lasts ends
the run with one line and exit 3, leaves a valid last STATE, and a rerun resumes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram, TopicRecord, run_fake_tap, three_chats_world
from tests.sources.mtproto.helpers import bookmarks, ids_by_chat

CHATS = ["@fake_news", "@fake_devs", "@fake_forum"]
#: Requests of each phase, as the fake names them.
PHASES = {
    "connect": "connect",
    "sign-in": "GetUsersRequest",
    "dialogs (resolving chats)": "GetDialogsRequest",
    "takeout start": "InitTakeoutSessionRequest",
    "full info": "GetFullChannelRequest",
    "history": "GetHistoryRequest",
    "topics": "GetForumTopicsRequest",
    "members": "GetParticipantsRequest",
    "download": "GetFileRequest",
    "takeout finish": "FinishTakeoutSessionRequest",
}

#: Which request of the phase drops (sign-in: the tap's own, after Telethon's in connect).
NTH = {"sign-in": 2, "history": 3}


@pytest.fixture(scope="module")
def world():
    world = three_chats_world(seed=16)
    world.add_chat(
        "forum",
        "forum",
        username="fake_forum",
        messages=150,
        topics=[TopicRecord("Bugs"), TopicRecord("Ideas", closed=True)],
    )
    return world


def config(fake, tmp_path, **extra):
    settings = {
        "chats": CHATS,
        "use_takeout": True,
        # Two small voice notes: downloads are a phase, not the test's duration.
        "media_dir": str(tmp_path / "media"),
        "media_kinds": ["voice"],
        "media_max_size": 20_000,
        "max_concurrent_requests": 4,
        # Short pauses between reconnect attempts (they scale with the bound).
        "max_reconnect_seconds": 5,
    }
    settings.update(extra)
    return fake.tap_config(**settings)


def keys(run, stream):
    return sorted(json.dumps(r, sort_keys=True) for r in run.records.get(stream, []))


def message_keys(run):
    return [(r["chat_id"], r["id"]) for r in run.records.get("messages", [])]


@pytest.fixture(scope="module")
def baseline(world, tmp_path_factory):
    fake = FakeTelegram(world)
    return run_fake_tap(fake, config(fake, tmp_path_factory.mktemp("baseline"))).check()


def test_one_drop_in_every_phase_is_survived(world, baseline, tmp_path):
    fake = FakeTelegram(world)
    for phase, request in PHASES.items():
        # Each drop is followed by a refused reconnect (a short outage), except at
        # connect, where the first attempt itself is refused.
        outage: dict[str, Any] = {} if phase == "connect" else {"outage_connects": 1}
        fake.add_fault(request, kind="disconnect", nth=NTH.get(phase, 1), **outage)
    run = run_fake_tap(fake, config(fake, tmp_path)).check()
    assert "Traceback" not in run.stderr
    assert run.stats is not None
    assert run.stats.errors["DISCONNECT"] == len(PHASES) - 1
    assert run.stats.requests["GetFileRequest"] >= 2
    # One line per outage (a concurrent request may be the one that names it).
    survived = run.stderr.count("connection to Telegram back after")
    assert survived == len(PHASES) - 1, run.stderr[-3000:]
    assert run.stderr.count("connected to Telegram after") == 1
    assert f"mtproto: {len(PHASES)} lost connection(s) to Telegram survived" in run.stderr
    assert baseline.stats is not None
    for request in PHASES.values():
        if request != "connect":  # every dropped request was sent again
            assert run.stats.requests[request] > baseline.stats.requests[request], request
    # Exactly what an undisturbed run reads: nothing lost, nothing twice.
    got = message_keys(run)
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(message_keys(baseline))
    for stream in ("chats", "topics", "participants", "users"):
        assert keys(run, stream) == keys(baseline, stream), stream
    paths = sorted((r["media"] or {}).get("sha256") or "" for r in run.records["messages"])
    assert paths == sorted(
        (r["media"] or {}).get("sha256") or "" for r in baseline.records["messages"]
    )
    assert bookmarks(run.state) == bookmarks(baseline.state)
    assert [e for e in run.stats.log if e.startswith("FinishTakeoutSession(")] == [
        "FinishTakeoutSession(success=True)"
    ]


def test_a_drop_in_dialog_loading_is_survived(world, tmp_path):
    fake = FakeTelegram(world)
    settings = {"max_concurrent_requests": 4, "max_reconnect_seconds": 5}
    clean = run_fake_tap(fake, fake.tap_config(**settings)).check()
    fake = FakeTelegram(world)
    fake.add_fault("GetDialogsRequest", kind="disconnect", outage_connects=2)
    run = run_fake_tap(fake, fake.tap_config(**settings)).check()
    assert "lost the connection to Telegram during GetDialogsRequest" in run.stderr
    assert sorted(message_keys(run)) == sorted(message_keys(clean))
    assert len(message_keys(run)) == len(set(message_keys(run)))


def test_a_drop_while_other_chats_are_read_ahead(world, baseline, tmp_path):
    """The drop hits the supergroup's read-ahead while the channel is being written."""
    fake = FakeTelegram(world, latency=0.005)
    fake.add_fault(
        "GetHistoryRequest", kind="disconnect", chat="@fake_devs", nth=2, outage_connects=2
    )
    run = run_fake_tap(fake, config(fake, tmp_path, use_takeout=False)).check()
    assert run.stats is not None
    log = [entry for entry in run.stats.log if entry.startswith("GetHistoryRequest@")]
    dropped = [i for i, entry in enumerate(log) if entry == "GetHistoryRequest@supergroup"][1]
    assert "GetHistoryRequest@channel" in log[dropped + 1 :], "the channel was still being read"
    got = message_keys(run)
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(message_keys(baseline))
    # In order within each chat: the bookmark can only move forward.
    for chat_ids in ids_by_chat(run.records["messages"]).values():
        assert chat_ids == sorted(chat_ids)
    assert bookmarks(run.state) == bookmarks(baseline.state)


def assert_state_is_valid(run, world):
    """Every chat's bookmark was emitted, and so was every message up to it (a first run)."""
    emitted = ids_by_chat(run.records.get("messages", []))
    for chat_id, bookmark in bookmarks(run.state).items():
        if bookmark is None:
            continue
        assert bookmark in emitted[chat_id]
        assert {i for i in world.message_ids(chat_id) if i <= bookmark} <= set(emitted[chat_id])


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_lasting_outage_is_one_line_and_exit_3(world, tmp_path, phase):
    fake = FakeTelegram(world)
    request = PHASES[phase]
    if phase == "connect":
        fake.add_fault("connect", kind="disconnect", times=None)
    else:
        fake.add_fault(request, kind="disconnect", nth=NTH.get(phase, 1), outage_connects=None)
    run = run_fake_tap(fake, config(fake, tmp_path, max_reconnect_seconds=0.3))
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    if phase == "takeout finish":
        # Everything was read: the takeout is left to end by itself, the run succeeds.
        assert run.returncode == 0, run.stderr[-3000:]
        assert errors == []
        assert "could not finish the takeout session (ConnectionLostError)" in run.stderr
        return
    assert run.returncode == 3, run.stderr[-3000:]
    assert len(errors) == 1, errors
    line = errors[0]
    assert "0.3 s (max_reconnect_seconds" in line
    if phase == "connect":
        assert "cannot reach Telegram" in line
        assert "check the network" in line
    else:
        # Pages and downloads run concurrently: any request in flight may name it.
        named = "" if phase in {"history", "download"} else f" {request}"
        assert f"lost the connection to Telegram during{named}" in line
        assert "progress is saved up to the last STATE" in line
        assert "run the tap again to resume" in line
    assert fake.session_string() not in run.stderr + run.stdout
    if run.state is not None:
        assert_state_is_valid(run, world)
        json.dumps(run.state)


def test_after_a_lasting_outage_in_history_a_rerun_resumes(world, baseline, tmp_path):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", nth=6, outage_connects=None)
    cut = run_fake_tap(fake, config(fake, tmp_path, max_reconnect_seconds=0.2))
    assert cut.returncode == 3
    assert cut.state is not None
    saved = bookmarks(cut.state)
    assert any(value is not None for value in saved.values()), "some progress was saved"
    rest = run_fake_tap(
        FakeTelegram(world), config(FakeTelegram(world), tmp_path), state=cut.state
    ).check()
    before = {key for key in message_keys(cut) if saved.get(key[0]) and key[1] <= saved[key[0]]}
    after = set(message_keys(rest))
    # Nothing lost; at least once: whatever the first run emitted past its bookmark
    # (pages written after the last STATE) may come again, nothing below it does.
    assert before | after == set(message_keys(baseline))
    assert not {key for key in after if saved.get(key[0]) and key[1] <= saved[key[0]]}
    assert bookmarks(rest.state) == bookmarks(baseline.state)
