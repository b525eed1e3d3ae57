"""`tap-telegram login --qr` in a real terminal (pexpect), through the fake launcher: the QR
code and the link on the terminal, the test "scanning" the link as a phone would (the fake's
FAKE_TELEGRAM_SCANS file), 2FA, and a session that syncs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.fake_telegram import API_HASH, FakeTelegram, dump_spec, run_fake_tap, three_chats_world
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.handlers_qr import SCANS_ENV
from tests.fake_telegram.harness import LAUNCHER, REPO_ROOT

pexpect = pytest.importorskip("pexpect")

PASSWORD = "tty-qr-2fa!"
LINK = re.compile(r"tg://login\?token=[A-Za-z0-9_-]+")


def spawn(fake: FakeTelegram, tmp_path: Path):
    spec = dump_spec(fake, tmp_path / "world.json")
    scans = tmp_path / "scans.txt"
    env = dict(os.environ, FAKE_TELEGRAM_PYTHON=sys.executable, **{SCANS_ENV: str(scans)})
    stderr_file = tmp_path / "stderr.txt"
    child = pexpect.spawn(
        "bash",
        [
            "-c",
            f'exec "{LAUNCHER}" --world "{spec}" -- login --api-id 12345 --qr 2>"{stderr_file}"',
        ],
        cwd=str(REPO_ROOT),
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    return child, scans, stderr_file


def scan(scans: Path, link: str) -> None:
    with scans.open("a", encoding="utf-8") as out:
        out.write(link + "\n")


def test_qr_login_in_a_terminal_by_scanning_with_2fa(tmp_path):
    world = three_chats_world(seed=31)
    fake = FakeTelegram(world, auth=AuthSettings(password=PASSWORD))
    child, scans, stderr_file = spawn(fake, tmp_path)
    screen = []
    try:
        child.expect("api_hash \\(input hidden\\): ")
        child.sendline(API_HASH)
        child.expect("Link Desktop Device, and scan this code.")
        child.expect(LINK)
        screen.append(child.before + child.after)
        scan(scans, child.after)
        child.expect("2FA password \\(input hidden\\): ")
        screen.append(child.before + child.after)
        child.sendline(PASSWORD)
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    text = "".join(screen)
    stderr = stderr_file.read_text(encoding="utf-8")
    assert child.exitstatus == 0, text + stderr
    assert "█" in text or "▀" in text  # the code itself, in half blocks
    assert (tmp_path / "scans.txt.answers").read_text(encoding="utf-8") == "OK\n"
    assert "Logged in as" in stderr
    assert LINK.search(stderr) is None  # the link is on the terminal, not in the log
    for secret in (API_HASH, PASSWORD):
        assert secret not in text + stderr
    session = next(line.strip() for line in text.splitlines() if len(line.strip()) > 300)
    run = run_fake_tap(fake, fake.tap_config(session_string=session, chats=["@fake_devs"]))
    run.check()
    assert len(run.records["messages"]) == world.message_count("supergroup")


def test_an_expired_code_in_a_terminal_is_refreshed_and_the_old_one_refused(tmp_path):
    fake = FakeTelegram(three_chats_world(seed=32), auth=AuthSettings(qr_ttl=2))
    child, scans, stderr_file = spawn(fake, tmp_path)
    try:
        child.expect("api_hash \\(input hidden\\): ")
        child.sendline(API_HASH)
        child.expect(LINK)
        first = child.after
        child.expect("The QR code expired; here is a new one.")
        child.expect(LINK)
        second = child.after
        scan(scans, first)  # too late: Telegram refuses it
        scan(scans, second)
        child.expect(pexpect.EOF)
        tail = child.before
    finally:
        child.close()
    stderr = stderr_file.read_text(encoding="utf-8")
    assert child.exitstatus == 0, tail + stderr
    assert first != second
    answers = (tmp_path / "scans.txt.answers").read_text(encoding="utf-8").split()
    assert answers == ["AUTH_TOKEN_EXPIRED", "OK"]
    assert "Logged in as" in stderr
