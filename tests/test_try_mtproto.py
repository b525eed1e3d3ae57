"""``make try-mtproto`` (examples/try_mtproto.py) works: the login prints a session, the
first sync shows real records of the fake Telegram, the rerun from its STATE reads nothing.

It runs the tap through the fake's launcher (the subprocess harness), as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "try_mtproto.py"


def test_try_mtproto_logs_in_syncs_and_resumes(tmp_path: Path) -> None:
    output = tmp_path / "try-mtproto"
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, "TRY_MTPROTO_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Logged in as" in out
    assert "so extracting every chat of the account" in out  # the warning, shown
    assert "records: 3 chats, 1250 messages" in out
    assert "run summary: 0 messages from 3 chats" in out  # the rerun from STATE
    first = [json.loads(line) for line in (output / "records-1.jsonl").read_text().splitlines()]
    messages = [m["record"] for m in first if m["type"] == "RECORD" and m["stream"] == "messages"]
    assert len(messages) == 1250
    assert len({(m["chat_id"], m["id"]) for m in messages}) == 1250
    # The session printed by the login is the one the sync used; it never reaches the log.
    config = json.loads((output / "config.json").read_text())
    assert config["session_string"] not in (output / "tap-1.log").read_text()
