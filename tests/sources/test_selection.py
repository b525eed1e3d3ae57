"""Chat selection shared by the sources (tap_telegram/sources/selection.py), and the
export source's use of it on the bundled sample export (7 chats: 3 user, 1 group,
2 supergroup, 1 channel)."""

from __future__ import annotations

import logging

import pytest

from tap_telegram.errors import ConfigError
from tap_telegram.settings import Settings
from tap_telegram.sources.selection import announce_every_chat, wanted_types, without_excluded
from tests.sources.export.support import ACCOUNT_SAMPLE, chats_of

RUST = -1001555000111  # "Rust Meetup Москва", a supergroup (left_chats)
MARKET = -1001987654321  # "Tokyo Night Market 東京夜市", a channel


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_every_chat_is_said_out_loud_with_counts_and_how_to_narrow(caplog):
    caplog.set_level(logging.INFO)
    chats = chats_of(ACCOUNT_SAMPLE)
    assert len(chats) == 7
    (line,) = warnings_of(caplog)
    assert line == (
        "tap-telegram: no `chats` setting, so extracting every chat in the export: 7 chats "
        "(3 user, 1 group, 2 supergroup, 1 channel); to extract less, list the chats in "
        "`chats`, keep some types with `chat_types` (user, group, supergroup, channel) or "
        "leave chats out with `exclude_chats`"
    )


def test_chat_types_narrow_and_the_warning_counts_what_is_left(caplog):
    chats = chats_of(ACCOUNT_SAMPLE, chat_types=["channel", "supergroup"])
    assert {chat["id"] for chat in chats} == {-1001765432109, MARKET, RUST}
    (line,) = warnings_of(caplog)
    assert "every chat in the export: 3 chats (2 supergroup, 1 channel);" in line


def test_listed_chats_say_nothing(caplog):
    chats = chats_of(ACCOUNT_SAMPLE, chats=["Rust Meetup Москва"])
    assert [chat["id"] for chat in chats] == [RUST]
    assert warnings_of(caplog) == []


def test_exclude_chats_takes_chats_out_of_every_chat(caplog):
    excluded = ["Rust Meetup Москва", str(MARKET), "6234509876"]
    chats = chats_of(ACCOUNT_SAMPLE, exclude_chats=excluded)
    ids = [chat["id"] for chat in chats]
    assert len(ids) == 4
    assert not {RUST, MARKET, 6234509876} & set(ids)
    (line,) = warnings_of(caplog)
    assert "every chat in the export: 4 chats (2 user, 1 group, 1 supergroup);" in line


def test_exclude_chats_takes_chats_out_of_chats(caplog):
    chats = chats_of(
        ACCOUNT_SAMPLE, chats=["Rust Meetup Москва", str(MARKET)], exclude_chats=[str(RUST)]
    )
    assert [chat["id"] for chat in chats] == [MARKET]
    assert warnings_of(caplog) == []


def test_an_exclude_entry_that_matches_nothing_is_a_warning(caplog):
    chats = chats_of(ACCOUNT_SAMPLE, chats=[str(MARKET)], exclude_chats=["Rust Meetup Moskva"])
    assert [chat["id"] for chat in chats] == [MARKET]
    assert warnings_of(caplog) == [
        "tap-telegram: setting 'exclude_chats': 'Rust Meetup Moskva' matches none of the "
        "chats selected, so it excludes nothing; check the id, @username or name"
    ]


def test_without_excluded_keeps_order_and_returns_the_misses():
    kept, unmatched = without_excluded([1, 2, 3, 4, 5], ["odd", "none", "4"], _matches_number)
    assert kept == [2]
    assert unmatched == ["none"]


def _matches_number(entry: str, number: int) -> bool:
    return (entry == "odd" and number % 2 == 1) or entry == str(number)


def test_announce_without_counts_when_the_source_cannot_know(caplog):
    announce_every_chat(logging.getLogger("tests.selection"), "this bot hears from", None)
    (line,) = warnings_of(caplog)
    assert line.startswith("tap-telegram: no `chats` setting, so extracting every chat this bot")
    assert "chats (" not in line


def test_wanted_types():
    assert wanted_types(Settings()) == {"user", "group", "supergroup", "channel"}
    assert wanted_types(Settings(chat_types=("user",))) == {"user"}
    with pytest.raises(ConfigError, match="setting 'chat_types': unknown dm"):
        wanted_types(Settings(chat_types=("dm",)))
