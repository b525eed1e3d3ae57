"""The process's start-up heap, frozen while exports are read: the collector stops re-walking it.

Reading an export allocates a dict per message and per text part, and a record per
message. CPython's cyclic garbage collector runs after every few hundred net
allocations, and each of its older-generation passes walks every tracked object, the
objects of start-up included (modules, singer-sdk, Telethon's types, the schemas: a
few hundred thousand) although they live until the process exits. On the export
bench those passes were about 6 % of the tap's CPU. :func:`gc.freeze` moves the
objects alive now into a generation the collector never examines; messages and
records are freed by reference counting as before (they hold no cycles), so memory and
output do not change, only the work of walking what cannot be garbage.

The freeze is counted: the last :meth:`HeapFreeze.release` (the source's ``close``)
unfreezes, so a long-lived process (the test suite) does not keep its frozen objects
out of collection for good.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


class HeapFreeze:
    """One holder of the process-wide freeze (idempotent ``hold`` and ``release``)."""

    #: Holders now, in the whole process.
    _holders = 0

    def __init__(self) -> None:
        self._held = False

    def hold(self) -> None:
        """Freeze the heap as it is (the first holder does), once per holder."""
        if self._held:
            return
        self._held = True
        if HeapFreeze._holders == 0:
            gc.freeze()
        HeapFreeze._holders += 1

    def release(self) -> None:
        """Give the freeze up; the last holder unfreezes."""
        if not self._held:
            return
        self._held = False
        HeapFreeze._holders -= 1
        if HeapFreeze._holders == 0:
            gc.unfreeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for a block that creates no reference cycles (the scan).

    The scan decodes runs of messages (:mod:`.runs`) only to look at a few keys: about
    20 lists and dicts per message, alive while their run is looked at, then freed by
    reference counting. Each of them counted toward the collector's next pass, and the
    passes walked the runs alive at the time (about a third of the scan's CPU after
    its msgspec runs). Nothing in a JSON value refers back to itself, so nothing is
    left for the collector to find; its previous state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
