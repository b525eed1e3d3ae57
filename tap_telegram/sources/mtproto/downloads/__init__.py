"""Optional media files (``media_dir``): ``media`` downloads each file once, safely.

May import :mod:`..chats`, :mod:`..mapping` and :mod:`..wire`.
"""
