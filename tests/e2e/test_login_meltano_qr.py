"""`meltano invoke tap-telegram:login --qr` in a terminal (pexpect): the QR code reaches the
user through Meltano, the test scans it as a phone would (the fake's FAKE_TELEGRAM_SCANS
file), and `meltano run` works with the session it printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, Workspace, meltano_executable
from tests.e2e.outputs import Destination
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, dump_spec, three_chats_world
from tests.fake_telegram.handlers_qr import SCANS_ENV

pytestmark = pytest.mark.e2e
pexpect = pytest.importorskip("pexpect")

LINK = re.compile(r"tg://login\?token=[A-Za-z0-9_-]+")


def test_meltano_invoke_login_qr_then_run(workspace: Workspace, tmp_path: Path) -> None:
    world = three_chats_world(seed=52)
    fake = FakeTelegram(world)
    workspace.use_world(dump_spec(fake, tmp_path / "world.json"))
    workspace.set_config(FAKE_EXTRACTOR, source="mtproto", api_id=API_ID, api_hash=API_HASH)
    scans = tmp_path / "scans.txt"
    child = pexpect.spawn(
        meltano_executable(),
        ["--log-level=warning", "invoke", f"{FAKE_EXTRACTOR}:login", "--qr"],
        cwd=str(workspace.project.root),
        env={**workspace.env, SCANS_ENV: str(scans)},
        encoding="utf-8",
        timeout=300,
    )
    screen = []
    try:
        child.expect(LINK)
        screen.append(child.before + child.after)
        scans.write_text(child.after + "\n", encoding="utf-8")
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    text = "".join(screen)
    assert child.exitstatus == 0, text
    assert "Link Desktop Device" in text
    assert API_HASH not in text
    session = next(line.strip() for line in text.splitlines() if len(line.strip()) > 300)

    workspace.set_config(FAKE_EXTRACTOR, session_string=session, chats=["@fake_devs"])
    workspace.run(FAKE_EXTRACTOR, "target-jsonl").check()
    rows = Destination("target-jsonl", workspace).rows()
    assert sorted(int(row["id"]) for row in rows) == world.message_ids("supergroup")
