"""Session-wide hooks: the closing line says how many tap runs the stream checker checked."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stream_check import checked_runs

#: Key of the count in an xdist worker's output.
WORKER_KEY = "stream_checked_runs"
_from_workers: list[int] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its count to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[WORKER_KEY] = checked_runs()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds up its workers' counts (pytest-xdist)."""
    _from_workers.append(int(getattr(node, "workeroutput", {}).get(WORKER_KEY, 0)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """``stream checker: N tap runs checked`` at the end of the session."""
    total = checked_runs() + sum(_from_workers)
    terminalreporter.write_line(f"stream checker: {total} tap runs checked")


#: Name of the tap's event-loop thread (:class:`tap_telegram.sources.mtproto.wire.loop.LoopThread`).
IO_THREAD = "tap-telegram-io"


@pytest.fixture(autouse=True, scope="module")
def _no_run_outlives_its_module() -> Iterator[None]:
    """Every tap run a module starts is closed by the module's end (no leaked client).

    A run left open keeps a connected Telethon client on a loop thread; after a minute
    its keepalive draws ping ids from the global ``random`` (telethon/client/updates.py),
    which hypothesis, running in the main thread of a later module, reports as a
    strategy using ``random`` (a failure with no cause in that module). A run's source
    is closed by ``finish`` or, in dry runs, when the run is collected: collect first.
    """
    yield
    gc.collect()
    leaked = [thread for thread in threading.enumerate() if thread.name == IO_THREAD]
    assert not leaked, f"{len(leaked)} tap run(s) left open: close the source (Run.finish)"
