"""A misspelled, misplaced or mis-shaped setting never widens what a run extracts.

The real command line (``python -m tap_telegram``) on the bundled export: unknown keys
and wrong shapes end the run before anything is read, with one line naming the
setting and exit code 2; settings the chosen source ignores are one warning each; the
config Meltano hands the tap in ``make demo`` (meltano.yml's defaults and the ``dev``
environment) passes without any.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_telegram.cli import login
from tap_telegram.errors import ConfigError
from tap_telegram.settings import CONFIG_SCHEMA, ONLY_FOR, config_errors
from tap_telegram.sources import SOURCES
from tap_telegram.tap import TapTelegram
from tests.every_setting import every_setting
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, three_chats_world
from tests.stream_check import check_text

ROOT = Path(__file__).resolve().parents[2]
EXPORT = {"source": "export", "export_path": str(ROOT / "examples" / "telegram-export")}
SECRET = "1BVtsOKABu0mYAb8secretSessionValue0123456789"
IDLE = "does nothing with source"


def run_cli(config: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The tap's command line on ``config``; stdout holds the Singer messages."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    check_text(done.stdout)
    return done


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| WARNING" in line]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The case: a typo that used to mean "no chats configured: every chat".
        ({"chat": ["Rust Meetup Москва"]}, "unknown setting 'chat'; did you mean 'chats'?"),
        ({"Chats": ["Rust Meetup Москва"]}, "unknown setting 'Chats'; did you mean 'chats'?"),
        ({"exclude_chat": ["x"]}, "did you mean 'exclude_chats'?"),
        ({"completely_else": 1}, "unknown setting 'completely_else'; tap-telegram has no such"),
        # An empty list is a templating mistake, not "every chat".
        ({"chats": []}, "setting 'chats' is an empty list"),
        ({"chat_types": []}, "setting 'chat_types' is an empty list"),
        ({"chats": "Rust Meetup Москва"}, "setting 'chats' must be a list, not one string"),
        ({"chat_types": ["channel", "dm"]}, "setting 'chat_types' (item 1) must be one of user"),
        ({"start_date": "2999-01-01"}, "setting 'start_date' is in the future"),
        ({"start_date": "next tuesday"}, "setting 'start_date' must be a date-time"),
        ({"start_message_id": -1}, "setting 'start_message_id' must be at least 0"),
    ],
)
def test_a_wrong_setting_stops_the_run_with_one_line(change, expected, tmp_path):
    done = run_cli({**EXPORT, **change}, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout == "", "nothing may be read or written"
    (line,) = error_lines(done.stderr)
    assert expected in line
    assert "Traceback" not in done.stderr


def test_values_are_never_echoed_even_under_a_misspelled_key(tmp_path):
    done = run_cli({**EXPORT, "session_strng": SECRET, "chats": SECRET}, tmp_path)
    assert done.returncode == 2
    (line,) = error_lines(done.stderr)
    assert "unknown setting 'session_strng'; did you mean 'session_string'?" in line
    assert "setting 'chats' must be a list" in line
    assert SECRET not in done.stderr
    assert SECRET[5:25] not in done.stderr


def test_settings_of_another_source_are_one_warning_each(tmp_path):
    config = {
        **EXPORT,
        "chats": ["Rust Meetup Москва"],
        "lookback_messages": 500,  # the example: MTProto only
        "bot_token": "123:" + SECRET,  # Bot API only, and secret: named, never shown
        "use_takeout": False,  # its default: says nothing
        "max_concurrent_requests": 12,  # its default
        "page_size": 50,  # read by every source
    }
    done = run_cli(config, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    # The tap's own lines (an old singer-sdk adds a Python end-of-life warning of its own).
    idle = [
        line.split("| tap-telegram: ")[-1]
        for line in warning_lines(done.stderr)
        if "| tap-telegram: " in line
    ]
    assert idle == [
        "setting 'lookback_messages' does nothing with source export (only with mtproto); "
        "it is ignored: remove it, or check `source`",
        "setting 'bot_token' does nothing with source export (only with bot_api); "
        "it is ignored: remove it, or check `source`",
    ]
    assert SECRET not in done.stderr
    assert '"RECORD"' in done.stdout


def meltano_config(environment: str = "dev") -> dict[str, Any]:
    """The config file ``meltano run tap-telegram ...`` writes for the tap (``environment``).

    Meltano passes every declared setting that has a value (``value:`` defaults
    included) and the plugin's and environment's ``config:``, nothing else
    (``meltano invoke --dump=config``; tests/e2e/test_meltano_config.py runs the real one).
    """
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (extractor,) = project["plugins"]["extractors"]
    config = {s["name"]: s["value"] for s in extractor["settings"] if "value" in s}
    config.update(extractor.get("config") or {})
    for env in project["environments"]:
        if env["name"] == environment:
            for plugin in env.get("config", {}).get("plugins", {}).get("extractors", []):
                if plugin["name"] == extractor["name"]:
                    config.update(plugin.get("config") or {})
    return config


def test_make_demo_config_warns_about_no_setting(tmp_path):
    """``make demo``: meltano.yml's defaults with the ``dev`` export: no setting is idle."""
    config = meltano_config("dev")
    assert config["source"] == "export"
    config["export_path"] = str(ROOT / config["export_path"])
    done = run_cli(config, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [line for line in warning_lines(done.stderr) if IDLE in line]


@pytest.mark.parametrize("source", list(SOURCES))
def test_meltano_defaults_are_idle_under_every_source(source):
    """Meltano passes every declared default: none of them may count as "set"."""
    config = {**meltano_config("prod"), "source": source}
    assert config_errors.idle_settings(config, source) == []


def test_only_for_names_real_settings_and_sources():
    for name, sources in ONLY_FOR.items():
        assert name in CONFIG_SCHEMA["properties"], name
        assert set(sources) <= set(SOURCES), name
        assert set(sources) != set(SOURCES), f"{name} applies to every source: drop it"


def test_singer_sdk_settings_stay_accepted():
    """Stream maps, flattening, batch and faker config are the SDK's own settings."""
    known = TapTelegram.known_settings()
    sdk = {
        "stream_maps": {"messages": {"text": None}},
        "stream_map_config": {"salt": "x"},
        "faker_config": {"seed": 1, "locale": "en_US"},
        "flattening_enabled": True,
        "flattening_max_depth": 2,
        "batch_config": {"encoding": {"format": "jsonl"}, "storage": {"root": "file:///tmp"}},
    }
    assert set(sdk) <= known
    assert set(CONFIG_SCHEMA["properties"]) <= known
    TapTelegram(config={**EXPORT, **sdk})  # no ConfigError
    assert config_errors.unknown_settings({**EXPORT, **sdk}, known) == []


def test_discovery_needs_no_config_and_only_warns():
    """``--discover`` runs without validating: an unknown key is a warning there."""
    tap = TapTelegram(config={"chat": ["x"]}, validate_config=False)
    assert [stream.name for stream in tap.discover_streams()]
    with pytest.raises(ConfigError, match="unknown setting 'chat'"):
        TapTelegram(config={"chat": ["x"]})


def test_a_past_start_date_is_fine():
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert config_errors.start_date_problems({"start_date": "2024-12-31T23:59:59Z"}, now) == []
    assert config_errors.start_date_problems({"start_date": "2025-01-02"}, now)
    assert config_errors.start_date_problems({}, now) == []


# ----- tap-telegram login --config ------------------------------------------------------


def login_with(config: dict[str, Any], tmp_path: Path, *answers: str) -> tuple[int, str, list]:
    """``tap-telegram login --config FILE`` against the fake Telegram, prompts scripted."""
    path = tmp_path / "login-config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    fake = FakeTelegram(three_chats_world(seed=12))
    asked: list[str] = []
    pending = list(answers)

    def prompt(text: str, secret: bool) -> str:
        asked.append(text)
        if not pending:
            raise EOFError
        return pending.pop(0)

    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--config", str(path)], client_factory=fake.client_factory, prompt=prompt, out=out, err=err
    )
    return code, err.getvalue(), asked


