"""Injected failures, rate limits and request statistics.

A :class:`Fault` matches requests by class name (``"GetHistoryRequest"``, ``"*"`` for
any, ``"connect"`` for the connection itself) and optionally by chat, counts the
matching calls, and fires from the ``nth`` one on, ``times`` times (``None``:
always). When it fires it answers an RPC error, drops the connection, crashes the
process, answers with a type the client does not know (``unknown_type``: a server
of another layer), answers an update-log slice that does not advance (``stall``,
:mod:`.stall`), or only adds latency. A dropped connection may stay down: the
next ``outage_connects`` connection attempts are refused (``None``: all of them, an
outage that never ends) and so is every attempt for ``outage_seconds`` after the
drop. Faults are plain data so a JSON spec can carry them.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import time
from typing import Any, Literal

FaultKind = Literal["rpc", "disconnect", "crash", "latency", "unknown_type", "stall"]
FAULT_KINDS: tuple[str, ...] = ("rpc", "disconnect", "crash", "latency", "unknown_type", "stall")

_CODE_PREFIXES: tuple[tuple[str, int], ...] = (
    ("FLOOD_WAIT_", 420),
    ("FLOOD_PREMIUM_WAIT_", 420),
    ("SLOWMODE_WAIT_", 420),
    ("TAKEOUT_INIT_DELAY_", 420),
    ("INTERDC_", 500),
)
_CODES: dict[str, int] = {
    "AUTH_KEY_UNREGISTERED": 401,
    "AUTH_KEY_INVALID": 401,
    "SESSION_REVOKED": 401,
    "SESSION_EXPIRED": 401,
    "SESSION_PASSWORD_NEEDED": 401,
    "USER_DEACTIVATED": 401,
    "USER_DEACTIVATED_BAN": 401,
    "AUTH_KEY_DUPLICATED": 406,
    "INTERNAL": 500,
    "INTERNAL_SERVER_ERROR": 500,
    "RPC_CALL_FAIL": 500,
    "RPC_MCGET_FAIL": 500,
    "NO_WORKERS_RUNNING": -500,
    "TIMEOUT": -503,
    "CHAT_WRITE_FORBIDDEN": 403,
    "USER_PRIVACY_RESTRICTED": 403,
}


def default_code(message: str) -> int:
    """The error code Telegram uses with an error message (400 when unsure)."""
    upper = message.upper()
    if upper in _CODES:
        return _CODES[upper]
    for prefix, code in _CODE_PREFIXES:
        if upper.startswith(prefix):
            return code
    return 400


class FakeRpcError(Exception):
    """An RPC error the fake answers: becomes Telethon's error class for the message."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = default_code(message) if code is None else code


class SimulatedCrash(BaseException):
    """Raised instead of ``os._exit`` when the fake runs inside the test process."""


def _name_matches(pattern: str, name: str) -> bool:
    """``GetHistoryRequest`` matches ``GetHistoryRequest``, ``messages.GetHistoryRequest``,
    ``GetHistory`` and ``messages.GetHistory``; ``*`` matches everything but ``connect``.
    """
    if pattern == "*":
        return name != "connect"
    short = pattern.rsplit(".", 1)[-1]
    return name in {short, short + "Request"}


