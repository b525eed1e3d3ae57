"""The wire: one Telethon client and every request it sends.

The client built from the settings (the seam the fake Telegram plugs into), sessions
and proxies checked, each call under the shared rate budget with flood waits, retries
and the error table, reconnects, takeout, and the event loop thread. Imports no other
subpackage of the source: everything else stands on it.
"""
