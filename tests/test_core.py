"""singer-sdk's standard tap tests, run in-process against the fake Telegram.

The SDK's runner syncs once per class; its messages also pass the stream checker.
"""

import json
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_telegram.tap import TapTelegram
from tests.fake_telegram import FakeTelegram, three_chats_world
from tests.fake_telegram.checked import check_run

# Exports carry no chat creation date: the SDK's datetime check then has nothing to
# look at and says so with a UserWarning, which this suite would turn into an error.
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test:UserWarning")

WORLD = three_chats_world(seed=5)
WORLD.add_chat("forum", "forum", username="fake_forum", messages=40, topics=["Bugs", "Ideas"])
FAKE = FakeTelegram(WORLD)


class FakeTap(TapTelegram):
    client_factory = staticmethod(FAKE.client_factory)  # type: ignore[assignment]


CONFIG = FAKE.tap_config(chats=["@fake_devs", "@fake_news", "@fake_forum"])
EXPORT_CONFIG = {"source": "export", "export_path": "examples/telegram-export"}


def _lines(runner: Any) -> list[str]:
    """The SDK runner's parsed messages as the lines the tap wrote."""
    return [json.dumps(message) for message in runner.raw_messages]


class TestTapTelegram(get_tap_test_class(tap_class=FakeTap, config=CONFIG)):  # type: ignore[misc]
    """The standard tests, and the stream checker over the runner's sync."""

    def test_stream_checker(self, runner: Any) -> None:
        report = check_run(_lines(runner), FAKE, CONFIG, None)
        assert report.records.get("messages")


class TestTapTelegramExport(
    get_tap_test_class(  # type: ignore[misc]
        tap_class=TapTelegram,
        config=EXPORT_CONFIG,
        # Exports have no member lists.
        suite_config=SuiteConfig(ignore_no_records_for_streams=["participants"]),
    )
):
    """The standard tests, and the stream checker over the runner's sync."""

    def test_stream_checker(self, runner: Any) -> None:
        report = check_run(_lines(runner), None, EXPORT_CONFIG, None)
        assert report.records.get("messages")
