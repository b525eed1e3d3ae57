"""What an administrator sees: admin logs and channel or group statistics.

May import :mod:`..downloads`, :mod:`..chats`, :mod:`..mapping` and :mod:`..wire`.
"""
