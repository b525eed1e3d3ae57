"""The account's chats: the dialogs pass, the ``chats`` setting resolved, what hangs on them.

``dialogs`` (every dialog, its newest message id, upgrades), ``resolve`` (the ``chats``
setting turned into resolved entities), ``folders`` (``folder:Work``), ``refresh``
(what is remembered in STATE between runs, and when it is due), ``entries`` (how that
memory is written in STATE, and read from older versions), ``members`` (forum topics
and participants), ``member_refresh`` (when members are listed again), ``comments``
(discussion groups tied to their channel's posts), ``contacts`` (the contact list, one
cheap request when unchanged).

May import :mod:`..mapping` and :mod:`..wire` only.
"""
