"""The config a real Meltano hands the tap, with every setting of meltano.yml set, is accepted.

Unknown keys stop a run (issue 17), so whatever Meltano writes into the tap's config
file must be a known setting. Meltano writes every declared setting that has a value
(defaults included) and the plugin's ``config:`` (``meltano invoke --dump=config``
shows that file); these tests set *every* setting through Meltano and run:

* ``meltano run tap-telegram-export target-jsonl`` (the real tap, ``source: export``):
  it runs, settings of the other sources are one warning each, ``chats`` and
  ``exclude_chats`` decide what is loaded;
* ``meltano run tap-telegram target-jsonl`` (MTProto, against the fake Telegram);
* ``meltano invoke tap-telegram:login`` in a terminal: the login helper reads the same
  config file (``--config``) and must not refuse it either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pexpect
import pytest

from tap_telegram.settings import CONFIG_SCHEMA, config_errors
from tap_telegram.tap import TapTelegram
from tests.e2e.meltano_project import (
    EXPORT_EXTRACTOR,
    FAKE_EXTRACTOR,
    Workspace,
    meltano_executable,
)
from tests.e2e.outputs import EXPORT_DIR, Destination
from tests.e2e.worlds import WorldFile, e2e_world_spec
from tests.every_setting import every_setting
from tests.fake_telegram import FakeTelegram, dump_spec, three_chats_world

pytestmark = pytest.mark.e2e

RUST = -1001555000111  # "Rust Meetup Москва" in the bundled export
MARKET = -1001987654321  # "Tokyo Night Market 東京夜市"


def handed_config(workspace: Workspace, extractor: str) -> dict:
    """The config file Meltano writes for ``extractor`` (``meltano invoke --dump=config``)."""
    done = workspace.meltano("--log-level=warning", "invoke", "--dump=config", extractor).check()
    text = done.output
    return json.loads(text[text.index("{") : text.rindex("}") + 1])


def test_meltano_run_with_every_setting_set(workspace: Workspace, tmp_path: Path) -> None:
    config = every_setting(
        "export",
        export_path=str(EXPORT_DIR),
        session_string="not-read-by-an-export",
        chats=["Rust Meetup Москва", str(MARKET)],
        exclude_chats=[str(MARKET)],
        media_dir=str(tmp_path / "media"),
    )
    workspace.set_config(EXPORT_EXTRACTOR, **config)

    handed = handed_config(workspace, EXPORT_EXTRACTOR)
    assert set(handed) == set(CONFIG_SCHEMA["properties"]), "Meltano passes every setting"
    assert config_errors.unknown_settings(handed, TapTelegram.known_settings()) == []

    result = workspace.run(EXPORT_EXTRACTOR, "target-jsonl").check()
    assert "unknown setting" not in result.output
    idle = config_errors.idle_settings(config, "export")
    assert len(idle) > 15, idle  # every MTProto and Bot API setting of every_setting()
    for line in idle:
        assert line in result.output
    rows = Destination("target-jsonl", workspace).rows()
    assert rows
    assert {int(row["chat_id"]) for row in rows} == {RUST}  # chats minus exclude_chats


def test_meltano_run_mtproto_with_every_setting_set(workspace: Workspace, tmp_path: Path) -> None:
    world_file = WorldFile(e2e_world_spec(), tmp_path / "world.json")
    workspace.use_world(world_file.path)
    base = world_file.fake.tap_config()
    devs = world_file.world.marked_id("devs")
    config = every_setting(
        "mtproto",
        api_id=base["api_id"],
        api_hash=base["api_hash"],
        session_string=base["session_string"],
        chats=["@e2e_devs", "@e2e_news"],
        exclude_chats=["@e2e_news"],
        media_dir=str(tmp_path / "media"),
        export_path=str(EXPORT_DIR),
    )
    workspace.set_config(FAKE_EXTRACTOR, **config)
    assert set(handed_config(workspace, FAKE_EXTRACTOR)) == set(CONFIG_SCHEMA["properties"])

    result = workspace.run(FAKE_EXTRACTOR, "target-jsonl").check()
    assert "unknown setting" not in result.output
    for line in config_errors.idle_settings(config, "mtproto"):
        assert line in result.output
    rows = Destination("target-jsonl", workspace).rows()
    assert {int(row["chat_id"]) for row in rows} == {devs}


def test_meltano_invoke_login_with_every_setting_set(workspace: Workspace, tmp_path: Path) -> None:
    fake = FakeTelegram(three_chats_world(seed=52))
    workspace.use_world(dump_spec(fake, tmp_path / "world.json"))
    config = every_setting("mtproto", session_string="replaced-by-the-login")
    workspace.set_config(FAKE_EXTRACTOR, **config)
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
        # api_id and api_hash come from the config file: the phone is the first question.
        for prompt, answer in (("Phone number.*: ", "+15550000000"), ("Login code.*: ", "24680")):
            child.expect(prompt)
            screen.append(child.before + child.after)
            child.sendline(answer)
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    text = "".join(screen)
    assert child.exitstatus == 0, text
    assert "unknown setting" not in text
    assert any(len(line.strip()) > 300 for line in text.splitlines()), "no session printed"
