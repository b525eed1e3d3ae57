"""Request handling: what Telegram answers to each request the tap sends.

:meth:`Server.handle` receives a request as the real server would (serialized with
``bytes()`` and parsed back, so only what is on the wire survives), strips the
wrappers (``invokeWithLayer``, ``initConnection``, ``invokeWithoutUpdates``,
``invokeWithTakeout``), applies the session status, faults and rate limits, and
calls the handler of the innermost request. A request without a handler fails loudly
with ``NotImplementedError`` naming it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from tests.fake_telegram import handlers, handlers_auth
from tests.fake_telegram.faults import FakeRpcError, Outage, SimulatedCrash
from tests.fake_telegram.hashing import mix, signed64
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.sessions import STATUS_ERRORS
from tests.fake_telegram.stall import stalled, stalled_request

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram

WRAPPERS: tuple[type, ...] = (
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeWithoutUpdatesRequest,
    functions.InvokeWithTakeoutRequest,
    functions.InvokeAfterMsgRequest,
)
#: Requests that work without a logged-in session.
UNAUTHENTICATED = frozenset({"GetConfigRequest", *handlers_auth.LOGIN_REQUESTS})
#: Requests a bot session may not use.
USER_ONLY = frozenset({"GetHistoryRequest", "GetDialogsRequest", "InitTakeoutSessionRequest"})


@dataclasses.dataclass
class Outcome:
    """How to answer one request: a result, an error or a dropped connection, and when."""

    result: Any = None
    error: BaseException | None = None
    disconnect: bool = False
    #: Answer with a constructor the client does not know (a server of another layer).
    unknown_type: bool = False
    delay: float = 0.0
    #: New session status after a login step (the sender re-keys the session).
    rekey: str | None = None


def receive(request: Any) -> Any:
    """The request as the server parses it off the wire."""
    return BinaryReader(bytes(request)).tgread_object()


#: The DC every client of the fake connects to first (``help.getConfig``'s ``this_dc``).
HOME_DC = 2


class Server:
    """Dispatches requests to :mod:`.handlers`; owns takeout sessions."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.takeouts: set[int] = set()
        #: Set by a login handler: the status the session has from now on.
        self.rekey: str | None = None
        #: Open SRP exchanges of account.getPassword: srp_id -> (b, B).
        self.srp: dict[int, tuple[int, int]] = {}
        self.handlers: dict[str, Callable[[Server, Any, str], Any]] = dict(handlers.HANDLERS)
        #: Set by a firing ``disconnect`` fault: refuses connections until it ends.
        self.outage: Outage | None = None
        #: The DC the request being handled was sent to (a borrowed sender's, see :mod:`.stats`).
        self.dc = HOME_DC

    @property
    def world(self) -> Any:
        """The world being served (tests may swap ``fake.world``)."""
        return self.fake.world

    def handle(self, request: Any, status: str) -> Outcome:
        """Decide the outcome of one request sent by a session with ``status``."""
        fake = self.fake
        stats = fake.stats
        outcome = Outcome(delay=fake.answer_delay())
        try:
            inner = self._unwrap(receive(request))
        except FakeRpcError as exc:
            outcome.error = exc
            stats.errors[exc.message] += 1
            return outcome
        name = type(inner).__name__
        chat = self.chat_of(inner)
        stats.record(name, chat.key if chat is not None else None)
        names = self.chat_names(chat)
        try:
            if name not in UNAUTHENTICATED and status in STATUS_ERRORS:
                raise FakeRpcError(*STATUS_ERRORS[status])
            if status == "bot" and name in USER_ONLY:
                raise FakeRpcError("BOT_METHOD_INVALID")
            stall = False
            for fault in fake.faults:
                if fault.matches(name, names) and fault.fire():
                    outcome.delay += fault.latency
                    stall = stall or fault.kind == "stall"
                    if fault.kind == "crash":
                        self.crash(fault.exit_code, name)
                    if fault.kind == "disconnect":
                        outcome.disconnect = True
                        stats.errors["DISCONNECT"] += 1
                        self.outage = Outage.after(fault)
                        return outcome
                    if fault.kind == "unknown_type":
                        outcome.unknown_type = True
                    if fault.kind == "rpc":
                        raise fault.rpc_error()
            for limit in fake.rate_limits:
                if limit.matches(name, names):
                    wait = limit.check()
                    if wait is not None:
                        stats.floods[name] += 1
                        raise FakeRpcError(f"FLOOD_WAIT_{wait}", 420)
            handler = self.handlers.get(name)
            if handler is None:
                stats.errors["NOT_IMPLEMENTED"] += 1
                outcome.error = NotImplementedError(
                    f"the fake Telegram does not implement {name} "
                    f"({type(request).__name__} as sent); add it to tests/fake_telegram"
                )
                return outcome
            self.rekey = None
            outcome.result = handler(self, stalled_request(inner) if stall else inner, status)
            if stall:
                outcome.result = stalled(inner, outcome.result)
        except FakeRpcError as exc:
            stats.errors[exc.message] += 1
            outcome.error = exc
        outcome.rekey, self.rekey = self.rekey, None
        return outcome

    def connect_outcome(self) -> Outcome:
        """Faults on ``"connect"``: refuse the connection, delay it, or crash.

        While an outage started by a dropped connection lasts, every attempt is refused.
        """
        outcome = Outcome(delay=self.fake.latency)
        if self.outage is not None and self.outage.refuses():
            outcome.disconnect = True
            self.fake.stats.errors["CONNECT_FAILED"] += 1
            return outcome
        self.outage = None
        for fault in self.fake.faults:
            if fault.matches("connect", frozenset()) and fault.fire():
                outcome.delay += fault.latency
                if fault.kind == "crash":
                    self.crash(fault.exit_code, "connect")
                if fault.kind in {"disconnect", "rpc"}:
                    outcome.disconnect = True
                    self.fake.stats.errors["CONNECT_FAILED"] += 1
        return outcome

    def crash(self, exit_code: int, name: str) -> None:
        """Die like ``kill -9`` (in a subprocess) or raise :class:`SimulatedCrash`."""
        if self.fake.crash_mode == "exit":
            sys.stderr.write(f"fake-telegram: simulated crash on {name}\n")
            sys.stderr.flush()
            os._exit(exit_code)
        raise SimulatedCrash(f"simulated crash on {name} (exit code {exit_code})")

    def _unwrap(self, request: Any) -> Any:
        """The innermost request (wrappers counted; takeout ids checked)."""
        while type(request) in WRAPPERS:
            self.fake.stats.wrappers[type(request).__name__] += 1
            if (
                isinstance(request, functions.InitConnectionRequest)
                and request.api_id != self.fake.api_id
            ):
                raise FakeRpcError("API_ID_INVALID")
            if (
                isinstance(request, functions.InvokeWithTakeoutRequest)
                and request.takeout_id not in self.takeouts
            ):
                raise FakeRpcError("TAKEOUT_INVALID")
            request = request.query
        return request

    # -- chats of requests ---------------------------------------------------------

    def chat_of(self, request: Any) -> ChatRecord | None:
        """The chat a request is about (for faults and stats; hashes not checked)."""
        world = self.world
        for field in ("peer", "channel"):
            peer = getattr(request, field, None)
            if peer is not None and not isinstance(peer, int):
                return world.chat_by_peer(peer)
        if isinstance(request, functions.messages.GetFullChatRequest):
            return world.chat_by_peer(types.PeerChat(request.chat_id))
        if isinstance(request, functions.users.GetFullUserRequest):
            return world.chat_by_peer(request.id)
        if isinstance(request, functions.channels.GetChannelsRequest) and request.id:
            return world.chat_by_peer(request.id[0])
        if isinstance(request, functions.contacts.ResolveUsernameRequest):
            try:
                return world.chat("@" + request.username)
            except KeyError:
                return None
        return None

    def chat_names(self, chat: ChatRecord | None) -> frozenset[str | int]:
        """Everything a fault's ``chat`` may say to mean this chat."""
        if chat is None:
            return frozenset()
        names: set[str | int] = {chat.key, self.world.marked_id(chat)}
        if chat.username:
            names.add("@" + chat.username)
        return frozenset(names)

    # -- peers with access checks ----------------------------------------------------

    def history_chat(self, peer: Any) -> ChatRecord | None:
        """The chat behind an ``InputPeer`` of getHistory, checking access like Telegram.

        ``None`` means a valid peer without stored history (Saved Messages, a user
        the account never talked to).
        """
        world = self.world
        if isinstance(peer, types.InputPeerSelf):
            return None
        if isinstance(peer, types.InputPeerUser):
            user = world.users_by_id.get(peer.user_id)
            if user is None or user.access_hash != peer.access_hash:
                raise FakeRpcError("PEER_ID_INVALID")
            return world.chat_by_peer(types.PeerUser(user.id))
        if isinstance(peer, types.InputPeerChat):
            chat = world.chat_by_peer(types.PeerChat(peer.chat_id))
            if chat is None or not (chat.member or chat.banned):
                raise FakeRpcError("PEER_ID_INVALID")
            return chat
        if isinstance(peer, types.InputPeerChannel):
            return self.channel(types.InputChannel(peer.channel_id, peer.access_hash), read=True)
        if isinstance(peer, types.InputPeerEmpty):
            raise FakeRpcError("PEER_ID_INVALID")
        raise NotImplementedError(f"the fake Telegram does not resolve {type(peer).__name__}")

    def channel(self, input_channel: Any, *, read: bool = False) -> ChatRecord:
        """The channel of an ``InputChannel``; CHANNEL_INVALID for a wrong access hash.

        ``read``: the caller reads content, so a banned account or a private channel
        it left answers CHANNEL_PRIVATE.
        """
        if not isinstance(input_channel, types.InputChannel):
            raise FakeRpcError("CHANNEL_INVALID")
        chat = self.world.chat_by_peer(types.PeerChannel(input_channel.channel_id))
        if chat is None or chat.access_hash != input_channel.access_hash:
            raise FakeRpcError("CHANNEL_INVALID")
        if read and (chat.banned or (not chat.member and not chat.username)):
            raise FakeRpcError("CHANNEL_PRIVATE")
        return chat

    def new_takeout(self) -> int:
        """Open a takeout session; its id is needed by ``invokeWithTakeout``."""
        takeout_id = signed64(mix(self.world.seed, 99, len(self.takeouts) + 1))
        self.takeouts.add(takeout_id)
        return takeout_id

    def now(self) -> dt.datetime:
        """Server time for ``updates.State`` and friends (whole seconds, UTC)."""
        return self.fake.clock().replace(microsecond=0)
