"""Session-wide hooks: the closing line says how many tap runs the stream checker checked."""

from __future__ import annotations

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
