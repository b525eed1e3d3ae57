"""The Singer side: the SDK streams, their STATE and their output. No Telegram in it.

* :mod:`.streams`: the streams' bases, ``chats``, ``topics``, ``participants``,
  ``users``, ``contacts``; :mod:`.history_stream`: ``messages`` of a history source
  (plans every chat's query once, writes the source's pages and applies the checkpoint
  each carries); :mod:`.bot_api_stream`: ``messages`` of an update log;
* :mod:`.host`: what a stream knows of the tap (the run's source and totals);
* :mod:`.sdk_private`: the fence, every private or ``@final`` singer-sdk member used;
* :mod:`.counters`: per-chat counters as SDK metrics, the run summary line;
* :mod:`.cadence`: when STATE is written (by records and by time, bounded);
* :mod:`.memory`: where a source keeps what it remembers between runs in STATE;
* :mod:`.state_check`: a damaged STATE refused with one line at load;
* :mod:`.output`: the compiled datetime conformer and the page-flushing writer.

It uses the source contract (:mod:`tap_telegram.sources.base`, pages in
:mod:`tap_telegram.sources.pages`) and the record vocabulary
(:mod:`tap_telegram.records`), never the tap class or the command line. Which chat
kinds share an update log or get tombstones, and what a source keeps in STATE
besides the bookmark, is the source's (``tests/test_layering.py`` holds it to that).
"""
