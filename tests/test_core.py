"""singer-sdk's standard tap tests, run in-process against the fake Telegram."""

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_telegram.tap import TapTelegram
from tests.fake_telegram import FakeTelegram, three_chats_world
from tests.fake_telegram.harness import catalog_selecting

# Exports carry no chat creation date: the SDK's datetime check then has nothing to
# look at and says so with a UserWarning, which this suite would turn into an error.
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test:UserWarning")

WORLD = three_chats_world(seed=5)
WORLD.add_chat("forum", "forum", username="fake_forum", messages=40, topics=["Bugs", "Ideas"])
WORLD.add_user("pal", first_name="Pal", username="fake_pal", contact=True)
FAKE = FakeTelegram(WORLD)


class FakeTap(TapTelegram):
    client_factory = staticmethod(FAKE.client_factory)  # type: ignore[assignment]


CONFIG = FAKE.tap_config(chats=["@fake_devs", "@fake_news", "@fake_forum"])

TestTapTelegram = get_tap_test_class(
    tap_class=FakeTap,
    config=CONFIG,
    # ``contacts`` is not selected by default: the suite reads every stream.
    catalog=catalog_selecting(CONFIG, "contacts"),
)

TestTapTelegramExport = get_tap_test_class(
    tap_class=TapTelegram,
    config={"source": "export", "export_path": "examples/telegram-export"},
    # Exports have no member lists, and the tap reads no contact list from them.
    suite_config=SuiteConfig(ignore_no_records_for_streams=["participants", "contacts"]),
)
