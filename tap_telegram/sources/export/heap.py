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

import gc


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
