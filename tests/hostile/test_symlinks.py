"""Issue 27, items 4, 5 and 9 (result.json beside other JSON files): nothing is read or
written outside its folder.

* The export folder scan follows a symbolic link only while it stays inside
  ``export_path``: an export elsewhere, or ``/``, behind a link is skipped with a warning.
* ``media_dir``: a link planted at ``<file>.part`` is never written through, a link at
  the final name is never reused (its target's hash never reaches a record), and a
  linked chat folder leading out is not written into.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.fake_telegram import FakeTelegram, run_fake_tap
from tests.sources.export.support import chat, message, run_tap, write
from tests.sources.mtproto.test_rich import media_world


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr[-3000:]


# ----- item 4: the export folder scan ------------------------------------------------------


def test_an_export_behind_a_link_out_of_the_folder_is_not_read(tmp_path: Path):
    inside = write(tmp_path / "exports" / "mine" / "result.json", chat([message(1)], id=111))
    elsewhere = write(tmp_path / "private" / "theirs" / "result.json", chat([message(1)], id=222))
    (tmp_path / "exports" / "link").symlink_to(elsewhere.parent, target_is_directory=True)
    (tmp_path / "exports" / "loose.json").symlink_to(elsewhere)
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "exports")})
    no_traceback(run.stderr)
    assert run.returncode == 0
    assert {r["id"] for r in run.records["chats"]} == {-1000000000111}
    assert "leads out of export_path" in run.stderr
    assert inside.exists()


def test_a_link_to_the_root_is_skipped_not_walked(tmp_path: Path):
    write(tmp_path / "exports" / "mine" / "result.json", chat([message(1)], id=111))
    (tmp_path / "exports" / "everything").symlink_to("/", target_is_directory=True)
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "exports")})
    no_traceback(run.stderr)
    assert run.returncode == 0
    assert {r["id"] for r in run.records["chats"]} == {-1000000000111}
    assert "skipping" in run.stderr
    assert "leads out of export_path (to /)" in run.stderr


def test_a_link_inside_the_folder_is_read_once(tmp_path: Path):
    write(tmp_path / "exports" / "mine" / "result.json", chat([message(1)], id=111))
    (tmp_path / "exports" / "again").symlink_to(tmp_path / "exports" / "mine")
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "exports")})
    assert run.returncode == 0, run.stderr[-2000:]
    assert [r["id"] for r in run.records["messages"]] == [1]
    assert "leads out" not in run.stderr


# ----- item 9: result.json beside other JSON files ------------------------------------------


def test_json_files_beside_result_json_are_said(tmp_path: Path):
    write(tmp_path / "ex" / "result.json", chat([message(1)], id=111))
    write(tmp_path / "ex" / "result2.json", chat([message(1)], id=222))
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex")})
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["id"] for r in run.records["chats"]} == {-1000000000111}
    assert "reading result.json only; the other JSON file(s) beside it (result2.json)" in (
        run.stderr
    )


# ----- item 5: media_dir ---------------------------------------------------------------------


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_links_planted_in_media_dir_are_never_followed(tmp_path: Path):
    world, _truth = media_world()
    config = {"chats": ["@fake_files"], "media_max_size": 500_000}
    learn = FakeTelegram(world)
    first = run_fake_tap(learn, learn.tap_config(media_dir=str(tmp_path / "a"), **config)).check()
    media = [m["media"] for m in first.records["messages"] if m["media"]]
    paths = sorted(item["path"] for item in media if item["path"])
    truth = {item["path"]: item["sha256"] for item in media}
    assert len(paths) == 2
    part_victim, final_victim = tmp_path / "outside-part.bin", tmp_path / "outside-final.bin"
    part_victim.write_bytes(b"keep me")
    final_victim.write_bytes(b"not the file")
    media_dir = tmp_path / "b"
    for relative in paths:
        (media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    (media_dir / f"{paths[0]}.part").symlink_to(part_victim)
    (media_dir / paths[1]).symlink_to(final_victim)

    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(media_dir=str(media_dir), **config)).check()
    assert part_victim.read_bytes() == b"keep me", "bytes written through the .part link"
    assert final_victim.read_bytes() == b"not the file"
    for record in run.records["messages"]:
        item = record["media"] or {}
        if item.get("path"):
            stored = media_dir / item["path"]
            assert not stored.is_symlink()
            assert item["sha256"] == truth[item["path"]] == sha(stored)
    assert not (media_dir / f"{paths[0]}.part").exists()


def test_a_chat_folder_linked_out_of_media_dir_is_not_written(tmp_path: Path):
    world, _truth = media_world()
    config = {"chats": ["@fake_files"], "media_max_size": 500_000}
    fake = FakeTelegram(world)
    media_dir, outside = tmp_path / "media", tmp_path / "outside"
    media_dir.mkdir()
    outside.mkdir()
    chat_id = world.marked_id("files")
    (media_dir / str(abs(chat_id))).symlink_to(outside, target_is_directory=True)
    run = run_fake_tap(fake, fake.tap_config(media_dir=str(media_dir), **config))
    no_traceback(run.stderr)
    assert run.returncode == 0
    assert not any(outside.rglob("*")), "a file was written outside media_dir"
    assert all(m["media"]["path"] is None for m in run.records["messages"] if m["media"])
    assert "leads out of media_dir (a symbolic link)" in run.stderr