@dataclasses.dataclass
class Fault:
    """One injected failure; see the module docstring."""

    request: str = "*"
    error: str | None = None
    code: int | None = None
    kind: FaultKind | None = None
    chat: str | int | None = None
    nth: int = 1
    times: int | None = 1
    latency: float = 0.0
    exit_code: int = 137
    #: After a drop: connection attempts refused (``None``: every one, never back).
    outage_connects: int | None = 0
    #: After a drop: seconds (real time) during which connection attempts are refused.
    outage_seconds: float = 0.0
    seen: int = dataclasses.field(default=0, compare=False)
    fired: int = dataclasses.field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind is None:
            self.kind = "rpc" if self.error else "latency"
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if self.kind == "rpc" and not self.error:
            raise ValueError("an rpc fault needs an error, e.g. 'FLOOD_WAIT_3'")

    def matches(self, name: str, chat_names: frozenset[str | int]) -> bool:
        """Whether a request (class name, names of its chat) is one this fault watches."""
        if not _name_matches(self.request, name):
            return False
        return self.chat is None or self.chat in chat_names

    def fire(self) -> bool:
        """Count one matching call; ``True`` if the fault acts on it."""
        self.seen += 1
        if self.seen < self.nth or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True

    def rpc_error(self) -> FakeRpcError:
        """The RPC error this fault answers."""
        assert self.error is not None
        return FakeRpcError(self.error, self.code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (counters excluded)."""
        data = dataclasses.asdict(self)
        data.pop("seen")
        data.pop("fired")
        return {k: v for k, v in data.items() if v != _FAULT_DEFAULTS.get(k)}


_FAULT_DEFAULTS: dict[str, Any] = {
    "request": "*",
    "error": None,
    "code": None,
    "chat": None,
    "nth": 1,
    "times": 1,
    "latency": 0.0,
    "exit_code": 137,
    "outage_connects": 0,
    "outage_seconds": 0.0,
}


#: The flood-limited fake: per request class, ``(requests, window seconds)`` accepted
#: before FLOOD_WAIT. Telegram publishes no numbers; these are strict enough that
#: fetching every chat's full info or member list at once fails for a few hundred
#: chats (``GetFull*`` and ``getParticipants`` are among Telegram's strictest), while
#: a few dozen a run pass; getHistory is the benchmark's 20 per 10 s.
FLOOD_LIMITS: dict[str, tuple[int, float]] = {
    "GetHistoryRequest": (20, 10.0),
    "GetDialogsRequest": (30, 30.0),
    "GetFullChannelRequest": (100, 60.0),
    "GetFullChatRequest": (100, 60.0),
    "GetFullUserRequest": (100, 60.0),
    "GetParticipantsRequest": (100, 60.0),
    "GetForumTopicsRequest": (50, 60.0),
    "ResolveUsernameRequest": (5, 60.0),
}


@dataclasses.dataclass
class Outage:
    """The connection is down after a drop: attempts to connect are refused until it ends."""

    connects: int | None
    until: float

    @classmethod
    def after(cls, fault: Fault, now: float | None = None) -> Outage:
        """The outage a firing ``disconnect`` fault starts."""
        now = time.monotonic() if now is None else now
        return cls(connects=fault.outage_connects, until=now + fault.outage_seconds)

    def refuses(self, now: float | None = None) -> bool:
        """Whether this connection attempt is refused (counting it)."""
        now = time.monotonic() if now is None else now
        if self.connects is None:
            return True
        if self.connects > 0:
            self.connects -= 1
            return True
        return now < self.until


@dataclasses.dataclass
class RateLimit:
    """At most ``requests`` accepted calls per sliding ``window`` seconds, then FLOOD_WAIT.

    The wait is the real time until the oldest accepted call leaves the window,
    rounded up (Telegram never says 0). Rejected calls do not count.
    """

    requests: int
    window: float
    request: str = "GetHistoryRequest"
    chat: str | int | None = None
    accepted: collections.deque[float] = dataclasses.field(
        default_factory=collections.deque, compare=False
    )

    def matches(self, name: str, chat_names: frozenset[str | int]) -> bool:
        """Whether this limit applies to the request."""
        if not _name_matches(self.request, name):
            return False
        return self.chat is None or self.chat in chat_names

    def check(self, now: float | None = None) -> int | None:
        """Accept the call (``None``) or return the seconds to wait."""
        now = time.monotonic() if now is None else now
        while self.accepted and self.accepted[0] <= now - self.window:
            self.accepted.popleft()
        if len(self.accepted) >= self.requests:
            return max(1, math.ceil(self.accepted[0] + self.window - now))
        self.accepted.append(now)
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        data: dict[str, Any] = {
            "requests": self.requests,
            "window": self.window,
            "request": self.request,
        }
        if self.chat is not None:
            data["chat"] = self.chat
        return data


@dataclasses.dataclass
class Stats:
    """What the fake saw: counts per request class, per chat, per error."""

    requests: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    history: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    #: FLOOD_WAITs of the rate limits, by request class.
    floods: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    wrappers: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    log: list[str] = dataclasses.field(default_factory=list)
    connects: int = 0
    disconnects: int = 0
    pings: int = 0
    messages_served: int = 0
    #: CPU seconds the fake itself spent answering (handlers + serialization), so
    #: benchmarks can tell the fake's share from the client's and the tap's.
    fake_seconds: float = 0.0

    def record(self, name: str, chat_key: str | None) -> None:
        """Count one request (``GetHistoryRequest`` also per chat key)."""
        self.requests[name] += 1
        if name == "GetHistoryRequest" and chat_key is not None:
            self.history[chat_key] += 1
        self.log.append(f"{name}@{chat_key}" if chat_key else name)

    @property
    def flood_waits(self) -> int:
        """How many FLOOD_WAIT_x errors were answered."""
        return sum(v for k, v in self.errors.items() if k.startswith("FLOOD_WAIT_"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for subprocess runs)."""
        return {
            "requests": dict(self.requests),
            "history": dict(self.history),
            "errors": dict(self.errors),
            "floods": dict(self.floods),
            "wrappers": dict(self.wrappers),
            "log": list(self.log),
            "connects": self.connects,
            "disconnects": self.disconnects,
            "pings": self.pings,
            "messages_served": self.messages_served,
            "fake_seconds": self.fake_seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        """Inverse of :meth:`to_dict`."""
        return cls(
            requests=collections.Counter(data.get("requests", {})),
            history=collections.Counter(data.get("history", {})),
            errors=collections.Counter(data.get("errors", {})),
            floods=collections.Counter(data.get("floods", {})),
            wrappers=collections.Counter(data.get("wrappers", {})),
            log=list(data.get("log", [])),
            connects=int(data.get("connects", 0)),
            disconnects=int(data.get("disconnects", 0)),
            pings=int(data.get("pings", 0)),
            messages_served=int(data.get("messages_served", 0)),
            fake_seconds=float(data.get("fake_seconds", 0.0)),
        )
