"""The wire: the Telethon client and every request it sends.

``client`` (config to client: the seam the fake Telegram plugs into), ``sessions``
(session strings and files checked: one line for anything unusable), ``proxy``,
``calls`` (every request: the shared adaptive budget of ``rate``, flood waits, the
``errors`` table of Telegram errors to one-line errors, counters), ``connection``
(reconnect with backoff, or stop in one line), ``takeout`` (data-export sessions) and
``loop`` (the asyncio loop in a thread of its own, for the synchronous SDK).

The bottom of the source: imports no other subpackage of it.
"""
