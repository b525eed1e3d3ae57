"""The record vocabulary every source speaks, so one chat gives the same records from any.

* :mod:`.schemas`: the streams' schemas and empty records (every key present);
* :mod:`.types`: the records' TypedDicts (one per stream and nested object, checked
  against the schemas), which the mappers return;
* :mod:`.constants`: the names a value may take (chat, peer, media, entity, action
  types) and the shared numbers (``CHANNEL_MARK``, ``GENERAL_TOPIC_ID``, ``UTC``);
* :mod:`.ids`: marked ids from ``(kind, bare id)``;
* :mod:`.builders` and :mod:`.media`: the nested objects of a message (entities,
  reactions, forwards, actions; one builder per media kind);
* :mod:`.topics`: ``topics`` records derived from messages, for exports;
* :mod:`.links`: ``t.me`` links of messages and chats.

Sources import from here and never the other way; nothing here imports Telethon.
"""
