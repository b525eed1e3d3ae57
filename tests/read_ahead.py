"""How far the history fetcher may read ahead of the stream: for tests that crash mid-chat.

A fault on the n-th history request lands after the stream took pages only if n is
beyond what the fetcher reads without the stream taking any; how fast either side runs
(a loaded CI machine, a slow target) must not matter. Derived from the fetcher's own
bounds, so a larger queue or more read-ahead moves the tests' crash points with it.
"""

from __future__ import annotations

from tap_telegram.sources.mtproto.history.fetch import QUEUE_PAGES
from tap_telegram.sources.mtproto.history.lanes import AHEAD_PER_SLOT


def pages_read_ahead(max_concurrent_requests: int) -> int:
    """Most history requests of one chat answered before the stream takes its first page.

    The chat's queue, the page waiting to enter it, what the lanes read ahead of it
    (per request slot) and the newest-page request.
    """
    return QUEUE_PAGES + 1 + AHEAD_PER_SLOT * max_concurrent_requests + 1
