"""What a Telegram RPC error means for the user, as a table.

Each row of :data:`MEANINGS` names a family of Telethon errors, the tap error it
becomes and its one-line text: the chat fails (:class:`~tap_telegram.errors.ChatError`,
the run goes on with the other chats) or the run does (a bad setting or an unusable
session). :class:`~.wire.calls.Caller` looks every error up here; an error with no row is
not the tap's to explain and keeps its traceback. FLOOD_WAIT is not in the table: it
is an action (wait, then retry), which the caller takes itself.
"""

from __future__ import annotations

import dataclasses

from telethon import __version__ as telethon_version
from telethon import errors
from telethon.tl.alltlobjects import LAYER

from tap_telegram.errors import ChatError, ConfigError, SessionError, TapTelegramError

LOGIN_HINT = "run `tap-telegram login` to create a new session_string"
BOT_SESSION = (
    "the session belongs to a bot, and bots cannot read history over MTProto; "
    "use source: bot_api with bot_token, or log in with a user account"
)


@dataclasses.dataclass(frozen=True)
class Meaning:
    """One row: errors of these ``kinds`` become a ``raises`` error with this ``text``.

    ``text`` is a :meth:`str.format` template: ``{rpc}`` is the error's RPC name
    (``CHANNEL_PRIVATE``), ``{what}`` the request that failed, ``{message}`` Telegram's
    own message and ``{hint}`` :data:`LOGIN_HINT`.
    """

    kinds: tuple[type[errors.RPCError], ...]
    raises: type[TapTelegramError]
    text: str

    def error(self, exc: errors.RPCError, *, chat: str | None, what: str) -> TapTelegramError:
        """The tap error for ``exc``, raised while sending ``what`` for ``chat``.

        ``chat=None``: a request of the run itself (connecting, signing in, the
        takeout), whose failure is the run's, not a chat's.
        """
        text = self.text.format(rpc=rpc_name(exc), what=what, message=exc.message, hint=LOGIN_HINT)
        if self.raises is not ChatError:
            return self.raises(text)
        # A chat error names the chat, so that the run's summary can list it.
        return TapTelegramError(text) if chat is None else ChatError(chat, text)


#: Matched in order, first match wins: a subclass comes before its base (the specific
#: Unauthorized errors before UnauthorizedError itself).
MEANINGS: tuple[Meaning, ...] = (
    Meaning(
        (errors.ChannelPrivateError, errors.ChannelInvalidError),
        ChatError,
        "the chat is private, deleted or the account was banned from it ({rpc}); "
        "check the account can open it in Telegram",
    ),
    Meaning(
        (errors.ChatAdminRequiredError,),
        ChatError,
        "reading it needs admin rights (CHAT_ADMIN_REQUIRED); remove it from chats",
    ),
    Meaning(
        (errors.PeerIdInvalidError, errors.ChatIdInvalidError),
        ChatError,
        "Telegram does not know this chat for this account ({rpc}); "
        "use an @username or t.me link, or join the chat first",
    ),
    Meaning((errors.BotMethodInvalidError,), ConfigError, BOT_SESSION),
    Meaning(
        (errors.AuthKeyUnregisteredError,),
        SessionError,
        "the session is not valid any more (revoked or logged out); {hint}",
    ),
    Meaning(
        (errors.AuthKeyDuplicatedError,),
        SessionError,
        "the same session was used from two places at once and Telegram "
        "invalidated it; {hint} and use each session in one place only",
    ),
    Meaning(
        (errors.SessionRevokedError, errors.UserDeactivatedError),
        SessionError,
        "the session cannot be used ({rpc}); {hint}",
    ),
    Meaning(
        (errors.SessionPasswordNeededError,),
        SessionError,
        "the session's login was never finished: the account has two-step "
        "verification and its password was not entered; {hint}",
    ),
    Meaning(
        (errors.ApiIdInvalidError,),
        ConfigError,
        "Telegram rejected settings 'api_id'/'api_hash' (API_ID_INVALID); copy "
        "both again from my.telegram.org, API development tools",
    ),
    Meaning(
        (errors.UnauthorizedError,),
        SessionError,
        "Telegram refused the session ({rpc}); {hint}",
    ),
    Meaning(
        # Telethon already retried request_retries times (raise_last_call_error).
        (errors.ServerError, errors.TimedOutError),
        ChatError,
        "Telegram kept answering {what} with a server error ({message}); "
        "its servers have trouble, run again later",
    ),
)


def user_error(exc: errors.RPCError, *, chat: str | None, what: str) -> TapTelegramError | None:
    """The one-line error ``exc`` means for the user; ``None`` when no row matches."""
    for meaning in MEANINGS:
        if isinstance(exc, meaning.kinds):
            return meaning.error(exc, chat=chat, what=what)
    return None


def protocol_mismatch(exc: errors.TypeNotFoundError, *, what: str) -> TapTelegramError:
    """An answer this Telethon cannot read: the server speaks another layer, or is no Telegram.

    Telethon reads answers with the constructors of the layer it was built with
    (``LAYER``); an unknown constructor id means a newer (or older) Telegram, or a
    server address that is not Telegram's at all.
    """
    return TapTelegramError(
        f"the server answered {what} with a type telethon {telethon_version} (layer "
        f"{LAYER}) does not know (constructor {exc.invalid_constructor_id:08x}): it speaks "
        "another version of Telegram's protocol; update telethon and the tap "
        "(pip install -U tap-telegram telethon), or, if server_address/server_port do "
        "not point at Telegram, fix them"
    )


def rpc_name(exc: BaseException) -> str:
    """``CHANNEL_PRIVATE`` for ChannelPrivateError (subclasses keep a generic message)."""
    name = type(exc).__name__.removesuffix("Error")
    out = [("_" + c if c.isupper() and i else c) for i, c in enumerate(name)]
    return "".join(out).upper()
