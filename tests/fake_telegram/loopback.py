"""A loopback server's event loop in a thread of its own, shared by the TCP front and the proxy.

Entering starts the loop and listens (:meth:`LoopbackThread._listen`); leaving stops the
server (:meth:`LoopbackThread._stop`), then the loop and its thread.
"""

from __future__ import annotations

import abc
import asyncio
import threading

from typing_extensions import Self


class LoopbackThread(abc.ABC):
    """An asyncio loop run in a daemon thread for the life of a ``with`` block."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    @abc.abstractmethod
    async def _listen(self) -> None:
        """Start listening (inside the loop)."""

    @abc.abstractmethod
    async def _stop(self) -> None:
        """Stop listening and end the connections (inside the loop)."""
