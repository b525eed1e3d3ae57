"""The fake network sender that replaces ``client._sender`` (Telethon's MTProtoSender).

It implements the part of MTProtoSender's interface that ``TelegramClient`` uses:
``connect``/``disconnect``/``is_connected``, ``send`` returning futures, the
``disconnected`` future, ``auth_key`` and the keep-alive hooks. Everything above it
(``_call`` with flood-wait sleeping and server-error retries, entity caching, the
message and dialog iterators) is the real Telethon code.

Responses travel the same way as on the wire: the result is serialized with
``bytes()`` and parsed by ``request.read_result(BinaryReader(...))``; RPC errors go
through ``telethon.errors.rpc_message_to_error``.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
import time
from typing import TYPE_CHECKING, Any

from telethon.crypto import AuthKey
from telethon.errors import rpc_message_to_error
from telethon.extensions import BinaryReader
from telethon.tl import types

from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.sessions import auth_key_bytes, fresh_key, status_of

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram

VECTOR_ID = 0x1CB5C415
BOOL_TRUE_ID = 0x997275B5
BOOL_FALSE_ID = 0xBC799737
#: A constructor id no layer has: what a server of another layer looks like.
UNKNOWN_CONSTRUCTOR = 0x1BADC0DE
_fresh_keys = itertools.count(1)


def encode(value: Any) -> bytes:
    """Serialize a handler result: a TL object, a vector (list) of them, or a Bool."""
    if isinstance(value, bool):
        return struct.pack("<I", BOOL_TRUE_ID if value else BOOL_FALSE_ID)
    if isinstance(value, list):
        return struct.pack("<Ii", VECTOR_ID, len(value)) + b"".join(encode(v) for v in value)
    return bytes(value)


class FakeSender:
    """In-memory stand-in for ``MTProtoSender``, bound to one :class:`FakeTelegram`."""

    dc_id = 2

    def __init__(
        self, fake: FakeTelegram, auth_key: AuthKey | None, auth_key_callback: Any = None
    ) -> None:
        self.fake = fake
        self.auth_key = auth_key or AuthKey(None)
        self._auth_key_callback = auth_key_callback
        self._user_connected = False
        self._connection: Any = None
        self._disconnected_future: asyncio.Future[None] | None = None
        self._pending: dict[asyncio.Future[Any], asyncio.Handle | None] = {}
        self._status: tuple[bytes | None, str] | None = None
        self._ping: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: The client's queue of pushed updates (``TelegramClient._updates_queue``).
        self.updates_queue: asyncio.Queue[Any] | None = None

    # -- MTProtoSender interface ---------------------------------------------------

    async def connect(self, connection: Any) -> bool:
        """ "Connect": apply ``connect`` faults, make an auth key if there is none."""
        if self._user_connected:
            return False
        outcome = self.fake.server.connect_outcome()
        if outcome.delay:
            await asyncio.sleep(outcome.delay)
        if outcome.disconnect:
            raise ConnectionError("Connection to Telegram failed 5 time(s) (fake)")
        if not self.auth_key:
            self.auth_key.key = fresh_key(next(_fresh_keys)).key
            if self._auth_key_callback is not None:
                await self._auth_key_callback(self.auth_key)
        self._connection = connection
        self._user_connected = True
        self._disconnected_future = asyncio.get_running_loop().create_future()
        self.fake.stats.connects += 1
        return True

    def is_connected(self) -> bool:
        """Whether the client is connected (and has not been dropped)."""
        return self._user_connected

    def _transport_connected(self) -> bool:
        return self._user_connected

    async def disconnect(self) -> None:
        """Close: cancel what is pending and resolve ``disconnected``."""
        if self._connection is None:
            return
        self._close()

    @property
    def disconnected(self) -> asyncio.Future[None]:
        """Resolves when the connection ends (by the user or by a dropped connection)."""
        if self._disconnected_future is None:
            self._disconnected_future = asyncio.get_running_loop().create_future()
            self._disconnected_future.set_result(None)
        return asyncio.shield(self._disconnected_future)

    def push(self, update: Any) -> None:
        """Push an update to the client, as Telegram does on a connection it serves."""
        if self._user_connected and self.updates_queue is not None:
            self.updates_queue.put_nowait(update)

    def _keepalive_ping(self, rnd_id: int) -> None:
        self.fake.stats.pings += 1

    def send(self, request: Any, ordered: bool = False) -> Any:
        """Answer a request (or a list of them) with future(s) of the loop running now."""
        if not self._user_connected:
            raise ConnectionError("Cannot send requests while disconnected")
        if isinstance(request, list):
            return [self._send_one(item) for item in request]
        return self._send_one(request)

    # -- internals -----------------------------------------------------------------

    @property
    def status(self) -> str:
        """Session status read from the auth key (cached per key)."""
        key = self.auth_key.key
        if self._status is None or self._status[0] != key:
            self._status = (key, status_of(self.fake.world.seed, key))
        return self._status[1]

    def _send_one(self, request: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        started = time.thread_time()
        outcome = self.fake.server.handle(request, self.status)
        if outcome.rekey is not None:
            self._rekey(outcome.rekey)
        data = b""
        if outcome.error is None and not outcome.disconnect:
            try:
                data = encode(outcome.result)
            except Exception as exc:  # noqa: BLE001 - an invalid TL object: the caller sees it
                outcome.error = exc
            if outcome.unknown_type:
                data = struct.pack("<I", UNKNOWN_CONSTRUCTOR) + data[4:]
        self.fake.stats.fake_seconds += time.thread_time() - started
        if outcome.disconnect:
            error: BaseException | None = ConnectionError("connection to Telegram lost (fake)")
            value = None
        else:
            error, value = self._result(request, outcome.error, data)
        handle = (
            loop.call_later(outcome.delay, self._deliver, future, value, error, outcome.disconnect)
            if outcome.delay > 0
            else loop.call_soon(self._deliver, future, value, error, outcome.disconnect)
        )
        self._pending[future] = handle
        return future

    def _rekey(self, status: str) -> None:
        """A login step changed the session's status: install a key that says so.

        Telethon's auth-key callback stores it in the session (string or SQLite),
        before the answer is delivered (tasks run in FIFO order with call_soon).
        """
        self.auth_key.key = auth_key_bytes(self.fake.world.seed, status, "login")
        if self._auth_key_callback is not None:
            task = asyncio.get_running_loop().create_task(self._auth_key_callback(self.auth_key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _result(request: Any, error: BaseException | None, data: bytes) -> tuple[Any, Any]:
        """(error, value) as MTProtoSender would produce them from the server's reply."""
        if isinstance(error, FakeRpcError):
            rpc = types.RpcError(error_code=error.code, error_message=error.message)
            return rpc_message_to_error(rpc, request), None
        if error is not None:
            return error, None
        try:
            return None, request.read_result(BinaryReader(data))
        except Exception as exc:  # noqa: BLE001 - e.g. a wrong result type: the caller sees it
            return exc, None

    def _deliver(
        self, future: asyncio.Future[Any], value: Any, error: BaseException | None, drop: bool
    ) -> None:
        self._pending.pop(future, None)
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        if drop:
            self.fake.stats.disconnects += 1
            self._close(error=ConnectionError("connection to Telegram lost (fake)"))

    def _close(self, error: BaseException | None = None) -> None:
        """Mark disconnected; fail (or cancel) pending futures like MTProtoSender does."""
        self._user_connected = False
        self._connection = None
        pending, self._pending = self._pending, {}
        for future, handle in pending.items():
            if handle is not None:
                handle.cancel()
            if not future.done():
                if error is not None:
                    future.set_exception(error)
                else:
                    future.cancel()
        if self._disconnected_future is not None and not self._disconnected_future.done():
            self._disconnected_future.set_result(None)
