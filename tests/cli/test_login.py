"""`tap-telegram login` against the fake Telegram: the real Telethon login (auth.sendCode,
auth.signIn, account.getPassword + SRP auth.checkPassword), then the printed session
runs a real sync."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from tap_telegram.cli import login
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, run_fake_tap, three_chats_world
from tests.fake_telegram.handlers_auth import AuthSettings

PHONE = "+1 555 000 0000"  # the fake account's phone: 15550000000
PASSWORD = "correct horse battery staple"


class Script:
    """Answers prompts in order; remembers what was asked and whether it was hidden."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, bool]] = []

    def __call__(self, text: str, secret: bool) -> str:
        self.asked.append((text, secret))
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)


def run_login(fake, script, *args):
    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--api-id", str(API_ID), *args],
        client_factory=fake.client_factory,
        prompt=script,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def world():
    return three_chats_world(seed=11)


def test_login_without_2fa_prints_a_working_session(world):
    fake = FakeTelegram(world)
    script = Script(API_HASH, PHONE, "24680")
    code, out, err = run_login(fake, script)
    assert code == 0, err
    session = out.strip()
    assert "\n" not in session
    assert len(session) > 100
    # api_hash and phone were asked with hidden input, the code visibly.
    assert [secret for _, secret in script.asked] == [True, True, False]
    assert "Logged in as" in err
    assert "15550000000" not in out + err
    assert API_HASH not in out + err
    assert fake.stats.requests["SendCodeRequest"] == 1
    assert fake.stats.requests["SignInRequest"] == 1
    # The session string is a real login: a sync with it reads the chat.
    run = run_fake_tap(fake, fake.tap_config(session_string=session, chats=["@fake_devs"]))
    run.check()
    assert len(run.records["messages"]) == world.message_count("supergroup")


def test_login_with_2fa_uses_srp_and_retries_a_wrong_password(world):
    fake = FakeTelegram(world, auth=AuthSettings(password=PASSWORD, code="13579"))
    script = Script(API_HASH, PHONE, "00000", "13579", "wrong password", PASSWORD)
    code, out, err = run_login(fake, script)
    assert code == 0, err
    assert "That code is not right" in err
    assert "two-step verification" in err
    assert "That password is not right" in err
    assert [secret for _, secret in script.asked] == [True, True, False, False, True, True]
    assert fake.stats.errors["PHONE_CODE_INVALID"] == 1
    assert fake.stats.requests["SignInRequest"] == 2  # wrong code, then the right one
    assert fake.stats.errors["PASSWORD_HASH_INVALID"] == 1
    assert fake.stats.requests["CheckPasswordRequest"] == 2
    assert PASSWORD not in out + err
    session = out.strip()

    async def me():
        from telethon.sessions import StringSession

        from tap_telegram.sources.mtproto.wire.client import ClientSettings

        client = fake.client_factory(
            ClientSettings(session=StringSession(session), api_id=API_ID, api_hash=API_HASH)
        )
        await client.connect()
        try:
            return await client.get_me()
        finally:
            await client.disconnect()

    import asyncio

    user = asyncio.run(me())
    assert user is not None
    assert user.id == world.self_user.id


def test_wrong_password_three_times_fails_with_one_line(world):
    fake = FakeTelegram(world, auth=AuthSettings(password=PASSWORD))
    code, out, err = run_login(fake, Script(API_HASH, PHONE, "24680", "a", "b", "c"))
    assert code == 3
    assert out == ""
    assert err.strip().splitlines()[-1].startswith("tap-telegram login: the 2FA password was wrong")


def test_half_finished_2fa_login_gives_a_clear_sync_error(world):
    """A session whose code was accepted but not the password: the sync says what to do."""
    fake = FakeTelegram(world)
    run = run_fake_tap(
        fake,
        fake.tap_config(
            session_string=fake.session_string("password_needed"), chats=["@fake_news"]
        ),
    )
    assert run.returncode == 3
    assert "two-step verification" in run.stderr
    assert "tap-telegram login" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_api_credentials(world):
    fake = FakeTelegram(world)
    code, _, err = run_login(fake, Script("ffffffffffffffffffffffffffffffff", PHONE))
    assert code == 2
    assert "API_ID_INVALID" in err
    assert "my.telegram.org" in err
    assert "ffffffff" not in err


def test_unknown_phone_and_aborted_prompt(world):
    fake = FakeTelegram(world)
    code, _, err = run_login(fake, Script(API_HASH, "+4915112345678"))
    assert code == 3
    assert "no Telegram account uses this phone number" in err
    assert "4915112345678" not in err
    code, out, err = run_login(fake, Script(API_HASH))  # EOF at the phone prompt
    assert code == 130
    assert out == ""


