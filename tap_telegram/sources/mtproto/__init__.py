"""The MTProto source: chats and their full history, read with a user session (Telethon).

The tap uses :class:`.source.MTProtoSource` (registered in :mod:`tap_telegram.sources`);
the ``login`` command and the fake Telegram of the tests use :mod:`.client`. Inside,
one concern a module, from the face down; a module imports only modules listed
below it:

* :mod:`.source` -- the face: connects, resolves the chats, answers the Source contract.
* :mod:`.capture` -- change capture: a chat's edits and tombstones as pages that checkpoint.
* :mod:`.fetch` -- reads chats ahead, channels as parallel lanes of pages, in order.
* :mod:`.lanes` -- where parallel lanes read, learned from the density of pages read.
* :mod:`.probes` -- one-message requests: a date's id, lookback window starts.
* :mod:`.changes` -- the update logs: what was edited and deleted since the last run.
* :mod:`.log_changes` -- what the update logs said changed (change capture's data).
* :mod:`.id_index` -- the ids a private chat or basic group delivered, kept in STATE.
* :mod:`.history` -- the history primitive: ``getHistory`` pages, mapped and enriched.
* :mod:`.comments` -- discussion groups, their comments tied to the channel's posts.
* :mod:`.download` -- optional media files (``media_dir``), never downloaded twice.
* :mod:`.contacts` -- the account's contact list: one cheap request when it did not change.
* :mod:`.statistics` -- channel and group statistics, from their DC, at most once a day.
* :mod:`.admin_log` -- admin logs of the chats the account administers (48 hours kept).
* :mod:`.members` -- forum topics and chat participants.
* :mod:`.takeout` -- takeout (data export) sessions with lower flood limits.
* :mod:`.chats` -- the ``chats`` setting turned into resolved entities.
* :mod:`.folders` -- chat folders (``folder:Work``) resolved against the dialogs.
* :mod:`.dialogs` -- the dialogs pass: every dialog, its newest message id, upgrades.
* :mod:`.refresh` -- what is remembered in STATE between runs, and when it is due.
* :mod:`.mapping` -- Telethon objects to records (messages, media, members, contacts, admin
  log, statistics).
* :mod:`.client` -- config to Telethon client: the seam the fake Telegram plugs into.
* :mod:`.session_input` -- session strings and files checked: one line for anything unusable.
* :mod:`.proxy` -- the ``proxy`` setting: SOCKS5/SOCKS4/HTTP URLs and MTProxy links.
* :mod:`.calls` -- every request: rate budget, flood waits, error policy, counters.
* :mod:`.connection` -- a lost connection: reconnect with backoff, or stop in one line.
* :mod:`.rpc_errors` -- the table: Telegram error to the one-line error it means.
* :mod:`.rate` -- the run's shared, adaptive request budget.
* :mod:`.loop` -- the asyncio loop in a thread of its own, for the synchronous SDK.

This ``__init__`` imports nothing: Telethon loads only when a module here is used.
"""
