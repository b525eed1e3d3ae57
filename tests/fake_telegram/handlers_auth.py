"""Logging in: ``auth.sendCode``, ``auth.signIn``, ``account.getPassword``, ``auth.checkPassword``.

The account of a world is its self user (phone ``world.self_user.phone``). The code
Telegram "sends" and the optional two-step verification password live in
:class:`AuthSettings` (``fake.auth``). The 2FA check is real SRP (the math of
Telegram's ``PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow``):
the fake keeps only the verifier ``v = g^x mod p`` and checks the client's proof
``M1``, so a wrong password fails exactly as on Telegram (PASSWORD_HASH_INVALID).

The fake keeps no server state across processes: a session's status is written into
its auth key (:mod:`.sessions`). So a successful login *re-keys* the session with a
key that says "ok" (or "password_needed" after a correct code on a 2FA account); the
sender installs it and calls Telethon's auth-key callback, which stores it in the
session. Clients never look inside the key, so this is invisible to the tap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from telethon.password import check_prime_and_good, compute_hash
from telethon.tl import types

from tests.fake_telegram import peers
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles

if TYPE_CHECKING:
    from tests.fake_telegram.server import Server

#: Telegram's 2048-bit safe prime for SRP (the one Telethon accepts without factoring).
SRP_PRIME = int(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D2"
    "2530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC974651296932"
    "8454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A6"
    "95811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582D"
    "B1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959"
    "D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B",
    16,
)
SRP_G = 3
SIZE = 256
#: Requests these handlers answer for a session that is not logged in yet.
LOGIN_REQUESTS = frozenset(
    {"SendCodeRequest", "SignInRequest", "GetPasswordRequest", "CheckPasswordRequest",
     "ExportLoginTokenRequest", "ImportLoginTokenRequest"}  # QR login: handlers_qr.py
)  # fmt: skip


@dataclasses.dataclass
class AuthSettings:
    """What logging in to the fake takes (the phone is the world's self user's)."""

    #: The login code Telegram "sends" to the account's other apps.
    code: str = "24680"
    #: Two-step verification password; ``None``: the account has none.
    password: str | None = None
    #: Hint shown by Telegram apps next to the password prompt.
    hint: str | None = None
    #: Seconds a QR login token lives (Telegram: "usually 30 seconds"; handlers_qr.py).
    qr_ttl: int = 30
    #: The account's data center when it is not the fake's (2): a QR login migrates there.
    qr_dc: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON spec."""
        return dataclasses.asdict(self)


def _sha256(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _num(value: int) -> bytes:
    return value.to_bytes(SIZE, "big")


def _algo(
    server: Server,
) -> types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow:
    seed = str(server.world.seed).encode()
    return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=_sha256(b"salt1", seed)[:8],
        salt2=_sha256(b"salt2", seed)[:16],
        g=SRP_G,
        p=_num(SRP_PRIME),
    )


def _verifier(server: Server, password: str) -> int:
    """``v = g^x mod p``: all a Telegram server keeps of the password."""
    x = int.from_bytes(compute_hash(_algo(server), password), "big")
    return pow(SRP_G, x, SRP_PRIME)


def _phone_code_hash(server: Server, phone: str) -> str:
    return _sha256(f"{server.world.seed}:{phone}".encode()).hex()[:18]


def _account_phone(server: Server, phone: str) -> None:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits or len(digits) < 5:
        raise FakeRpcError("PHONE_NUMBER_INVALID")
    if digits != (server.world.self_user.phone or ""):
        raise FakeRpcError("PHONE_NUMBER_UNOCCUPIED")


@handles("SendCodeRequest")
def send_code(server: Server, request: Any, status: str) -> Any:
    """``auth.sendCode``: API_ID_INVALID for foreign app credentials, then a code "sent"."""
    from tests.fake_telegram.fake import API_HASH, API_ID  # import cycle: fake imports this module

    if request.api_id != API_ID or request.api_hash != API_HASH:
        raise FakeRpcError("API_ID_INVALID")
    _account_phone(server, request.phone_number)
    return types.auth.SentCode(
        type=types.auth.SentCodeTypeApp(length=len(server.fake.auth.code)),
        phone_code_hash=_phone_code_hash(server, request.phone_number),
        timeout=120,
    )


