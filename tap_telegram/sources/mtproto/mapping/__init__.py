"""Telethon objects to records: pure functions of what Telegram answered.

``messages``, ``media``, ``members`` (users, contacts, participants, topics),
``admin_log`` events and ``statistics``. Imports only the record vocabulary
(:mod:`tap_telegram.records`) and its own modules, never the wire or another subpackage.
"""
