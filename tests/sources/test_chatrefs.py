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
