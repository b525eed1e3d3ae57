import pytest

from tap_telegram.errors import ConfigError
from tap_telegram.sources.chatrefs import ChatRef, parse_chat_ref, parse_chat_refs


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("-1001234567890", "id", -1001234567890),
        ("12345", "id", 12345),
        ("-4567", "id", -4567),
        ("@durov", "username", "durov"),
        ("durov_chat", "username", "durov_chat"),
        ("https://t.me/dataeng_chat", "username", "dataeng_chat"),
        ("t.me/s/news_channel", "username", "news_channel"),
        ("http://telegram.me/some_group/", "username", "some_group"),
        ("tg://resolve?domain=some_group", "username", "some_group"),
        ("https://t.me/c/1234567890/55", "id", -1001234567890),
        ("https://t.me/+AbCdEf123", "invite", "AbCdEf123"),
        ("t.me/joinchat/AbCdEf123", "invite", "AbCdEf123"),
        ("https://t.me/dataeng_chat/1234?single", "username", "dataeng_chat"),
    ],
)
def test_parse_chat_ref(text, kind, value):
    ref = parse_chat_ref(text)
    assert (ref.kind, ref.value) == (kind, value)
    assert str(ref) == text


@pytest.mark.parametrize("text", ["", "  ", "@ab", "hello world", "https://example.com/x", "t.me/"])
def test_bad_chat_ref_names_the_setting(text):
    with pytest.raises(ConfigError, match="setting 'chats'"):
        parse_chat_ref(text)


def test_duplicates_dropped_order_kept():
    refs = parse_chat_refs(["@Alpha_chat", "-100123", "@alpha_chat", "-100123", "@beta_chat"])
    assert refs == [
        ChatRef("username", "Alpha_chat", "@Alpha_chat"),
        ChatRef("id", -100123, "-100123"),
        ChatRef("username", "beta_chat", "@beta_chat"),
    ]


def test_exclude_chats_errors_name_their_setting():
    with pytest.raises(ConfigError, match="setting 'exclude_chats': cannot read 'hello world'"):
        parse_chat_refs(["@fine_name", "hello world"], "exclude_chats")


def test_numbers_are_ids_like_their_digits():
    """Meltano users type ids unquoted: `chats: [-1001234567890]`."""
    assert parse_chat_ref(-1001234567890) == ChatRef("id", -1001234567890, "-1001234567890")
    assert parse_chat_refs([-100123, "-100123", 42]) == [
        ChatRef("id", -100123, "-100123"),
        ChatRef("id", 42, "42"),
    ]


def test_chats_as_json_numbers_pass_config_validation_and_sync():
    from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world

    world = three_chats_world(seed=61)
    fake = FakeTelegram(world)
    news = world.marked_id("@fake_news")
    run = run_fake_tap(fake, fake.tap_config(chats=[news, "@fake_devs"])).check()
    chats = {record["chat_id"] for record in run.records["messages"]}
    assert chats == {news, world.marked_id("@fake_devs")}
    assert "must be a string" not in run.stderr
