"""The MTProto source: chats and their full history, read with a user session (Telethon).

The tap uses :class:`.source.MTProtoSource` (registered in :mod:`tap_telegram.sources`);
the ``login`` command and the fake Telegram of the tests use :mod:`.wire.client`. Grouped
like Telethon (``client/ network/ sessions/ tl/``): one concern a subpackage, from the
face down; a module imports only from its own subpackage and those listed below it
(``tests/test_layering.py`` reads this map):

* :mod:`.source` -- the face: connects, resolves the chats, answers the Source contract.
* :mod:`.history` -- reading a chat: ``getHistory`` pages (``reader``), read ahead in
  parallel lanes and put back in order (``fetch``, ``lanes``), one-message ``probes``, and
  the budgeted ``sweep`` that re-checks old history for what the update logs missed
  (planned by ``sweep_plan``, compared by ``sweep_check``, kept by ``sweep_state``).
* :mod:`.changes` -- the update logs: what was edited and deleted since the last run
  (``reader``, ``log_changes``), and change capture's pages that checkpoint (``capture``,
  with the delivered-id index ``id_index``).
* :mod:`.admin` -- what an administrator sees: admin logs (``log``) and ``statistics``.
* :mod:`.downloads` -- optional media files (``media_dir``), never downloaded twice.
* :mod:`.chats` -- the account's chats: the dialogs pass, the ``chats`` setting resolved
  (``resolve``, ``folders``), ``members`` and topics, ``comments`` (discussion groups),
  ``contacts``, and what is remembered in STATE between runs (``refresh``).
* :mod:`.mapping` -- Telethon objects to records (messages, media, members, contacts, admin
  log, statistics); imports nothing of the source but the record vocabulary.
* :mod:`.wire` -- the client (the seam the fake Telegram plugs into), ``sessions`` and
  ``proxy`` checked, every request (``calls``: rate budget, flood waits, the ``errors``
  table, counters), reconnects (``connection``), ``takeout``, the event ``loop`` thread.

No ``__init__`` here imports anything: Telethon loads only when a module is used.
"""
