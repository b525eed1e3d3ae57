"""FakeTelegram: a world plus behaviour (faults, latency, rate limits) plus statistics.

It is what tests hand to the tap: ``client_factory`` has the signature of
``tap_telegram.sources.mtproto.wire.client.ClientFactory``, so a test tap is just::

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from typing import Any, Literal

from telethon import TelegramClient
from telethon.sessions import StringSession

try:
    from tap_telegram.sources.mtproto.wire.client import ClientSettings, build_client
except ModuleNotFoundError:  # bench's "before" tree (tests/test_bench.py): the flat package
    from tap_telegram.sources.mtproto.client import (  # type: ignore[no-redef]
        ClientSettings,
        build_client,
    )
from tests.fake_telegram.faults import FLOOD_LIMITS, Fault, RateLimit, Stats
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.sender import FakeSender
from tests.fake_telegram.server import Server
from tests.fake_telegram.sessions import session_string
from tests.fake_telegram.stats import install_borrowing
from tests.fake_telegram.updatelog import UpdateLogSettings
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
        now: dt.datetime | None = None,
        update_log: UpdateLogSettings | None = None,
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
        #: Server time (``None``: the real clock); the launcher hands it to the tap as
        #: its clock too, so a test can move both a day on between runs.
        self.now = now
        #: When differences are too long and how big a getDifference slice is.
        self.update_log = update_log or UpdateLogSettings()
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
        sender.updates_queue = client._updates_queue
        self.senders.append(sender)
        install_borrowing(self, client)  # other DCs (statistics) on the same fake network
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

    def flood_limited(self, *, history: bool = True) -> list[RateLimit]:
        """Rate-limit like a strict Telegram: :data:`~.faults.FLOOD_LIMITS` (history optional).

        Windows are real seconds: between two runs that simulate hours apart, call
        :meth:`next_hour` so that the previous run's requests leave every window.
        """
        return [
            self.rate_limit(requests, window, request)
            for request, (requests, window) in FLOOD_LIMITS.items()
            if history or request != "GetHistoryRequest"
        ]

    def next_hour(self) -> None:
        """Move :attr:`now` an hour on and empty the rate windows (a later run)."""
        self.now = self.clock() + dt.timedelta(hours=1)
        for limit in self.rate_limits:
            limit.accepted.clear()

    def clear_faults(self) -> None:
        """Remove every fault and rate limit."""
        self.faults.clear()
        self.rate_limits.clear()

    def clock(self) -> dt.datetime:
        """The fake's time: :attr:`now` if set, else the real clock (aware UTC)."""
        return self.now if self.now is not None else dt.datetime.now(dt.timezone.utc)

    # -- statistics ----------------------------------------------------------------

    def history_calls(self, ref: ChatRef) -> int:
        """How many getHistory requests reached the fake for a chat."""
        return self.stats.history[self.world.chat(ref).key]

    def reset_stats(self) -> None:
        """Start counting from zero."""
        self.stats = Stats()
