"""Small helpers for tests that drive a client against the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from telethon import TelegramClient

from tests.fake_telegram.fake import FakeTelegram


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a fresh event loop that is closed afterwards."""
    return asyncio.run(coro)


@contextlib.asynccontextmanager
async def connected(
    fake: FakeTelegram, status: str = "ok", **settings: Any
) -> AsyncIterator[TelegramClient]:
    """A connected client (session ``status``), always disconnected at the end.

    Disconnecting matters: it cancels Telethon's update and keep-alive tasks, which
    would otherwise be destroyed pending when the loop closes.
    """
    client = fake.client(status, **settings)
    try:
        await client.connect()
        yield client
    finally:
        await client.disconnect()
