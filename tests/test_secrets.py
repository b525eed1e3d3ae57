"""Secrets never leave the tap: every byte a run writes (stdout with records and STATE,
stderr with logs at DEBUG level, error lines), `--about`, and the login helper's
terminal are searched for the session string, api_hash, bot token and phone number."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fake_telegram import API_HASH, FakeTelegram, run_fake_tap, three_chats_world
from tests.fake_telegram.harness import LAUNCHER, REPO_ROOT

BOT_TOKEN = "987654321:AAHsecretBotTokenValue_0123456789abcdef"
PHONE = "15550000000"
PROXY_PASSWORD = "s0cks-Pa55-for-tests"
MTPROXY_SECRET = "dd" + "5ec7e7" * 5 + "00"
DEBUG = {"LOGLEVEL": "DEBUG"}


def secrets_of(fake, *sessions):
    """Every secret, and distinctive slices of the long ones (a partial leak counts)."""
    values = {"api_hash": API_HASH, "bot token": BOT_TOKEN, "phone": PHONE}
    values |= {"proxy password": PROXY_PASSWORD, "MTProxy secret": MTPROXY_SECRET[2:]}
    values["bot token secret part"] = BOT_TOKEN.split(":", 1)[1]
    for n, session in enumerate(sessions):
        values[f"session {n}"] = session
        for start in (1, len(session) // 3, len(session) // 2, len(session) - 40):
            values[f"session {n} @{start}"] = session[start : start + 24]
    return values


def assert_clean(label, text, secrets):
    leaks = [name for name, value in secrets.items() if value and value in text]
    assert not leaks, f"{label} leaks {leaks}"


@pytest.fixture(scope="module")
def world():
    world = three_chats_world(seed=41)
    # The account itself writes in a chat: its User (with the phone) is in the answers.
    world.append_message("supergroup", "hello from the account itself")
    return world


def test_a_run_with_failures_leaks_nothing(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_1", chat="channel", nth=2, times=1)
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", chat="channel", nth=4)
    config = fake.tap_config(
        chats=["@fake_news", "@fake_devs", "@fake_not_there"],
        use_takeout=True,
        bot_token=BOT_TOKEN,  # not a setting of this source: must not be echoed either
        proxy=f"socks5://tap:{PROXY_PASSWORD}@127.0.0.1:1080",  # the fake ignores the network
    )
    secrets = secrets_of(fake, config["session_string"])
    run = run_fake_tap(fake, config, env=DEBUG)
    assert run.returncode == 5, run.stderr[-2000:]
    assert run.records["messages"], "the run did real work"
    assert "DEBUG" in run.stderr, "logs were captured at DEBUG level"
    assert_clean("stdout (records, STATE)", run.stdout, secrets)
    assert_clean("stderr (logs, errors)", run.stderr, secrets)
    assert_clean("STATE", json.dumps(run.state), secrets)

    # The same state resumed, with a session revoked meanwhile: the error line too.
    revoked = fake.session_string("revoked")
    secrets = secrets_of(fake, config["session_string"], revoked)
    again = run_fake_tap(fake, {**config, "session_string": revoked}, state=run.state, env=DEBUG)
    assert again.returncode == 3
    assert_clean("revoked run", again.stdout + again.stderr, secrets)


@pytest.mark.parametrize(
    "change",
    [
        {"session_string": BOT_TOKEN},  # a bot token where the session belongs
        {"api_hash": 123456789012345678},  # wrong type: the SDK would quote the value
        {"session_string": ["not", "a", "string", PHONE]},
        {"api_id": 999},  # API_ID_INVALID from Telegram
        {"proxy": f"ftp://tap:{PROXY_PASSWORD}@127.0.0.1:21"},  # not a proxy kind
        {"proxy": f"https://t.me/proxy?server=h&port=443&secret={MTPROXY_SECRET}ff"},
    ],
)
def test_config_errors_leak_nothing(world, change):
    fake = FakeTelegram(world)
    config = {**fake.tap_config(chats=["@fake_news"]), **change}
    secrets = secrets_of(fake, fake.session_string())
    secrets["wrong value"] = "123456789012345678"
    run = run_fake_tap(fake, config, env=DEBUG)
    assert run.returncode == 2, run.stderr[-2000:]
    assert_clean("config error run", run.stdout + run.stderr, secrets)


@pytest.mark.parametrize("fmt", [None, "json", "markdown"])
def test_about_leaks_nothing(world, tmp_path, fmt):
    fake = FakeTelegram(world)
    config = fake.tap_config(bot_token=BOT_TOKEN)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [
            str(LAUNCHER),
            "--",
            "--about",
            *([f"--format={fmt}"] if fmt else []),
            "--config",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, FAKE_TELEGRAM_PYTHON=sys.executable, **DEBUG),
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "session_string" in done.stdout
    assert_clean(
        f"--about {fmt}", done.stdout + done.stderr, secrets_of(fake, config["session_string"])
    )
