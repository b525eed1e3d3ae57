"""The login helper in a real terminal (pexpect): the real CLI (`tap-telegram login`
through the fake launcher), hidden input for secrets, and a session that syncs."""

from __future__ import annotations

import os
import sys

import pexpect

from tests.fake_telegram import API_HASH, FakeTelegram, dump_spec, run_fake_tap, three_chats_world
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.harness import LAUNCHER, REPO_ROOT

PHONE = "+15550000000"
PASSWORD = "tty-2fa-Secret!"


def test_login_helper_in_a_terminal_with_2fa(tmp_path):
    world = three_chats_world(seed=12)
    fake = FakeTelegram(world, auth=AuthSettings(password=PASSWORD, code="11223"))
    spec = dump_spec(fake, tmp_path / "world.json")
    env = dict(os.environ, FAKE_TELEGRAM_PYTHON=sys.executable)
    # stderr goes to a file, as under `meltano invoke` (which reads it line by line):
    # the prompts must reach the terminal anyway (/dev/tty), stdout only the session.
    stderr_file = tmp_path / "stderr.txt"
    child = pexpect.spawn(
        "bash",
        [
            "-c",
            f'exec "{LAUNCHER}" --world "{spec}" -- login --api-id 12345 2>"{stderr_file}"',
        ],
        cwd=str(REPO_ROOT),
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    transcript = []
    try:
        for prompt, answer in (
            ("api_hash \\(input hidden\\): ", API_HASH),
            ("Phone number.*\\(input hidden\\): ", PHONE),
            ("Login code.*: ", "11223"),
            ("2FA password \\(input hidden\\): ", PASSWORD),
        ):
            child.expect(prompt)
            transcript.append(child.before + child.after)
            child.sendline(answer)
        child.expect(pexpect.EOF)
        transcript.append(child.before)
    finally:
        child.close()
    screen = "".join(transcript)
    stderr = stderr_file.read_text(encoding="utf-8")
    assert child.exitstatus == 0, screen + stderr
    assert "This account has two-step verification." in stderr
    assert "Logged in as" in stderr
    # Hidden input: what was typed never shows on the terminal (the code is not secret).
    for secret in (API_HASH, PHONE, PHONE.lstrip("+"), PASSWORD):
        assert secret not in screen
        assert secret not in stderr
    assert "11223" in screen
    lines = [line.strip() for line in screen.splitlines()]
    session = next(line for line in lines if len(line) > 300 and " " not in line)
    run = run_fake_tap(fake, fake.tap_config(session_string=session, chats=["@fake_devs"]))
    run.check()
    assert len(run.records["messages"]) == world.message_count("supergroup")
