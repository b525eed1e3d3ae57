"""The table of Telegram errors: every row reachable, every text one line, order kept."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telethon import errors

from tap_telegram.errors import ChatError, ConfigError, SessionError
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.mtproto.wire.errors import MEANINGS, user_error


def instance(kind):
    """An error of ``kind`` as Telethon raises it (generic ones carry a message)."""
    try:
        return kind(None)
    except TypeError:
        return kind(None, "SOME_MESSAGE", 500)


def test_no_row_is_shadowed_by_an_earlier_one():
    """First match wins: a row whose errors an earlier row catches would never apply."""
    for index, meaning in enumerate(MEANINGS):
        earlier = tuple(kind for row in MEANINGS[:index] for kind in row.kinds)
        for kind in meaning.kinds:
            assert not issubclass(kind, earlier), kind.__name__


@pytest.mark.parametrize("meaning", MEANINGS, ids=lambda meaning: meaning.kinds[0].__name__)
def test_every_row_gives_one_line_that_says_what_to_do(meaning):
    for kind in meaning.kinds:
        error = user_error(instance(kind), chat="1 (@c)", what="GetHistoryRequest")
        assert type(error) is meaning.raises
        text = str(error)
        assert "\n" not in text
        assert "{" not in text
        assert "}" not in text
        assert "; " in text  # "<what is wrong>; <what to do>"
        if meaning.raises is ChatError:
            assert text.startswith("chat 1 (@c): ")


@pytest.mark.parametrize(
    ("error", "raises", "text"),
    [
        (
            errors.ChannelPrivateError(None),
            ChatError,
            "chat 1 (@c): the chat is private, deleted or the account was banned from it "
            "(CHANNEL_PRIVATE); check the account can open it in Telegram",
        ),
        (
            errors.AuthKeyUnregisteredError(None),
            SessionError,
            "the session is not valid any more (revoked or logged out); "
            "run `tap-telegram login` to create a new session_string",
        ),
        (
            errors.SessionExpiredError(None),
            SessionError,
            "Telegram refused the session (SESSION_EXPIRED); "
            "run `tap-telegram login` to create a new session_string",
        ),
        (errors.BotMethodInvalidError(None), ConfigError, "the session belongs to a bot"),
        (
            errors.ServerError(None, "RPC_CALL_FAIL", 500),
            ChatError,
            "chat 1 (@c): Telegram kept answering GetHistoryRequest with a server error "
            "(RPC_CALL_FAIL); its servers have trouble, run again later",
        ),
    ],
)
def test_caller_raises_the_meaning(error, raises, text):
    async def send():
        raise error

    caller = Caller(None, logging.getLogger("test"), max_flood_wait=5)
    with pytest.raises(raises) as raised:
        asyncio.run(caller.call(send, chat="1 (@c)", what="GetHistoryRequest"))
    assert str(raised.value).startswith(text)
    assert raised.value.__suppress_context__  # no "During handling..." chain


def test_an_error_without_a_row_keeps_its_traceback():
    error = errors.MessageIdInvalidError(None)

    async def send():
        raise error

    caller = Caller(None, logging.getLogger("test"), max_flood_wait=5)
    with pytest.raises(errors.MessageIdInvalidError) as raised:
        asyncio.run(caller.call(send, chat="1 (@c)", what="GetHistoryRequest"))
    assert raised.value is error
