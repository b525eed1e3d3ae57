"""Optional media files (``media_dir``), each downloaded once.

May import :mod:`..chats`, :mod:`..mapping` and :mod:`..wire`.
"""