@handles("SignInRequest")
def sign_in(server: Server, request: Any, status: str) -> Any:
    """``auth.signIn``: the code; SESSION_PASSWORD_NEEDED when the account has 2FA."""
    _account_phone(server, request.phone_number)
    if request.phone_code_hash != _phone_code_hash(server, request.phone_number):
        raise FakeRpcError("PHONE_CODE_HASH_INVALID")
    if not request.phone_code:
        raise FakeRpcError("PHONE_CODE_EMPTY")
    if request.phone_code != server.fake.auth.code:
        raise FakeRpcError("PHONE_CODE_INVALID")
    if server.fake.auth.password is not None:
        # The session is half logged in: only the password can finish it.
        server.rekey = "password_needed"
        raise FakeRpcError("SESSION_PASSWORD_NEEDED", 401)
    return logged_in(server)


@handles("GetPasswordRequest")
def get_password(server: Server, request: Any, status: str) -> Any:
    """``account.getPassword``: SRP parameters with a fresh server secret ``b``."""
    password = server.fake.auth.password
    if password is None:
        return types.account.Password(
            new_algo=types.PasswordKdfAlgoUnknown(),
            new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
            secure_random=secrets.token_bytes(32),
            has_password=False,
        )
    algo = _algo(server)
    check_prime_and_good(algo.p, algo.g)  # the fake's parameters must pass Telethon's check
    v = _verifier(server, password)
    k = int.from_bytes(_sha256(_num(SRP_PRIME), _num(SRP_G)), "big")
    b = int.from_bytes(secrets.token_bytes(SIZE), "big")
    big_b = (k * v + pow(SRP_G, b, SRP_PRIME)) % SRP_PRIME
    srp_id = int.from_bytes(secrets.token_bytes(8), "big", signed=True)
    server.srp[srp_id] = (b, big_b)
    return types.account.Password(
        new_algo=types.PasswordKdfAlgoUnknown(),
        new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
        secure_random=secrets.token_bytes(32),
        has_password=True,
        current_algo=algo,
        srp_B=_num(big_b),
        srp_id=srp_id,
        hint=server.fake.auth.hint,
    )


@handles("CheckPasswordRequest")
def check_password(server: Server, request: Any, status: str) -> Any:
    """``auth.checkPassword``: verify the SRP proof ``M1`` against the verifier."""
    password = server.fake.auth.password
    check = request.password
    if password is None or not isinstance(check, types.InputCheckPasswordSRP):
        raise FakeRpcError("PASSWORD_HASH_INVALID")
    if status != "password_needed":
        raise FakeRpcError("AUTH_KEY_UNREGISTERED", 401)
    if check.srp_id not in server.srp:
        raise FakeRpcError("SRP_ID_INVALID")
    b, big_b = server.srp.pop(check.srp_id)
    big_a = int.from_bytes(check.A, "big")
    if not 0 < big_a < SRP_PRIME:
        raise FakeRpcError("SRP_A_INVALID")
    algo = _algo(server)
    u = int.from_bytes(_sha256(_num(big_a), _num(big_b)), "big")
    v = _verifier(server, password)
    s = pow(big_a * pow(v, u, SRP_PRIME), b, SRP_PRIME)
    key = _sha256(_num(s))
    h_p, h_g = _sha256(_num(SRP_PRIME)), _sha256(_num(SRP_G))
    m1 = _sha256(
        bytes(x ^ y for x, y in zip(h_p, h_g, strict=True)),
        _sha256(algo.salt1),
        _sha256(algo.salt2),
        _num(big_a),
        _num(big_b),
        key,
    )
    if not secrets.compare_digest(m1, check.M1):
        raise FakeRpcError("PASSWORD_HASH_INVALID")
    return logged_in(server)


def logged_in(server: Server) -> Any:
    """The authorization; the session is re-keyed as logged in."""
    server.rekey = "ok"
    return types.auth.Authorization(user=peers.user_tl(server.world.self_user))
