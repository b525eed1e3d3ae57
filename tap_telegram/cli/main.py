"""``tap-telegram``: the SDK command line, with user errors as one line and an exit code.

Every user error (:class:`tap_telegram.errors.TapTelegramError`) becomes one line
that says what to do and the error's exit code (2 config, 3 session, 4 export file,
5 some chats failed); ``tap-telegram login`` is handed to :mod:`tap_telegram.cli.login`,
imported only then: it loads Telethon, which an export or Bot API run never needs.
"""

from __future__ import annotations

import sys

import click
from singer_sdk.exceptions import ConfigValidationError

from tap_telegram.cli.input_files import check_input_files
from tap_telegram.errors import TapTelegramError
from tap_telegram.tap import TapTelegram


def _user_error(exc: BaseException) -> TapTelegramError | None:
    """The TapTelegramError behind ``exc`` (it may arrive wrapped), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TapTelegramError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def main(tap_class: type[TapTelegram] = TapTelegram) -> None:
    """Console entry point: the SDK CLI, with user errors as one line and an exit code.

    ``tap-telegram login`` is the interactive login helper (:mod:`tap_telegram.cli.login`);
    it uses the tap class's client factory, so tests can point it at the fake Telegram.
    """
    if "login" in sys.argv[1:]:  # the one word that can make this a login
        from tap_telegram.cli import login  # noqa: PLC0415 - loads Telethon

        login_args = login.login_argv(sys.argv[1:])
        if login_args is not None:
            factory = tap_class.client_factory
            sys.exit(
                login.main(login_args)
                if factory is None
                else login.main(login_args, client_factory=factory)
            )
    command = tap_class.cli
    try:
        check_input_files(sys.argv[1:])
        code = command.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        code = 130
    except ConfigValidationError as exc:
        problems = "; ".join(exc.errors) or str(exc)
        tap_class.logger.error("tap-telegram: invalid config: %s", problems)
        code = 2
    except Exception as exc:
        error = _user_error(exc)
        if error is None:
            raise
        tap_class.logger.error("tap-telegram: %s", error)
        code = error.exit_code
    if "--help" in sys.argv[1:]:
        click.echo("\nFirst run: `tap-telegram login` creates a session (see its --help).")
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
