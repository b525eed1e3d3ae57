"""One asyncio event loop per run, in a thread of its own.

The Singer SDK is synchronous (SDK issue #183) and Telethon is bound to the event loop
it connected on. Running that loop in a dedicated thread lets the synchronous streams
submit coroutines and block on their results, while the loop keeps working in the
background: the next history pages are fetched while the SDK writes the current one,
and several chats and their parallel lanes share one loop under one rate budget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread until :meth:`close`."""

    def __init__(self, name: str = "tap-telegram-io") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (nothing can be submitted any more)."""
        return self._closed

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; the caller may wait on the future later."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (re-raising its error)."""
        return self.submit(coro).result()

    def close(self) -> None:
        """Cancel what is left, stop the loop, join the thread and close the loop.

        Idempotent. Pending tasks are cancelled and awaited and async generators are
        finalised, so nothing is left for the garbage collector to complain about.
        """
        if self._closed:
            return
        self._closed = True
        if self.loop.is_running():
            try:
                self.run(self._cancel_pending())
                # Inside the loop's own thread: close() may be called while another
                # loop runs in the caller's thread (e.g. from a finalizer).
                self.run(self.loop.shutdown_asyncgens())
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join()
        self.loop.close()

    async def _cancel_pending(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
