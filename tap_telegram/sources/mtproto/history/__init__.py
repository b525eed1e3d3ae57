"""Reading a chat's history, oldest first, checkpointed per page.

``reader`` is the primitive (raw ``messages.getHistory`` pages, mapped and enriched);
``fetch`` reads chats ahead, channels as parallel lanes of pages, and hands them on in
order; ``lanes`` places the lanes from the density of pages read; ``probes`` are
one-message requests (a date's id, lookback window starts); ``sweep`` re-reads old
history on a budget of requests and emits the edits and tombstones the update logs missed:
``sweep_plan`` shares the budget among the chats, ``sweep_check`` compares one page with
what the chat delivered, ``sweep_state`` keeps each chat's pass and known-missing ids in STATE.

May import :mod:`..changes`, :mod:`..admin`, :mod:`..downloads`, :mod:`..chats`,
:mod:`..mapping` and :mod:`..wire`; never the face (``source``).
"""
