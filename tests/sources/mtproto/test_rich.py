"""Issue 7 (topics, media, members), end to end: the real CLI in a subprocess against
the fake Telegram (real Telethon client and downloads, real singer-sdk)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, TopicRecord, World, run_fake_tap
from tests.fake_telegram import media as fake_media
from tests.fake_telegram.handlers_rich import file_sha256, media_file

DATE = dt.datetime(2021, 6, 1, tzinfo=dt.timezone.utc)


def forum_world() -> World:
    world = World(seed=11)
    world.add_generated_users(8)
    world.add_chat(
        "forum",
        "forum",
        username="fake_forum",
        messages=120,
        topics=[
            TopicRecord("Bugs", icon_color=0xFF93B2),
            TopicRecord("Ideas", closed=True),
            TopicRecord("Off-topic", pinned=True),
        ],
    )
    return world


def test_forum_topics_stream_and_topic_ids():
    world = forum_world()
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_forum"])).check()
    forum_id = world.marked_id("forum")

    topics = {t["id"]: t for t in run.records["topics"]}
    assert set(topics) == {1, 2, 3, 4}, "General plus the three topics"
    assert {t["chat_id"] for t in topics.values()} == {forum_id}
    assert topics[1]["title"] == "General"
    assert (topics[2]["title"], topics[2]["icon_color"]) == ("Bugs", 0xFF93B2)
    assert (topics[3]["title"], topics[3]["closed"], topics[3]["pinned"]) == ("Ideas", True, False)
    assert (topics[4]["title"], topics[4]["closed"], topics[4]["pinned"]) == (
        "Off-topic",
        False,
        True,
    )
    assert topics[2]["creator_id"] == world.self_user.id
    assert topics[2]["created"] is not None

    messages = run.records["messages"]
    assert [m["id"] for m in messages] == world.message_ids("forum")
    chat = world.chat("forum")
    for record in messages:
        n = chat.n_of(record["id"])
        assert n is not None
        expected = world.factory.topic_of(chat, n)
        assert record["topic_id"] == expected, record["id"]
    assert {m["topic_id"] for m in messages} == {1, 2, 3, 4}
    creations = [m for m in messages if (m["action"] or {}).get("type") == "topic_create"]
    assert [(m["id"], m["topic_id"]) for m in creations] == [(2, 2), (3, 3), (4, 4)]


def test_no_topic_id_outside_forums():
    world = World(seed=12)
    world.add_chat("group", "supergroup", username="fake_plain", messages=30)
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_plain"])).check()
    assert {m["topic_id"] for m in run.records["messages"]} == {None}
    assert "topics" not in run.records


def media_world() -> tuple[World, dict[int, tuple[int, int]]]:
    """A supergroup with a PDF, a photo, a big video and a text; (h, size) per message id."""
    world = World(seed=13)
    world.add_chat("files", "supergroup", username="fake_files", messages=0)
    items = {
        "pdf": fake_media.file_document(0x5EED, DATE, "report.pdf", "application/pdf", 70_000),
        "photo": fake_media.media_photo(0xF070, 1, DATE),
        "big": fake_media.file_document(0xB16, DATE, "movie.mkv", "video/x-matroska", 900_000),
    }
    truth = {}
    for text, item in items.items():
        message_id = world.append_message("files", text, media=item)
        truth[message_id] = media_file(item)
    world.append_message("files", "no media here")
    return world, truth


def test_download_recovers_from_file_reference_expired_and_never_twice(tmp_path):
    world, truth = media_world()
    fake = FakeTelegram(world)
    fake.add_fault("GetFileRequest", "FILE_REFERENCE_EXPIRED", times=1)
    config = fake.tap_config(chats=["@fake_files"], media_dir=str(tmp_path), media_max_size=500_000)
    first = run_fake_tap(fake, config).check()
    by_id = {m["id"]: m for m in first.records["messages"]}
    assert len(by_id) == 4, "every message kept, with or without a file"
    pdf_id, photo_id, big_id = sorted(truth)
    for message_id in (pdf_id, photo_id):
        media = by_id[message_id]["media"]
        h, size = truth[message_id]
        stored = tmp_path / media["path"]
        assert stored.stat().st_size == size == media["size"]
        assert media["sha256"] == file_sha256(h, size)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == media["sha256"]
    assert by_id[pdf_id]["media"]["path"].endswith(".pdf")
    assert by_id[photo_id]["media"]["path"].endswith(".jpg")
    big = by_id[big_id]["media"]
    assert (big["path"], big["sha256"], big["size"]) == (None, None, 900_000), "over the max"
    assert not list(tmp_path.rglob("*.part"))
    assert first.stats is not None
    assert first.stats.requests["GetMessagesRequest"] == 1, "the message was fetched again"
    assert "file reference expired; fetched the message again" in first.stderr
    assert fake.session_string() not in first.stderr

    # A second run (no state: all messages again) finds the files and downloads nothing.
    again = run_fake_tap(FakeTelegram(world), config).check()
    assert again.stats is not None
    assert again.stats.requests["GetFileRequest"] == 0
    again_by_id = {m["id"]: m for m in again.records["messages"]}
    for message_id in (pdf_id, photo_id):
        assert again_by_id[message_id]["media"] == by_id[message_id]["media"]


def test_download_filters_by_kind(tmp_path):
    world, truth = media_world()
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["@fake_files"], media_dir=str(tmp_path), media_kinds=["photo"])
    run = run_fake_tap(fake, config).check()
    paths = {m["id"]: (m["media"] or {}).get("path") for m in run.records["messages"]}
    pdf_id, photo_id, big_id = sorted(truth)
    assert paths[photo_id] is not None
    assert paths[pdf_id] is None
    assert paths[big_id] is None
    assert [p.name for p in Path(tmp_path).rglob("*") if p.is_file()] == [
        Path(str(paths[photo_id])).name
    ]


def test_download_failure_keeps_the_record(tmp_path):
    world, truth = media_world()
    fake = FakeTelegram(world)
    fake.add_fault("GetFileRequest", "FILE_REFERENCE_EXPIRED", times=None)
    config = fake.tap_config(chats=["@fake_files"], media_dir=str(tmp_path), media_kinds=["photo"])
    run = run_fake_tap(fake, config).check()
    (photo,) = [m for m in run.records["messages"] if m["id"] == sorted(truth)[1]]
    assert photo["media"]["path"] is None
    assert "could not download its photo (FileReferenceExpiredError)" in run.stderr
    assert len(run.records["messages"]) == 4


def test_bad_media_kind_is_a_one_line_config_error(tmp_path):
    world, _ = media_world()
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["@fake_files"], media_dir=str(tmp_path), media_kinds=["gif"])
    run = run_fake_tap(fake, config)
    assert run.returncode != 0
    assert "media_kinds" in run.stderr


def members_world() -> World:
    world = World(seed=14)
    world.add_generated_users(10)
    world.add_chat("devs", "supergroup", username="fake_devs", messages=5)
    world.add_chat("family", "group", messages=5)
    world.add_chat("news", "channel", username="fake_news", messages=5)
    world.add_chat("alice", "private", messages=5)
    return world


def test_participants_roles_and_skips():
    world = members_world()
    fake = FakeTelegram(world)
    chats = ["@fake_devs", str(world.marked_id("family")), "@fake_news"]
    chats.append(str(world.marked_id("alice")))
    run = run_fake_tap(fake, fake.tap_config(chats=chats)).check()
    rows = run.records["participants"]
    by_chat: dict[int, dict[int, dict]] = {}
    for row in rows:
        by_chat.setdefault(row["chat_id"], {})[row["user_id"]] = row

    devs = world.chat("devs")
    members = by_chat[world.marked_id("devs")]
    ids = [world.users[key].id for key in devs.members]
    assert set(members) == {*ids, world.self_user.id}
    assert members[ids[0]]["role"] == "creator"
    assert (members[ids[1]]["role"], members[ids[1]]["rank"]) == ("admin", "moderator")
    assert members[ids[1]]["inviter_id"] == ids[0]
    assert {members[i]["role"] for i in ids[2:]} == {"member"}
    assert members[ids[2]]["joined"] is not None
    assert members[world.self_user.id]["inviter_id"] == ids[0]

    family = by_chat[world.marked_id("family")]
    assert family[world.self_user.id]["role"] == "creator"
    assert len(family) == len(world.chat("family").members) + 1

    assert world.marked_id("news") not in by_chat
    assert world.marked_id("alice") not in by_chat
    assert "participants skipped: a private chat has no member list" in run.stderr
    (admin_only,) = [line for line in run.stderr.splitlines() if "only admins" in line]
    assert f"chat {world.marked_id('news')} (@fake_news): participants skipped" in admin_only
    assert "participants skipped" in admin_only
    assert "CHAT_ADMIN_REQUIRED" in admin_only
    user_ids = {u["id"] for u in run.records["users"]}
    assert set(ids) <= user_ids, "members are emitted as users"


@pytest.mark.parametrize("stream", ["topics", "participants"])
def test_new_streams_are_declared(stream):
    world = members_world()
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_devs"]))
    run.check()
    assert stream in run.schemas


def test_topics_are_paged():
    world = World(seed=15)
    world.add_chat(
        "big_forum",
        "forum",
        username="fake_big_forum",
        messages=260,
        topics=[f"Topic {i}" for i in range(150)],
    )
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_big_forum"])).check()
    ids = [t["id"] for t in run.records["topics"]]
    assert sorted(ids) == list(range(1, 152))
    assert run.stats is not None
    assert run.stats.requests["GetForumTopicsRequest"] >= 2


def test_failed_chat_is_reported_once():
    """History fails (CHANNEL_PRIVATE); the member list of that chat is not tried again."""
    world = members_world()
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", chat="@fake_devs", times=None)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_devs", str(world.marked_id("family"))]))
    assert run.returncode != 0
    assert run.stats is not None
    assert run.stats.requests["GetParticipantsRequest"] == 0
    summary = [line for line in run.stderr.splitlines() if "chat(s) failed" in line]
    assert len(summary) == 1
    assert "1 chat(s) failed" in summary[0]
    assert run.records["participants"], "the other chat's members are still listed"


def test_same_file_in_two_concurrent_windows_is_downloaded_once(tmp_path):
    """Id windows run concurrently: a forwarded copy of a file in another window waits
    for the first download and reuses its file."""
    world = World(seed=14)
    world.add_chat("files", "supergroup", username="fake_files", messages=0)
    photo = fake_media.media_photo(0xC0FE, 1, DATE)
    copies = [world.append_message("files", "the photo", media=photo)]
    for n in range(40):
        world.append_message("files", f"text {n}")
    copies.append(world.append_message("files", "the photo again", media=photo))
    fake = FakeTelegram(world)
    # A slow download: the window holding the copy gets there while it still runs.
    fake.add_fault("GetFileRequest", kind="latency", latency=0.5, times=None)
    config = fake.tap_config(chats=["@fake_files"], media_dir=str(tmp_path), page_size=5)
    run = run_fake_tap(fake, config).check()
    by_id = {m["id"]: m for m in run.records["messages"]}
    paths = {by_id[i]["media"]["path"] for i in copies}
    assert len(paths) == 1
    assert None not in paths
    assert {by_id[i]["media"]["sha256"] for i in copies} == {file_sha256(*media_file(photo))}
    assert "1 downloaded (0.1 MB), 1 already present, 0 failed" in run.stderr
    assert "could not download" not in run.stderr
