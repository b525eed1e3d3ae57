"""singer-sdk's standard tap tests, run in-process against the fake Telegram."""

import pytest
from singer_sdk.testing import get_tap_test_class

from tap_telegram.tap import TapTelegram
from tests.fake_telegram import FakeTelegram, three_chats_world

# Exports carry no chat creation date: the SDK's datetime check then has nothing to
# look at and says so with a UserWarning, which this suite would turn into an error.
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test:UserWarning")

FAKE = FakeTelegram(three_chats_world(seed=5))


class FakeTap(TapTelegram):
    client_factory = staticmethod(FAKE.client_factory)  # type: ignore[assignment]


TestTapTelegram = get_tap_test_class(
    tap_class=FakeTap,
    config=FAKE.tap_config(chats=["@fake_devs", "@fake_news"]),
)

TestTapTelegramExport = get_tap_test_class(
    tap_class=TapTelegram,
    config={"source": "export", "export_path": "examples/telegram-export"},
)
