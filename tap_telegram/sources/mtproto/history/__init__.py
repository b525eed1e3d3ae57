"""Reading a chat's history: ``getHistory`` pages, read ahead in parallel lanes, in order.

May import :mod:`..changes`, :mod:`..admin`, :mod:`..downloads`, :mod:`..chats`,
:mod:`..mapping` and :mod:`..wire`, never the face (``source.py``).
"""
