"""`tap-telegram login --qr` against the fake Telegram: the real Telethon requests
(auth.exportLoginToken, the pushed updateLoginToken, auth.importLoginToken after a data
center move, SRP for 2FA), the phone's scan played by the fake (auth.acceptLoginToken)."""

from __future__ import annotations

import io
import time

import pytest
import qrcode

from tap_telegram.cli import login
from tap_telegram.cli.qr_login import qr_text
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, run_fake_tap, three_chats_world
from tests.fake_telegram.handlers_auth import AuthSettings
from tests.fake_telegram.handlers_qr import scan

PASSWORD = "qr 2fa Secret"


class Phone:
    """The screen of the login: remembers each link shown; scans the n-th one (as a phone)."""

    def __init__(self, fake: FakeTelegram, scan_code: int | None = 1) -> None:
        self.fake = fake
        self.scan_code = scan_code
        self.shown: list[str] = []
        self.answers: list[str] = []

    def __call__(self, text: str) -> None:
        self.shown.append(text)
        link = next(line for line in text.splitlines() if line.startswith("tg://login?token="))
        if len(self.shown) == self.scan_code:
            self.answers.append(scan(self.fake, link))

    def links(self) -> list[str]:
        return [
            next(line for line in text.splitlines() if line.startswith("tg://login?token="))
            for text in self.shown
        ]


def run_qr(fake, phone, *answers: str):
    out, err = io.StringIO(), io.StringIO()
    asked: list[tuple[str, bool]] = []
    replies = [API_HASH, *answers]

    def prompt(text: str, secret: bool) -> str:
        asked.append((text, secret))
        if not replies:
            raise EOFError
        return replies.pop(0)

    code = login.main(
        ["--api-id", str(API_ID), "--qr"],
        client_factory=fake.client_factory,
        prompt=prompt,
        out=out,
        err=err,
        screen=phone,
    )
    return code, out.getvalue(), err.getvalue(), asked


def synced(fake, session: str) -> None:
    run = run_fake_tap(fake, fake.tap_config(session_string=session, chats=["@fake_devs"]))
    run.check()
    assert len(run.records["messages"]) == fake.world.message_count("supergroup")


def test_scanning_the_code_logs_in_and_the_session_syncs():
    fake = FakeTelegram(three_chats_world(seed=21))
    phone = Phone(fake)
    code, out, err, asked = run_qr(fake, phone)
    assert code == 0, err
    assert phone.answers == ["OK"]
    assert len(phone.shown) == 1
    # Nothing but api_hash was asked: no phone number, no code.
    assert [text for text, _ in asked] == ["api_hash (input hidden): "]
    screen = phone.shown[0]
    (link,) = phone.links()
    assert qr_text(link) in screen  # the code drawn is the link shown
    assert "Settings, Devices, Link Desktop Device" in screen
    assert "Logged in as Test Account" in err
    assert link not in err + out  # the link goes to the terminal, not to stdout or stderr
    assert fake.stats.requests["ExportLoginTokenRequest"] == 2  # the token, then the outcome
    synced(fake, out.strip())


def test_the_code_drawn_is_the_links_qr_matrix():
    """Each character is two modules of the link's QR matrix (quiet zone included):
    top and bottom, in half blocks, dark modules light on a dark terminal (no-break spaces)."""
    link = "tg://login?token=AbC-_123"
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(link)
    matrix = code.get_matrix()
    if len(matrix) % 2:
        matrix.append([True] * len(matrix[0]))  # below the code: blank on the terminal
    glyphs = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): "\xa0"}
    expected = [
        "".join(glyphs[(top, bottom)] for top, bottom in zip(matrix[r], matrix[r + 1], strict=True))
        for r in range(0, len(matrix), 2)
    ]
    assert qr_text(link).splitlines() == expected


def test_an_expired_code_is_replaced_and_the_new_one_works():
    fake = FakeTelegram(three_chats_world(seed=22), auth=AuthSettings(qr_ttl=1))
    phone = Phone(fake, scan_code=2)
    code, out, err, _ = run_qr(fake, phone)
    assert code == 0, err
    assert len(phone.shown) == 2
    first, second = phone.links()
    assert first != second
    assert phone.shown[1].startswith("The QR code expired; here is a new one.")
    # The phone scanning the first, expired code gets Telegram's answer for it.
    assert scan(fake, first) == "AUTH_TOKEN_EXPIRED"
    assert scan(fake, second) == "AUTH_TOKEN_ALREADY_ACCEPTED"
    synced(fake, out.strip())


def test_nobody_scans_then_one_line_and_nothing_saved(monkeypatch):
    monkeypatch.setattr("tap_telegram.cli.qr_login.CODES", 2)
    fake = FakeTelegram(three_chats_world(seed=23), auth=AuthSettings(qr_ttl=1))
    phone = Phone(fake, scan_code=None)
    started = time.monotonic()
    code, out, err, _ = run_qr(fake, phone)
    assert code == 3
    assert out == ""
    assert len(phone.shown) == 2
    assert err.strip().splitlines()[-1] == (
        "tap-telegram login: no QR code was scanned (2 shown, each valid about 30 seconds); "
        "run `tap-telegram login --qr` again when your phone is at hand"
    )
    assert "Traceback" not in err
    assert time.monotonic() - started < 30


def test_two_step_verification_after_the_scan():
    fake = FakeTelegram(three_chats_world(seed=24), auth=AuthSettings(password=PASSWORD))
    phone = Phone(fake)
    code, out, err, asked = run_qr(fake, phone, PASSWORD)
    assert code == 0, err
    assert asked[-1] == ("2FA password (input hidden): ", True)
    assert "This account has two-step verification." in err
    assert fake.stats.requests["CheckPasswordRequest"] == 1
    synced(fake, out.strip())


def test_an_account_in_another_data_center_moves_there():
    fake = FakeTelegram(three_chats_world(seed=25), auth=AuthSettings(qr_dc=4))
    phone = Phone(fake)
    code, out, err, _ = run_qr(fake, phone)
    assert code == 0, err
    assert fake.stats.requests["ImportLoginTokenRequest"] == 1
    session = out.strip()
    assert session.startswith("1")  # StringSession version 1
    from telethon.sessions import StringSession

    assert StringSession(session).dc_id == 4
    synced(fake, session)


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_a_phone_scan_through_the_real_request(password):
    """The phone's side is auth.acceptLoginToken from a logged-in session of the fake."""
    import asyncio

    from telethon import functions

    from tests.fake_telegram.handlers_qr import token_of

    fake = FakeTelegram(three_chats_world(seed=26), auth=AuthSettings(password=password))
    answers: list[object] = []

    def phone(text: str) -> None:
        link = next(line for line in text.splitlines() if line.startswith("tg://login"))

        async def accept() -> None:
            client = fake.client()
            await client.connect()
            try:
                answers.append(await client(functions.auth.AcceptLoginTokenRequest(token_of(link))))
            finally:
                await client.disconnect()

        asyncio.get_running_loop().create_task(accept())

    code, _out, err, _ = run_qr(fake, phone, *([password] if password else []))
    assert code == 0, err
    assert fake.stats.requests["AcceptLoginTokenRequest"] == 1
    assert type(answers[0]).__name__ == "Authorization"
