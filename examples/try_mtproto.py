"""`make try-mtproto`: the tap over MTProto without a Telegram account.

The fake Telegram of the tests (``tests/fake_telegram``: an in-memory Telegram behind a
real Telethon client, faked only at the network seam) plays the server. This script runs
what a user runs against the real one, through the fake's launcher
(``tests/fake_telegram/bin/tap-telegram-fake``, the real ``tap-telegram`` command line):

1. ``tap-telegram login``: phone number, the login code, a session string printed;
2. a sync with that session and no ``chats`` (every chat, with the warning that says so);
3. the same sync again from the STATE of the first: nothing new, nothing read twice.

Everything lands in ``output/try-mtproto/`` (the world, the config, the records, the
tap's log, the STATE). It needs the clone (the fake lives under ``tests/``), not an
account, not the network.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Where everything is written (``TRY_MTPROTO_OUTPUT``: elsewhere, e.g. for the test).
OUTPUT = Path(os.environ.get("TRY_MTPROTO_OUTPUT") or ROOT / "output" / "try-mtproto")
LAUNCHER = ROOT / "tests" / "fake_telegram" / "bin" / "tap-telegram-fake"
#: What logging in to the fake takes: its account's phone and the code it "sends".
PHONE = "+15550000000"
CODE = "24680"
#: How many messages are shown in full.
SHOWN = 3


def shown(path: Path | str) -> str:
    """A path as the user types it: relative to the clone when inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def fake_tap(world: Path, *args: str, answers: str = "") -> subprocess.CompletedProcess[str]:
    """The real CLI against the fake world, ``answers`` on stdin (no terminal: the
    login helper then prompts on stderr and reads stdin, as under a scheduler)."""
    env = {**os.environ, "FAKE_TELEGRAM_PYTHON": sys.executable}
    return subprocess.run(
        [str(LAUNCHER), "--world", str(world), "--", *args],
        input=answers,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        start_new_session=True,  # no /dev/tty: prompts go to stderr, answers come from stdin
    )


def write_world() -> tuple[Path, dict[str, Any]]:
    """The fake's world (three chats, 1,250 messages) and a config for its app."""
    sys.path.insert(0, str(ROOT))
    from tests.fake_telegram import (  # noqa: PLC0415 - the clone's tests, on sys.path now
        API_HASH,
        API_ID,
        FakeTelegram,
        dump_spec,
        three_chats_world,
    )

    OUTPUT.mkdir(parents=True, exist_ok=True)
    world = dump_spec(FakeTelegram(three_chats_world(seed=7)), OUTPUT / "world.json")
    return world, {"api_id": API_ID, "api_hash": API_HASH}


def login(world: Path, config: dict[str, Any]) -> str:
    """``tap-telegram login --config``: the session string it prints on stdout."""
    app = OUTPUT / "app.json"
    app.write_text(json.dumps(config), encoding="utf-8")
    done = fake_tap(world, "login", "--config", str(app), answers=f"{PHONE}\n{CODE}\n")
    if done.returncode:
        sys.exit(f"try-mtproto: the login failed:\n{done.stderr}")
    print(f"$ tap-telegram login --config {shown(app)}")
    for line in done.stderr.splitlines():
        if "echo" not in line.lower() and "fallback_getpass" not in line:  # no terminal here
            print(f"  {line}")
    print(f"  (you typed {PHONE}, then the code {CODE})")
    return done.stdout.strip()


def sync(world: Path, config: Path, state: Path | None, run: int) -> list[dict[str, Any]]:
    """One sync; its Singer messages are kept in ``records-<run>.jsonl``."""
    args = ["--config", str(config)] + (["--state", str(state)] if state else [])
    done = fake_tap(world, *args)
    out = OUTPUT / f"records-{run}.jsonl"
    out.write_text(done.stdout, encoding="utf-8")
    (OUTPUT / f"tap-{run}.log").write_text(done.stderr, encoding="utf-8")
    if done.returncode:
        sys.exit(f"try-mtproto: the sync failed ({done.returncode}):\n{done.stderr[-3000:]}")
    command = " ".join(["tap-telegram", *(shown(a) if "/" in a else a for a in args)])
    print(f"\n$ {command} > {shown(out)}")
    for line in done.stderr.splitlines():
        if "WARNING" in line or "run summary" in line:
            print(f"  {line.split(' | ')[-1]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def summarise(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Print records per stream and a few messages; return the last STATE."""
    records = [m for m in messages if m["type"] == "RECORD"]
    per_stream = collections.Counter(m["stream"] for m in records)
    print("  records: " + ", ".join(f"{n} {s}" for s, n in sorted(per_stream.items())))
    for message in [m["record"] for m in records if m["stream"] == "messages"][1 : SHOWN + 1]:
        text = (message.get("text") or "").replace("\n", " ")[:60]
        print(f"  message {message['chat_id']}/{message['id']} {message['date']} "
              f"{message.get('sender_name')}: {text}")  # fmt: skip
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return states[-1] if states else {}


def main() -> None:
    """Log in, sync, sync again from the STATE."""
    world, app = write_world()
    session = login(world, app)
    print(f"  session string: {session[:24]}... ({len(session)} characters, a full login)")
    config = OUTPUT / "config.json"
    config.write_text(json.dumps({**app, "session_string": session}), encoding="utf-8")
    state = summarise(sync(world, config, None, 1))
    state_file = OUTPUT / "state.json"
    state_file.write_text(json.dumps(state), encoding="utf-8")
    bookmarks = {
        p["context"]["chat_id"]: p["replication_key_value"]
        for p in state.get("bookmarks", {}).get("messages", {}).get("partitions", [])
        if "replication_key_value" in p  # an empty chat has no bookmark
    }
    print(f"  STATE bookmarks (chat id: last message id): {bookmarks}")
    summarise(sync(world, config, state_file, 2))
    print(f"\nEverything is in {shown(OUTPUT)}/ (records, logs, the world, the STATE).")
    print("The same against Telegram: docs/credentials.md (an app id, `tap-telegram login`).")


if __name__ == "__main__":
    main()
