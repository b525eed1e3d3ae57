"""One chat's messages in id order when the file has them in another order.

Telegram Desktop writes every chat oldest first, so ids ascend; a file that was
edited, merged by a script or damaged may not. The tap still delivers such a chat in
id order, because a bookmark is the highest id emitted: emitting a later id before an
earlier one would put a bookmark past a message that was not emitted yet, and a
failure in between would lose that message for good.

:func:`sorted_unique` sorts in runs of :data:`RUN_SIZE` messages: a chat that fits is
sorted in memory; a longer one spills each sorted run to an anonymous temporary file
(pickled, removed when closed) and merges the runs, holding one message per run. At
:data:`MAX_RUNS` runs they are first merged into one, so open files stay few whatever
the chat's size. Memory is bounded by one run; the disk needs about the chat's size.

Repeated ids: identical copies are one message; copies that differ contradict each
other (which one is right?) and stop the chat *before* that id is emitted, so its
bookmark stays below it and a rerun on a corrected file delivers it.
"""

from __future__ import annotations

import heapq
import operator
import pickle
import tempfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from tap_telegram.sources.export.spans import export_error

Message = dict[str, Any]

#: Messages sorted in memory at once (a run); a longer chat is sorted in runs on disk.
RUN_SIZE = 20_000
#: Runs on disk merged into one when there are this many (bounds open files).
MAX_RUNS = 64

_by_id = operator.itemgetter("id")


def sorted_unique(messages: Iterable[Message], path: Path) -> Generator[Message, None, None]:
    """``messages`` (each with an integer ``id``) in strictly ascending id order.

    Identical repeats are dropped; a repeat that differs raises
    :class:`~tap_telegram.errors.ExportFormatError` naming ``path`` and the id, before
    that id is yielded.
    """
    with ExitStack() as stack:
        runs: list[IO[bytes]] = []
        run: list[Message] = []
        for message in messages:
            run.append(message)
            if len(run) >= RUN_SIZE:
                run.sort(key=_by_id)
                runs.append(stack.enter_context(_spill(run)))
                run = []
            if len(runs) >= MAX_RUNS:
                combined = _spill(_merge(runs))
                for handle in runs:
                    handle.close()
                runs = [stack.enter_context(combined)]
        run.sort(key=_by_id)
        if runs:
            runs.append(stack.enter_context(_spill(run)))
            run = []  # not held while the runs are merged
        yield from _unique(_merge(runs) if runs else iter(run), path)


def _merge(runs: list[IO[bytes]]) -> Iterator[Message]:
    """The messages of sorted runs in id order; within an id, earlier runs first (file order)."""
    return heapq.merge(*map(_unspill, runs), key=_by_id)


def _spill(run: Iterable[Message]) -> IO[bytes]:
    """Messages already in id order (within an id, in file order) into a temporary file."""
    handle = tempfile.TemporaryFile(prefix="tap-telegram-sort-")  # noqa: SIM115 - closed by the caller's ExitStack
    try:
        for message in run:
            pickle.dump(message, handle, pickle.HIGHEST_PROTOCOL)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def _unspill(handle: IO[bytes]) -> Iterator[Message]:
    """The messages of one spilled run, in order."""
    while True:
        try:
            # Our own file, written just above from the export's JSON values.
            yield pickle.load(handle)  # noqa: S301
        except EOFError:
            return


def _unique(messages: Iterator[Message], path: Path) -> Iterator[Message]:
    """Ascending messages with repeats resolved; each is held until its successor differs."""
    held = next(messages, None)
    if held is None:
        return
    for message in messages:
        if message["id"] != held["id"]:
            yield held
            held = message
        elif message != held:
            raise export_error(
                path,
                f"message id {held['id']}",
                "the file holds two different messages with this id, so the tap cannot tell "
                "which is right",
                "keep the right one (or export the chat again) and run the tap again",
            )
    yield held
