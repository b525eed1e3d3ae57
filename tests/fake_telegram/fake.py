"""FakeTelegram: a world plus behaviour (faults, latency, rate limits) plus statistics.

It is what tests hand to the tap: ``client_factory`` has the signature of
``tap_telegram.sources.mtproto.client.ClientFactory``, so a test tap is just::

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, Literal

from telethon import TelegramClient
from telethon.sessions import StringSession

from tap_telegram.sources.mtproto.client import ClientSettings, build_client
from tests.fake_telegram.faults import Fault, RateLimit, Stats
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.sender import FakeSender
from tests.fake_telegram.server import Server
from tests.fake_telegram.sessions import session_string
from tests.fake_telegram.world import ChatRef, World

#: Credentials the fake accepts (any values work; these read well in configs).
API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"
CrashMode = Literal["raise", "exit"]


class FakeTelegram:
    """An in-memory Telegram serving ``world`` to real ``TelegramClient`` objects."""

    def __init__(
        self,
        world: World | None = None,
        *,
        faults: Iterable[Fault] = (),
        rate_limits: Iterable[RateLimit] = (),
        latency: float = 0.0,
        jitter: float = 0.0,
        crash_mode: CrashMode = "raise",
        auth: AuthSettings | None = None,
    ) -> None:
        self.world = world if world is not None else World()
        self.faults: list[Fault] = list(faults)
        self.rate_limits: list[RateLimit] = list(rate_limits)
        #: Seconds added before every answer (faults may add more).
        self.latency = latency
        #: Up to this many seconds more before each answer, drawn from a generator seeded
        #: by the world: answers to concurrent requests come back out of order, as over a
        #: real network, and the same way on every run.
        self.jitter = jitter
        self._jitter_draws = random.Random(self.world.seed)
        #: ``"exit"``: a crash fault calls ``os._exit`` (subprocesses); ``"raise"``:
        #: it raises :class:`~tests.fake_telegram.faults.SimulatedCrash`.
        self.crash_mode: CrashMode = crash_mode
        #: Login code and 2FA password of the account (see :mod:`.handlers_auth`).
        self.auth = auth or AuthSettings()
        #: The only api_id the fake accepts (others answer API_ID_INVALID).
        self.api_id = API_ID
        self.stats = Stats()
        self.server = Server(self)
        self.senders: list[FakeSender] = []

    # -- clients -------------------------------------------------------------------

    def client_factory(self, settings: ClientSettings) -> TelegramClient:
        """A ``ClientFactory``: the tap's real client, wired to this fake."""
        return self.install(build_client(settings))

    def install(self, client: TelegramClient) -> TelegramClient:
        """Replace ``client._sender`` by a fake sender (before ``connect``)."""
        sender = FakeSender(self, client.session.auth_key, client._auth_key_callback)
        client._sender = sender
        self.senders.append(sender)
        return client

    def client(self, status: str = "ok", *, name: str = "main", **settings: Any) -> TelegramClient:
        """A ready-to-connect client with a session of this status (tap policies apply)."""
        options: dict[str, Any] = {"api_id": API_ID, "api_hash": API_HASH}
        options.update(settings)
        session = StringSession(self.session_string(status, name))
        return self.client_factory(ClientSettings(session=session, **options))

    def session_string(self, status: str = "ok", name: str = "main") -> str:
        """A StringSession string this fake accepts with ``status`` (see :mod:`.sessions`)."""
        return session_string(self.world.seed, status, name)

    def tap_config(self, **settings: Any) -> dict[str, Any]:
        """A tap config for source ``mtproto`` logged in to this fake."""
        config: dict[str, Any] = {
            "source": "mtproto",
            "api_id": API_ID,
            "api_hash": API_HASH,
            "session_string": self.session_string(),
        }
        config.update(settings)
        return config

    # -- behaviour -----------------------------------------------------------------

    def answer_delay(self) -> float:
        """Seconds before the next answer: ``latency`` plus a draw of ``jitter``."""
        if not self.jitter:
            return self.latency
        return self.latency + self._jitter_draws.uniform(0.0, self.jitter)

    def add_fault(self, request: str = "*", error: str | None = None, **options: Any) -> Fault:
        """Inject a fault (see :class:`~tests.fake_telegram.faults.Fault`); returns it."""
        fault = Fault(request=request, error=error, **options)
        self.faults.append(fault)
        return fault

    def rate_limit(
        self,
        requests: int,
        window: float,
        request: str = "GetHistoryRequest",
        chat: str | int | None = None,
    ) -> RateLimit:
        """Allow ``requests`` per ``window`` seconds, then FLOOD_WAIT with the real wait."""
        limit = RateLimit(requests=requests, window=window, request=request, chat=chat)
        self.rate_limits.append(limit)
        return limit

    def clear_faults(self) -> None:
        """Remove every fault and rate limit."""
        self.faults.clear()
        self.rate_limits.clear()

    # -- statistics ----------------------------------------------------------------

    def history_calls(self, ref: ChatRef) -> int:
        """How many getHistory requests reached the fake for a chat."""
        return self.stats.history[self.world.chat(ref).key]

    def reset_stats(self) -> None:
        """Start counting from zero."""
        self.stats = Stats()
