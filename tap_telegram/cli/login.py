"""``tap-telegram login``: create a user session once, interactively.

The sync never prompts (it runs under cron, Meltano, Airflow): with no valid session it
stops with one line that points here. This command is the only place that asks for
the phone number, the login code and the two-step verification password, and it asks
for the secret ones with hidden input, so neither the terminal nor a screen recording
shows them. It prints the session string (stdout, nothing else there) to paste into
``session_string``, or writes a Telethon SQLite session file readable only by the user
(``--session-file``, mode 0600).

It builds its client through the same :data:`ClientFactory` seam as the tap, so the
test suite drives the real Telethon login (``auth.sendCode``, ``auth.signIn``, SRP for
2FA) against the fake Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from telethon import TelegramClient, errors
from telethon.sessions import SQLiteSession, StringSession

from tap_telegram.cli.qr_login import qr_login
from tap_telegram.cli.terminal import Prompter, Screen, terminal_prompt, terminal_screen
from tap_telegram.errors import ConfigError, SessionError, TapTelegramError
from tap_telegram.settings import Settings, config_errors
from tap_telegram.sources.mtproto.wire.client import ClientFactory, ClientSettings, build_client
from tap_telegram.sources.mtproto.wire.connection import DROPS
from tap_telegram.sources.mtproto.wire.errors import protocol_mismatch
from tap_telegram.sources.mtproto.wire.proxy import parse_proxy
from tap_telegram.tap import TapTelegram

#: Telegram's test data center (https://core.telegram.org/api/datacenter#testing-redirects).
TEST_DC = (2, "149.154.167.40", 443)
#: Wrong codes or passwords accepted before giving up.
ATTEMPTS = 3

DESCRIPTION = """\
Log in to Telegram once and print a session string for the `session_string` setting
(or write a session file for `session_file`). Asks for api_id, api_hash, the phone
number, the code Telegram sends to your other Telegram apps (or, with --qr, shows a QR
code to scan with Telegram on your phone instead), and the two-step verification
password if the account has one; secrets are read with hidden input and never echoed.
api_id and api_hash may also come from --config (a tap config file) or
the TAP_TELEGRAM_API_ID / TAP_TELEGRAM_API_HASH environment variables; a proxy from
the config's `proxy` setting or TAP_TELEGRAM_PROXY (socks5://user:pass@host:port, an
MTProxy link, ...).
"""
EPILOG = """\
Telegram's test servers (--test-servers) accept phone numbers 99966XYYYY (X = DC id,
e.g. 9996621234) with the code XXXXX (the DC id five times, e.g. 22222).
"""


class LoginFailedError(SessionError):
    """The login did not complete (wrong code or password, unknown phone, ...)."""


def login_argv(argv: list[str]) -> list[str] | None:
    """The login helper's arguments if ``argv`` (the tap's, no program name) asks for it.

    ``meltano invoke tap-telegram login`` runs ``tap-telegram --config X [--catalog Y]
    [--state Z] login``: the ``login`` word may come after the tap's options. ``--config``
    is kept (api_id/api_hash come from it), the sync-only files are dropped.
    """
    out: list[str] = []
    found = False
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in {"--state", "--catalog", "--properties"}:
            index += 2
            continue
        if arg == "--config":
            out += argv[index : index + 2]
            index += 2
            continue
        if arg == "login" and not found:
            found = True
        else:
            out.append(arg)
        index += 1
    return out if found else None


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The login command line."""
    parser = argparse.ArgumentParser(
        prog="tap-telegram login",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="a tap config file to read api_id, api_hash, dc from")
    parser.add_argument(
        "--qr",
        action="store_true",
        help="log in by scanning a QR code with Telegram on your phone (no phone number or code)",
    )
    parser.add_argument("--api-id", type=int, help="your app's api_id (my.telegram.org)")
    parser.add_argument(
        "--session-file",
        help="write a Telethon SQLite session file (mode 0600) instead of printing a string",
    )
    parser.add_argument(
        "--test-servers",
        action="store_true",
        help="log in to Telegram's test servers (DC 2, 149.154.167.40:443)",
    )
    parser.add_argument("--dc-id", type=int, help="data center id, with --server-address")
    parser.add_argument("--server-address", help="connect to this address instead")
    parser.add_argument("--server-port", type=int, help="port of --server-address (443)")
    return parser.parse_args(argv)


#: What a login reads of a tap config file: how to reach Telegram (the schema has not
#: checked the rest of the file, so the rest is not read).
LOGIN_SETTINGS = ("api_id", "api_hash", "dc_id", "server_address", "server_port", "proxy")