def test_session_file_is_private_and_works(world, tmp_path: Path):
    fake = FakeTelegram(world)
    target = tmp_path / "sessions" / "me.session"
    code, out, err = run_login(
        fake, Script(API_HASH, PHONE, "24680"), "--session-file", str(target)
    )
    assert code == 0, err
    assert out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    run = run_fake_tap(
        fake,
        {
            **fake.tap_config(chats=["@fake_devs"]),
            "session_string": None,
            "session_file": str(target),
        },
    )
    run.check()
    assert len(run.records["messages"]) == world.message_count("supergroup")
    # Never overwritten by a second login.
    code, _, err = run_login(fake, Script(API_HASH, PHONE, "24680"), "--session-file", str(target))
    assert code == 2
    assert "exists" in err


def test_failed_login_leaves_no_session_file(world, tmp_path: Path):
    fake = FakeTelegram(world)
    target = tmp_path / "me.session"
    code, _, _ = run_login(
        fake, Script(API_HASH, PHONE, "1", "2", "3"), "--session-file", str(target)
    )
    assert code == 3
    assert not target.exists()


def test_test_servers_option_targets_telegram_test_dc(world):
    seen = []
    fake = FakeTelegram(world)

    def factory(settings):
        seen.append(settings)
        return fake.client_factory(settings)

    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--api-id", str(API_ID), "--test-servers"],
        client_factory=factory,
        prompt=Script(API_HASH, PHONE, "24680"),
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert (seen[0].dc_id, seen[0].server_address, seen[0].server_port) == login.TEST_DC


def test_login_word_after_meltano_options():
    """`meltano invoke tap-telegram login` puts the tap's options first."""
    assert login.login_argv(["login"]) == []
    assert login.login_argv(
        [
            "--config",
            "c.json",
            "--catalog",
            "k.json",
            "--state",
            "s.json",
            "login",
            "--test-servers",
        ]
    ) == ["--config", "c.json", "--test-servers"]
    assert login.login_argv(["--config", "login"]) is None  # a config file named "login"
    assert login.login_argv(["--discover"]) is None


def test_login_reads_api_credentials_from_a_tap_config(world, tmp_path: Path):
    import json

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_id": API_ID, "api_hash": API_HASH}), encoding="utf-8")
    fake = FakeTelegram(world)
    script = Script(PHONE, "24680")
    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--config", str(config)],
        client_factory=fake.client_factory,
        prompt=script,
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert [text.split(",")[0] for text, _ in script.asked] == [
        "Phone number",
        "Login code (sent to your other Telegram apps or by SMS): ",
    ]


@pytest.mark.parametrize(
    ("request_name", "error", "needle"),
    [
        ("SendCode", "FLOOD_WAIT_120", "wait 120 s before another login attempt"),
        ("SignIn", "PHONE_NUMBER_BANNED", "the phone number is banned"),
        ("SignIn", "PHONE_CODE_EXPIRED", "the login code expired"),
        ("SignIn", "AUTH_RESTART_FAILED", "Telegram refused the login (AUTH_RESTART_FAILED)"),
    ],
)
def test_telegram_refusals_are_one_line(world, request_name, error, needle):
    fake = FakeTelegram(world)
    fake.add_fault(request_name, error)
    code, out, err = run_login(fake, Script(API_HASH, PHONE, "24680"))
    assert code == 3
    assert out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("tap-telegram login: ")
    assert needle in last
    assert "15550000000" not in err


def test_help_points_to_login():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--help"], capture_output=True, text=True, check=True
    )
    assert "`tap-telegram login` creates a session" in done.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "login", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--test-servers" in helped.stdout


@pytest.mark.parametrize(
    ("where", "needle"),
    [
        (lambda tmp: tmp, "is a folder; give the path of a file"),
        (lambda tmp: tmp / "afile" / "me.session", "cannot be created (File exists)"),
        (lambda tmp: Path("/proc/no-such-dir/me.session"), "cannot be created"),
    ],
)
def test_session_file_that_cannot_be_created_is_one_line(world, tmp_path: Path, where, needle):
    """--session-file naming a folder, a path under a file or an unwritable place: one
    line and exit 2 before the login starts, never a traceback."""
    (tmp_path / "afile").write_text("not a folder")
    fake = FakeTelegram(world)
    code, out, err = run_login(fake, Script(API_HASH), "--session-file", str(where(tmp_path)))
    assert code == 2, err
    assert needle in err
    assert err.count("\n") == 1
    assert err.startswith("tap-telegram login: --session-file ")
    assert out == ""
