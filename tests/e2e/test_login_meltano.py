"""`meltano invoke tap-telegram:login` in a terminal (pexpect), then `meltano run` with the
session it printed: the whole first-run path a user takes, against the fake Telegram."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from tests.e2e.meltano_project import FAKE_EXTRACTOR, Workspace, meltano_executable
from tests.e2e.outputs import Destination
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, dump_spec, three_chats_world
from tests.fake_telegram.handlers_auth import AuthSettings

pytestmark = pytest.mark.e2e

PHONE = "+15550000000"
PASSWORD = "meltano-2fa-secret"


def test_meltano_invoke_login_then_run(workspace: Workspace, tmp_path: Path) -> None:
    world = three_chats_world(seed=51)
    fake = FakeTelegram(world, auth=AuthSettings(password=PASSWORD, code="97531"))
    workspace.use_world(dump_spec(fake, tmp_path / "world.json"))
    # api_id/api_hash as Meltano settings (environment variables): the login reads them.
    workspace.set_config(FAKE_EXTRACTOR, source="mtproto", api_id=API_ID, api_hash=API_HASH)
    child = pexpect.spawn(
        meltano_executable(),
        ["--log-level=warning", "invoke", f"{FAKE_EXTRACTOR}:login"],
        cwd=str(workspace.project.root),
        env=workspace.env,
        encoding="utf-8",
        timeout=300,
    )
    screen = []
    try:
        for prompt, answer in (
            ("Phone number.*\\(input hidden\\): ", PHONE),
            ("Login code.*: ", "97531"),
            ("2FA password \\(input hidden\\): ", PASSWORD),
        ):
            child.expect(prompt)
            screen.append(child.before + child.after)
            child.sendline(answer)
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    text = "".join(screen)
    assert child.exitstatus == 0, text
    for secret in (PHONE, PHONE.lstrip("+"), PASSWORD, API_HASH):
        assert secret not in text
    session = next(line.strip() for line in text.splitlines() if len(line.strip()) > 300)

    workspace.set_config(FAKE_EXTRACTOR, session_string=session, chats=["@fake_devs"])
    workspace.run(FAKE_EXTRACTOR, "target-jsonl").check()
    rows = Destination("target-jsonl", workspace).rows()
    assert sorted(int(row["id"]) for row in rows) == world.message_ids("supergroup")
