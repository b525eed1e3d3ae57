"""The Singer side: the SDK streams, their STATE and their output.

* :mod:`.streams`: ``chats``, ``messages`` of a history source, ``topics``,
  ``participants``, ``users``; :mod:`.bot_api_stream`: ``messages`` of an update log;
* :mod:`.host`: what a stream knows of the tap (the run's source and totals);
* :mod:`.sdk_private`: the fence, every private or ``@final`` singer-sdk member used;
* :mod:`.counters`: per-chat counters in STATE, SDK metrics, the run summary line;
* :mod:`.memory`: where a source keeps what it remembers between runs in STATE;
* :mod:`.lookback` and :mod:`.fingerprints`: re-reading a chat's recent tail and
  emitting only what changed;
* :mod:`.output`: the compiled datetime conformer and the page-flushing writer.

It uses the source contract (:mod:`tap_telegram.sources.base`) and the record
vocabulary (:mod:`tap_telegram.records`), never the tap class or the command line.
"""