def test_login_refuses_a_misspelled_setting_before_asking_anything(tmp_path):
    config = {"api_id": API_ID, "api_hsh": API_HASH}
    code, err, asked = login_with(config, tmp_path)
    assert code == 2
    assert err.strip().endswith("unknown setting 'api_hsh'; did you mean 'api_hash'?")
    assert len(err.strip().splitlines()) == 1
    assert API_HASH not in err
    assert asked == []


def test_login_accepts_a_config_with_every_setting(tmp_path):
    code, err, asked = login_with(every_setting("mtproto"), tmp_path, "+15550000000", "24680")
    assert code == 0, err
    assert asked[0].startswith("Phone number")  # api_id and api_hash came from the file


def test_a_parquet_batch_without_pyarrow_stops_at_start(tmp_path: Path) -> None:
    # The SDK writes Parquet batch files with pyarrow, which the tap does not install:
    # without this check the run failed with a traceback at its first batch file.
    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed here: parquet batches work")
    batch = {
        "encoding": {"format": "parquet", "compression": "gzip"},
        "storage": {"root": f"file://{tmp_path}", "prefix": "b-"},
    }
    done = run_cli({**EXPORT, "batch_config": batch}, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert [line.split("tap-telegram: ", 1)[1] for line in error_lines(done.stderr)] == [
        "invalid config: setting 'batch_config': format 'parquet' needs pyarrow in the tap's "
        "environment (pip install pyarrow); or use format 'jsonl'; fix the setting(s) "
        "(`tap-telegram --about` lists them all)"
    ]
    assert not list(tmp_path.glob("b-*"))
    assert '"type":"STATE"' not in done.stdout.replace(" ", "")
