"""User-facing errors.

Every problem a user can fix (a bad setting, an unknown chat, a broken export file, a
flood wait above the cap) is raised as a :class:`TapTelegramError`. Its text is one
line that names the thing that is wrong and says what to do; ``cli.main`` prints it
without a traceback and exits non-zero. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def value_kind(value: Any) -> str:
    """What a JSON value is (``a list``, ``null``, ...), never the value itself.

    Errors about inputs (config, STATE, server answers) say this instead of quoting
    the value: it may be a secret, or megabytes long.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float | Decimal):
        return "a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class TapTelegramError(Exception):
    """Base class: an error whose message is shown to the user as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # Collapse to one line: the message is what a user sees in a cron mail.
        super().__init__(" ".join(message.split()))


class ConfigError(TapTelegramError):
    """A setting is missing or invalid. The message names the setting."""

    exit_code = 2


class StateError(TapTelegramError):
    """The STATE given with ``--state`` is damaged or hand-edited into a shape no run wrote.

    Exit 2 like a bad setting: it is an input the user (or the orchestrator) passed.
    """

    exit_code = 2


class SessionError(TapTelegramError):
    """The Telegram session cannot be used (missing, revoked, needs a login)."""

    exit_code = 3


class ConnectionLostError(TapTelegramError):
    """Telegram stayed unreachable longer than ``max_reconnect_seconds``; a rerun resumes."""

    exit_code = 3


class ChatError(TapTelegramError):
    """One chat cannot be read. Carries the chat so a summary can list failures."""

    def __init__(self, chat: str, problem: str) -> None:
        self.chat = chat
        self.problem = problem
        super().__init__(f"chat {chat}: {problem}")


class ExportFormatError(TapTelegramError):
    """A Telegram Desktop export file cannot be read (missing, truncated, wrong shape)."""

    exit_code = 4


class ExportChatError(ChatError, ExportFormatError):
    """One chat of an export cannot be read on (a damaged message, contradictory copies).

    A chat failure like any other (the other chats go on with ``on_chat_error:
    continue``), with the export's exit code 4 when it ends the run.
    """


class ChatsFailedError(TapTelegramError):
    """Some chats failed while the others completed (``on_chat_error: continue``)."""

    exit_code = 5

    def __init__(self, failures: list[ChatError]) -> None:
        self.failures = failures
        listed = "; ".join(str(failure) for failure in failures)
        super().__init__(
            f"{len(failures)} chat(s) failed, the others completed and kept their progress: "
            f"{listed}"
        )