def _read_config(path: str | None) -> Settings:
    if not path:
        return Settings()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--config {path}: cannot read it ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: not a JSON object")
    # The tap's rule: a misspelled setting is an error, not silently ignored.
    unknown = config_errors.unknown_settings(data, TapTelegram.known_settings())
    if unknown:
        raise ConfigError(f"--config {path}: {'; '.join(unknown)}")
    return Settings.from_config(data, only=LOGIN_SETTINGS)


def _settings(args: argparse.Namespace, config: Settings, ask: Prompter) -> ClientSettings:
    """api_id/api_hash from flags, config, environment or prompts; the server to use."""
    raw_id: Any = args.api_id or config.api_id or os.environ.get("TAP_TELEGRAM_API_ID") or None
    if raw_id is None:
        raw_id = ask("api_id (from my.telegram.org, API development tools): ", False).strip()
    try:
        api_id = int(raw_id)
    except (TypeError, ValueError):
        raise ConfigError("api_id must be a number; copy it from my.telegram.org") from None
    api_hash = str(
        config.api_hash
        or os.environ.get("TAP_TELEGRAM_API_HASH")
        or ask("api_hash (input hidden): ", True)
    ).strip()
    if not api_hash:
        raise ConfigError("api_hash is empty; copy it from my.telegram.org")
    dc_id = args.dc_id or config.dc_id
    address = args.server_address or config.server_address
    port = args.server_port or config.server_port
    if args.test_servers:
        dc_id, address, port = dc_id or TEST_DC[0], address or TEST_DC[1], port or TEST_DC[2]
    if args.session_file:
        path = Path(args.session_file)
        if path.is_dir():
            raise ConfigError(
                f"--session-file {path} is a folder; give the path of a file to create, "
                f"e.g. {path / 'telegram.session'}"
            )
        name = str(path)[: -len(".session")] if path.suffix == ".session" else str(path)
        target = Path(name + ".session")
        if target.exists():
            raise ConfigError(
                f"--session-file {target} exists; remove it or choose another path "
                "(a login never overwrites a session)"
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Created empty with 0600 before SQLite opens it: never readable by others.
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise ConfigError(
                f"--session-file {target} cannot be created ({exc.strerror or exc}); "
                "choose a path in a folder you can write to"
            ) from None
        session: Any = SQLiteSession(name)
    else:
        session = StringSession()
    return ClientSettings(
        session=session,
        api_id=api_id,
        api_hash=api_hash,
        dc_id=dc_id,
        server_address=address,
        server_port=port,
        # No reconnecting of its own here: Telethon's default patience during a login.
        connection_retries=5,
        # From the config or the environment only: a password on the command line
        # would show in `ps` and in shell history.
        proxy=parse_proxy(config.proxy or os.environ.get("TAP_TELEGRAM_PROXY")),
        # A QR login waits for Telegram's push that the code was scanned.
        receive_updates=bool(args.qr),
    )


async def _ask_code(client: TelegramClient, phone: str, ask: Prompter, err: TextIO) -> None:
    """Code, then (if the account has 2FA) the password; a few tries each."""
    for attempt in range(1, ATTEMPTS + 1):
        code = ask("Login code (sent to your other Telegram apps or by SMS): ", False).strip()
        try:
            await client.sign_in(phone=phone, code=code)
            return
        except errors.SessionPasswordNeededError:
            await _ask_password(client, ask, err)
            return
        except (errors.PhoneCodeInvalidError, errors.PhoneCodeEmptyError):
            if attempt == ATTEMPTS:
                raise LoginFailedError(
                    f"the login code was wrong {ATTEMPTS} times; run `tap-telegram login` again"
                ) from None
            err.write("That code is not right; try again.\n")
        except errors.PhoneCodeExpiredError:
            raise LoginFailedError(
                "the login code expired; run `tap-telegram login` again and enter the new code"
            ) from None


async def _ask_password(client: TelegramClient, ask: Prompter, err: TextIO) -> None:
    err.write("This account has two-step verification.\n")
    for attempt in range(1, ATTEMPTS + 1):
        password = ask("2FA password (input hidden): ", True)
        try:
            await client.sign_in(password=password)
            return
        except errors.PasswordHashInvalidError:
            if attempt == ATTEMPTS:
                raise LoginFailedError(
                    f"the 2FA password was wrong {ATTEMPTS} times; run `tap-telegram login` "
                    "again (forgot it? reset it in Telegram: Settings, Privacy, 2-Step)"
                ) from None
            err.write("That password is not right; try again.\n")


async def login(
    settings: ClientSettings,
    factory: ClientFactory,
    ask: Prompter,
    err: TextIO,
    show: Screen | None = None,
) -> str:
    """Log in interactively; returns the session string (empty for a session file).

    With ``show`` by QR code (:mod:`.qr_login`), else by phone number and code.
    """
    client = factory(settings)
    via = "" if settings.proxy is None else f" through the {settings.proxy.describe()}"
    try:
        try:
            await client.connect()
        except DROPS as exc:
            check = "the proxy setting, " if settings.proxy is not None else ""
            raise SessionError(
                f"cannot reach Telegram{via} ({type(exc).__name__}); check {check}the "
                "network and --dc-id/--server-address/--server-port"
            ) from None
        try:
            return await _login(client, ask, err, show)
        except errors.RPCError as exc:
            raise _login_error(exc) from None
        except DROPS as exc:
            raise SessionError(
                f"lost the connection to Telegram{via} during the login "
                f"({type(exc).__name__}); nothing was saved: run `tap-telegram login` again"
            ) from None
    except errors.TypeNotFoundError as exc:
        raise protocol_mismatch(exc, what="the login") from None
    finally:
        await client.disconnect()


async def _login(client: TelegramClient, ask: Prompter, err: TextIO, show: Screen | None) -> str:
    if show is not None:
        try:
            await qr_login(client, show)
        except errors.SessionPasswordNeededError:
            await _ask_password(client, ask, err)
    else:
        phone = ask("Phone number, international format, e.g. +14155550123 (input hidden): ", True)
        await client.send_code_request(phone)
        await _ask_code(client, phone, ask, err)
    me = await client.get_me()
    if me is None:
        raise LoginFailedError("Telegram did not confirm the login; run `tap-telegram login` again")
    name = " ".join(part for part in (me.first_name, me.last_name) if part) or "the account"
    err.write(f"Logged in as {name} (user id {me.id}).\n")
    if isinstance(client.session, StringSession):
        return str(client.session.save())
    client.session.save()
    return ""


def _login_error(exc: BaseException) -> TapTelegramError:
    """One line for what Telegram answered (never the phone: only the error's name)."""
    if isinstance(exc, errors.ApiIdInvalidError):
        return ConfigError(
            "Telegram rejected api_id/api_hash (API_ID_INVALID); copy both again from "
            "my.telegram.org, API development tools"
        )
    if isinstance(exc, (errors.PhoneNumberInvalidError, errors.PhoneNumberBannedError)):
        reason = "is banned" if isinstance(exc, errors.PhoneNumberBannedError) else "is invalid"
        return LoginFailedError(
            f"Telegram says the phone number {reason}; use the international format, "
            "e.g. +14155550123"
        )
    if isinstance(exc, errors.PhoneNumberUnoccupiedError):
        return LoginFailedError(
            "no Telegram account uses this phone number; sign up in a Telegram app first"
        )
    if isinstance(exc, errors.FloodError):
        seconds = getattr(exc, "seconds", None)
        wait = f"{seconds} s" if seconds is not None else "a while"
        return LoginFailedError(
            f"Telegram asks to wait {wait} before another login attempt; try again later"
        )
    message = getattr(exc, "message", None) or type(exc).__name__
    return LoginFailedError(
        f"Telegram refused the login ({message}); run `tap-telegram login` again"
    )


def main(
    argv: list[str],
    *,
    client_factory: ClientFactory = build_client,
    prompt: Prompter | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    screen: Screen | None = None,
) -> int:
    """Run the login; returns the exit code (0, 2 config, 3 login failed, 130 aborted)."""
    out = out or sys.stdout
    err = err or sys.stderr
    ask = prompt or terminal_prompt(err)
    args = parse_args(argv)
    session_path: Path | None = None
    try:
        settings = _settings(args, _read_config(args.config), ask)
        if isinstance(settings.session, SQLiteSession):
            session_path = Path(settings.session.filename)
        show = (screen or terminal_screen(err)) if args.qr else None
        session = asyncio.run(login(settings, client_factory, ask, err, show))
    except (KeyboardInterrupt, EOFError):
        err.write("\ntap-telegram login: aborted, nothing was saved\n")
        _discard(session_path)
        return 130
    except TapTelegramError as exc:
        err.write(f"tap-telegram login: {exc}\n")
        _discard(session_path)
        return exc.exit_code
    if session_path is not None:
        session_path.chmod(0o600)
        err.write(
            f"Session saved to {session_path} (readable only by you). "
            f"Set session_file to {session_path} in the tap config.\n"
        )
        return 0
    out.write(session + "\n")
    out.flush()
    err.write(
        "Above is your session string: a full login to your account, keep it secret. Store "
        "it as the session_string setting, e.g. `meltano config set tap-telegram "
        "session_string '<the string>'` (Meltano keeps it in .env); use it in one place only.\n"
    )
    return 0


def _discard(path: Path | None) -> None:
    """Remove a session file of a login that did not complete (it holds no login)."""
    if path is not None:
        for leftover in (path, path.with_name(path.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
