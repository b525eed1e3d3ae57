"""Change capture: what the update logs say was edited and deleted since the last run.

May import :mod:`..admin`, :mod:`..downloads`, :mod:`..chats`, :mod:`..mapping` and
:mod:`..wire`; never :mod:`..history` or the face.
"""
