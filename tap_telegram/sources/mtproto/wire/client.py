"""How the tap builds its Telethon client, and the seam tests plug a fake into.

The tap never calls ``TelegramClient(...)`` directly: it builds a
:class:`ClientSettings` from the config (:func:`client_settings`, which also turns
every missing or malformed session setting into one line saying what to do) and
hands it to a :data:`ClientFactory`
(``TapTelegram.client_factory``, :func:`build_client` by default). The fake Telegram
of the test suite is such a factory: it calls :func:`build_client` and swaps the
client's network sender, so everything above the sender (request objects, flood
handling, entity cache, paging) is the real Telethon code path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from telethon import TelegramClient
from telethon.sessions import Session, StringSession
from typing_extensions import override

from tap_telegram.errors import ConfigError
from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.wire import sessions
from tap_telegram.sources.mtproto.wire.connection import quiet_telethon_giving_up
from tap_telegram.sources.mtproto.wire.errors import BOT_SESSION, LOGIN_HINT
from tap_telegram.sources.mtproto.wire.proxy import Proxy, parse_proxy

#: What a Bot API token looks like (``123456789:AA...``): pasted where a session belongs.
BOT_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    """Everything needed to construct a client; built from the tap config."""

    session: Session
    api_id: int
    api_hash: str = dataclasses.field(repr=False)
    dc_id: int | None = None
    server_address: str | None = None
    server_port: int | None = None
    request_retries: int = 5
    #: Telethon's own reconnect attempts before it gives up (see :func:`build_client`).
    connection_retries: int = 1
    timeout: int = 10
    #: The ``proxy`` setting (``None``: connect directly); see :mod:`.wire.proxy`.
    proxy: Proxy | None = None
    #: Receive pushed updates: only a QR login (it waits for ``updateLoginToken``).
    receive_updates: bool = False


class HistoryClient(TelegramClient):  # type: ignore[misc]
    """Telethon's client, minus the update requests it would send on its own.

    Telethon keeps an update state: whenever it has none (every connect with a string
    session), ``connect()`` logs in through ``_on_login``, which sends
    ``updates.getState`` and ``updates.getDifference``; its update loop sends
    ``getDifference`` again after 15 minutes without pushes; both even with
    ``receive_updates=False`` (which only wraps the first request in
    ``invokeWithoutUpdates``), and neither passes through the tap's counter and rate
    budget (:mod:`.wire.calls`). A sync reads history, and change capture reads the
    update logs itself, through the caller: with ``receive_updates`` off this client
    sends neither. A QR login turns it on and gets Telethon's behaviour unchanged.
    """

    @override
    async def _on_login(self, user: Any) -> Any:
        """Note who is logged in; no update state unless updates are received."""
        if not self._no_updates:
            return await super()._on_login(user)
        self._mb_entity_cache.set_self_user(user.id, user.bot, user.access_hash)
        self._authorized = True
        return user

    @override
    async def _update_loop(self) -> None:
        """Telethon's update loop, only when updates are received."""
        if not self._no_updates:
            await super()._update_loop()


#: Builds a (not yet connected) client. Called inside the tap's event loop thread.
ClientFactory = Callable[[ClientSettings], TelegramClient]


def open_session(session_string: str | None, session_file: str | None) -> Session:
    """Return the Telethon session named by the config (string wins over file).

    Both inputs are checked first (:mod:`.wire.sessions`): anything that is not a usable
    Telethon session stops with one line that says what it is, never a traceback. A
    blank string gives way to ``session_file`` when that is set.
    """
    if session_string and (session_string.strip() or not session_file):
        return sessions.string_session(session_string)
    if session_file:
        return sessions.file_session(session_file)
    return StringSession()


def session_file_exists(session_file: str) -> bool:
    """Whether something is at ``session_file`` (Telethon would silently create a file)."""
    return sessions.session_file_exists(session_file)


def client_settings(settings: Settings) -> ClientSettings:
    """The client settings of a run, or a ConfigError naming the setting to fix."""
    for name in ("api_id", "api_hash"):
        if not getattr(settings, name):
            raise ConfigError(
                f"setting '{name}' is required for source mtproto; get it at my.telegram.org"
            )
    session_string = settings.session_string
    session_file = settings.session_file
    _check_session_settings(session_string, session_file)
    session = open_session(session_string, session_file)
    return ClientSettings(
        session=session,
        api_id=int(settings.api_id or 0),
        api_hash=str(settings.api_hash),
        dc_id=settings.dc_id,
        server_address=settings.server_address,
        server_port=settings.server_port,
        proxy=parse_proxy(settings.proxy),
    )


def _check_session_settings(session_string: Any, session_file: Any) -> None:
    """A session is set, is not a pasted bot token, and its file (if a file) exists."""
    if not session_string and not session_file:
        raise ConfigError(
            "setting 'session_string' (or 'session_file') is required for source "
            f"mtproto; {LOGIN_HINT}"
        )
    if session_string and BOT_TOKEN.match(str(session_string).strip()):
        raise ConfigError(f"setting 'session_string' holds a bot token: {BOT_SESSION}")
    if not session_string and session_file and not session_file_exists(session_file):
        raise ConfigError(
            f"setting 'session_file': no session file at {session_file}; create it with "
            f"`tap-telegram login --session-file {session_file}`"
        )


def build_client(settings: ClientSettings) -> TelegramClient:
    """Construct the real client with the tap's policies.

    * ``flood_sleep_threshold=0``: every FloodWait reaches the tap, which waits it
      out up to ``max_flood_wait`` with a log line naming the chat (Telethon would
      sleep silently).
    * ``receive_updates=False``: a sync reads history; it must not build an update
      state or receive pushes (a QR login turns it on: it waits for one push), and
      sends no update request of its own (:class:`HistoryClient`).
    * ``raise_last_call_error=True``: after ``request_retries`` server errors (500s,
      timeouts) Telethon raises the last RPC error instead of a bare ``ValueError``,
      so the tap can name the chat and the error in one line.
    * ``connection_retries=1``: Telethon rides out a blip by itself (a reconnect, two
      connection attempts a second apart, the requests in flight re-sent), then hands
      the outage to the tap (:mod:`.wire.connection`), which reconnects within
      ``max_reconnect_seconds`` and logs what happened. Telethon's default (5, nested)
      would retry silently for about 35 s first, and log its giving up as an ERROR
      (here a warning: the tap has not given up yet).
    * ``proxy`` (and, for an MTProxy, its ``connection`` framing) from the setting.
    """
    quiet_telethon_giving_up()
    session = settings.session
    if settings.server_address:
        session.set_dc(
            settings.dc_id or session.dc_id or 2,
            settings.server_address,
            settings.server_port or 443,
        )
    options = settings.proxy.client_options() if settings.proxy is not None else {}
    return HistoryClient(
        session,
        settings.api_id,
        settings.api_hash,
        flood_sleep_threshold=0,
        request_retries=settings.request_retries,
        connection_retries=settings.connection_retries,
        timeout=settings.timeout,
        receive_updates=settings.receive_updates,
        raise_last_call_error=True,
        device_model="tap-telegram",
        app_version="tap-telegram",
        **options,
    )
