"""The fake Telegram over real TCP: MTProto 2.0 framing and encryption on loopback.

The in-memory sender (:mod:`.sender`) skips the network; this front puts the same
:class:`~.server.Server` behind a socket, so a **plain** ``TelegramClient`` (its real
``MTProtoSender``, ``ConnectionTcpFull``, proxy support, auto-reconnect) talks to it
as to Telegram: full-transport packets with CRC, messages encrypted with the
session's auth key (AES-IGE, msg_key from SHA-256, as in core.telegram.org/mtproto),
containers, gzip, acks, pings, ``rpc_result`` / ``rpc_error``.

It serves sessions that already have an auth key (``fake.session_string()``): there
is no key exchange, and no login (a login re-keys the session in process only).

Faults apply as in process; a ``disconnect`` closes the socket without an answer and
an outage (``outage_seconds``, or ``outage_connects=None`` for good) closes the
listening socket, so connection attempts are refused like by a dead server.

    with TcpFront(fake) as front:
        config = fake.tap_config(server_address="127.0.0.1", server_port=front.port)
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import struct
import time
import zlib
from typing import TYPE_CHECKING, Any

from telethon.crypto import AES, AuthKey
from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked, MessageContainer
from telethon.tl.tlobject import TLRequest

from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.loopback import LoopbackThread
from tests.fake_telegram.sender import encode
from tests.fake_telegram.sessions import status_of

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram

RPC_RESULT = 0xF35C6D01
MSGS_ACK = types.MsgsAck.CONSTRUCTOR_ID


def message_key(auth_key: bytes, plain: bytes, *, client: bool) -> bytes:
    """msg_key of a plaintext (x = 0 from the client, 8 from the server)."""
    x = 0 if client else 8
    return hashlib.sha256(auth_key[88 + x : 120 + x] + plain).digest()[8:24]


def aes_key_iv(auth_key: bytes, msg_key: bytes, *, client: bool) -> tuple[bytes, bytes]:
    """AES key and IV of MTProto 2.0 (core.telegram.org/mtproto/description)."""
    x = 0 if client else 8
    a = hashlib.sha256(msg_key + auth_key[x : x + 36]).digest()
    b = hashlib.sha256(auth_key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


class _Session:
    """One TCP connection: decrypts what the client sends, answers through the fake."""

    def __init__(self, front: TcpFront, writer: asyncio.StreamWriter) -> None:
        self.front = front
        self.writer = writer
        self.key: AuthKey | None = None
        self.session_id = 0
        self.sent = 0  # full-transport sequence number
        self.seq = itertools.count(1, 2)

    async def serve(self, reader: asyncio.StreamReader) -> None:
        while True:
            head = await reader.readexactly(8)
            length, _ = struct.unpack("<ii", head)
            body = await reader.readexactly(length - 8)
            if struct.unpack("<I", body[-4:])[0] != zlib.crc32(head + body[:-4]):
                raise ConnectionError("bad CRC")
            await self.receive(body[:-4])

    async def receive(self, packet: bytes) -> None:
        key_id = struct.unpack("<Q", packet[:8])[0]
        key = self.front.keys.get(key_id)
        if key is None:
            raise ConnectionError("unknown auth key (the TCP front does no key exchange)")
        self.key = key
        msg_key = packet[8:24]
        aes_key, aes_iv = aes_key_iv(key.key, msg_key, client=True)
        plain = AES.decrypt_ige(packet[24:], aes_key, aes_iv)
        if message_key(key.key, plain, client=True) != msg_key:
            raise ConnectionError("msg_key mismatch")
        _salt, self.session_id, msg_id, _seq, size = struct.unpack("<qqqii", plain[:32])
        await self.dispatch(msg_id, BinaryReader(plain[32 : 32 + size]).tgread_object())

    async def dispatch(self, msg_id: int, obj: Any) -> None:
        if isinstance(obj, MessageContainer):
            for message in obj.messages:
                await self.dispatch(message.msg_id, message.obj)
        elif isinstance(obj, GzipPacked):
            await self.dispatch(msg_id, BinaryReader(obj.data).tgread_object())
        elif isinstance(obj, (functions.PingRequest, functions.PingDelayDisconnectRequest)):
            self.send(bytes(types.Pong(msg_id=msg_id, ping_id=obj.ping_id)))
        elif isinstance(obj, TLRequest):
            await self.answer(msg_id, obj)
        # Acks and other service messages need no answer.

    async def answer(self, msg_id: int, request: Any) -> None:
        assert self.key is not None
        fake = self.front.fake
        outcome = fake.server.handle(request, status_of(fake.world.seed, self.key.key))
        if outcome.delay:
            await asyncio.sleep(outcome.delay)
        if outcome.disconnect:
            fake.stats.disconnects += 1
            self.front.dropped()
            self.writer.close()
            return
        error = outcome.error
        if error is None:
            try:
                result = encode(outcome.result)
            except Exception as exc:  # noqa: BLE001 - the client gets an error, as from Telegram
                error = exc
        if isinstance(error, FakeRpcError):
            result = bytes(types.RpcError(error_code=error.code, error_message=error.message))
        elif error is not None:
            result = bytes(types.RpcError(error_code=500, error_message="NOT_IMPLEMENTED"))
        if outcome.unknown_type:
            result = struct.pack("<I", 0x1BADC0DE) + result[4:]
        self.send(struct.pack("<Iq", RPC_RESULT, msg_id) + result)

    def send(self, body: bytes) -> None:
        """Encrypt one server message and write it as a full-transport packet."""
        assert self.key is not None
        now = time.time()
        server_msg_id = (int(now) << 32) | (next(self.front.ids) << 2) | 1
        plain = struct.pack("<qqqii", 0, self.session_id, server_msg_id, next(self.seq), len(body))
        plain += body
        plain += os.urandom(-(len(plain) + 12) % 16 + 12)
        msg_key = message_key(self.key.key, plain, client=False)
        aes_key, aes_iv = aes_key_iv(self.key.key, msg_key, client=False)
        packet = (
            struct.pack("<Q", self.key.key_id) + msg_key + AES.encrypt_ige(plain, aes_key, aes_iv)
        )
        frame = struct.pack("<ii", len(packet) + 12, self.sent) + packet
        self.sent += 1
        self.writer.write(frame + struct.pack("<I", zlib.crc32(frame)))


class TcpFront(LoopbackThread):
    """Serves a :class:`FakeTelegram` on a loopback port, from a thread of its own."""

    def __init__(self, fake: FakeTelegram, host: str = "127.0.0.1") -> None:
        self.fake = fake
        self.host = host
        self.port = 0
        #: Auth keys the front accepts, by key id: the fake's session keys.
        self.keys: dict[int, AuthKey] = {}
        self.ids = itertools.count(1)
        self.connections = 0
        super().__init__()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Future[Any]] = set()

    def accept_session(self, session_string: str) -> None:
        """Accept the auth key of a session made by ``fake.session_string(...)``."""
        from telethon.sessions import StringSession

        key = StringSession(session_string).auth_key
        assert key is not None
        self.keys[key.key_id] = key

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    def dropped(self) -> None:
        """A ``disconnect`` fault fired: stop listening while its outage lasts."""
        outage = self.fake.server.outage
        if outage is None or (outage.connects == 0 and outage.until <= time.monotonic()):
            return
        self._spawn(self._stop())
        if outage.connects is None:
            return  # down for good
        self._loop.call_later(max(outage.until - time.monotonic(), 0), self._reopen)

    def _reopen(self) -> None:
        self.fake.server.outage = None
        self._spawn(self._listen())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.fake.stats.connects += 1
        self._writers.add(writer)
        try:
            await _Session(self, writer).serve(reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
