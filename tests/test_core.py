"""singer-sdk's standard tap tests, run in-process against the fake Telegram.

The SDK's runner syncs once per class; its messages also pass the stream checker.
"""

import gc
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_telegram.tap import SourceRun, TapTelegram
from tests.fake_telegram import FakeTelegram, three_chats_world
from tests.fake_telegram.admin_log import rename_with_log
from tests.fake_telegram.checked import check_run
from tests.fake_telegram.harness import catalog_selecting
from tests.fake_telegram.stats import enable_stats

# Exports carry no chat creation date: the SDK's datetime check then has nothing to
# look at and says so with a UserWarning, which this suite would turn into an error.
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test:UserWarning")

WORLD = three_chats_world(seed=5)
WORLD.add_chat("forum", "forum", username="fake_forum", messages=40, topics=["Bugs", "Ideas"])
WORLD.add_user("pal", first_name="Pal", username="fake_pal", contact=True)
# The account administers the channel and the supergroup: the admin streams have records.
for key, role in (("channel", "creator"), ("supergroup", "admin")):
    WORLD.chats[key].admin = role
    enable_stats(WORLD, key)
    rename_with_log(WORLD, key, f"{WORLD.chats[key].title} (renamed)")
FAKE = FakeTelegram(WORLD)


class FakeTap(TapTelegram):
    client_factory = staticmethod(FAKE.client_factory)  # type: ignore[assignment]


#: Every stream selected: contacts and the streams for admins are not selected by default.
EVERY_STREAM = catalog_selecting(
    *("chats", "messages", "topics", "participants", "users", "contacts"),
    *("admin_log", "channel_stats", "group_stats", "stats_graphs"),
)
CONFIG = FAKE.tap_config(chats=["@fake_devs", "@fake_news", "@fake_forum"])
EXPORT_CONFIG = {"source": "export", "export_path": "examples/telegram-export"}


@pytest.fixture(autouse=True, scope="module")
def _close_the_runs_the_sdk_keeps() -> Iterator[None]:
    """Close the runs of the streams singer-sdk's factory keeps for the whole session.

    ``get_tap_test_class`` parametrizes its tests with stream objects of a tap it built
    at collection (singer_sdk/testing/factory.py), so pytest holds them, and the runs
    their dry-run syncs opened, until the session ends: no garbage collection closes
    them. Left open, their Telethon clients would ping from a loop thread for the rest
    of the session (``tests/conftest.py`` says why that matters).
    """
    yield
    # An open export run holds the heap frozen (tap_telegram/sources/export/heap.py), and
    # gc.get_objects() leaves frozen objects out: thaw first, the runs' close is counted.
    gc.unfreeze()
    for run in [obj for obj in gc.get_objects() if isinstance(obj, SourceRun)]:
        if run.open_source is not None:
            run.finish(succeeded=True, logger=logging.getLogger("tests.test_core"))


def _lines(runner: Any) -> list[str]:
    """The SDK runner's parsed messages as the lines the tap wrote."""
    return [json.dumps(message) for message in runner.raw_messages]


class TestTapTelegram(
    get_tap_test_class(tap_class=FakeTap, config=CONFIG, catalog=EVERY_STREAM)  # type: ignore[misc]
):
    """The standard tests, and the stream checker over the runner's sync."""

    def test_stream_checker(self, runner: Any) -> None:
        report = check_run(_lines(runner), FAKE, CONFIG, None)
        assert report.records.get("messages")


class TestTapTelegramExport(
    get_tap_test_class(  # type: ignore[misc]
        tap_class=TapTelegram,
        config=EXPORT_CONFIG,
        catalog=EVERY_STREAM,
        # Exports have no member lists, contacts, admin logs or statistics.
        suite_config=SuiteConfig(
            ignore_no_records_for_streams=[
                "participants",
                "contacts",
                "admin_log",
                "channel_stats",
                "group_stats",
                "stats_graphs",
            ]
        ),
    )
):
    """The standard tests, and the stream checker over the runner's sync."""

    def test_stream_checker(self, runner: Any) -> None:
        report = check_run(_lines(runner), None, EXPORT_CONFIG, None)
        assert report.records.get("messages")
