"""The account's chats: dialogs, the ``chats`` setting resolved, folders, members,
discussion groups, contacts, and what is remembered between runs.

May import :mod:`..mapping` and :mod:`..wire` only.
"""
