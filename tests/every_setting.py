"""A config with every setting of the tap set to a valid value (no tests here).

Used where a test must show that a full config, as a shared Meltano project may hold
it, is accepted: by the sync (tests/e2e/test_meltano_config.py, through ``meltano
run``), by ``tap-telegram login --config`` (tests/cli/test_config_errors.py, and
through ``meltano invoke``). Settings of other sources than ``source`` are set to
non-default values on purpose: they must be reported, not refused.
"""

from __future__ import annotations

from typing import Any

from tap_telegram.settings import CONFIG_SCHEMA
from tests.fake_bot_api import TOKEN
from tests.fake_telegram import API_HASH, API_ID


def every_setting(source: str, **overrides: Any) -> dict[str, Any]:
    """Every setting set (``overrides`` win); raises if the tap gained one not listed here."""
    config: dict[str, Any] = {
        "source": source,
        "api_id": API_ID,
        "api_hash": API_HASH,
        "session_string": "",  # filled by callers that log in; an empty one is "unset"
        "session_file": "/nonexistent/tap-telegram.session",
        "chats": ["@fake_devs"],
        "chat_types": ["user", "group", "supergroup", "channel"],
        "exclude_chats": ["@fake_news"],
        "start_date": "2001-01-01T00:00:00Z",
        "start_message_id": 0,
        "page_size": 100,
        "max_flood_wait": 120,
        "max_concurrent_requests": 6,
        "concurrent_chats": 2,
        "on_chat_error": "continue",
        "use_takeout": True,
        "stream_per_chat": False,
        "track_changes": False,
        "lookback_messages": 20,
        "verify_requests_per_run": 5,
        "state_every_records": 5_000,
        "state_every_seconds": 120,
        "lookback_days": 2,
        "include_comments": True,
        "dc_id": 2,
        "server_address": "127.0.0.1",
        "server_port": 443,
        "media_dir": "/nonexistent/media",
        "media_kinds": ["photo", "document"],
        "media_max_size": 1_000_000,
        "export_path": "/nonexistent/result.json",
        "export_timezone": "Europe/Berlin",
        "chat_refresh_hours": 12,
        "max_reconnect_seconds": 60,
        "proxy": "socks5://127.0.0.1:9",
        "participants_refresh_hours": 12,
        "stats_posts": 2,
        "bot_token": TOKEN,
        "bot_api_url": "http://127.0.0.1:9",
        "allowed_updates": ["message", "channel_post"],
        "bot_api_timeout": 5,
    }
    missing = set(CONFIG_SCHEMA["properties"]) - set(config)
    if missing:
        msg = f"tests/every_setting.py: add a value for {sorted(missing)}"
        raise AssertionError(msg)
    config.update(overrides)
    return config
