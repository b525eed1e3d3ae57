"""Change capture: what Telegram's update logs say was edited and deleted since the last run.

``reader`` pages ``updates.getChannelDifference`` and ``updates.getDifference`` from the
stored positions (``pts``) and falls back to history when a log cannot be read.

May import :mod:`..admin`, :mod:`..downloads`, :mod:`..chats`, :mod:`..mapping` and
:mod:`..wire`; never :mod:`..history` or the face.
"""
