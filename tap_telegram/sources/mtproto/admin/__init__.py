"""What an administrator sees: admin logs and channel or group statistics.

``log`` reads admin logs (Telegram keeps 48 hours); ``statistics`` reads channel and
group statistics from their DC, at most once a day.

May import :mod:`..downloads`, :mod:`..chats`, :mod:`..mapping` and :mod:`..wire`.
"""
