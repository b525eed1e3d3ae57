"""Every MTProto request of a run goes through :class:`Caller`.

One place decides what a Telegram error means for the user: FloodWait up to the cap
is waited out with a log line naming the chat, longer ones fail that chat; private or
inaccessible chats, revoked sessions and bot sessions become one-line errors that say
what to do. It also counts requests and flood waits per chat, which progress lines
(and later the per-chat checkpoint metadata) report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telethon import TelegramClient, errors
from telethon.tl.tlobject import TLRequest

from tap_telegram.errors import ChatError, ConfigError, SessionError
from tap_telegram.sources.mtproto.rate import RateBudget

T = TypeVar("T")

LOGIN_HINT = "run `tap-telegram login` to create a new session_string"
BOT_SESSION = (
    "the session belongs to a bot, and bots cannot read history over MTProto; "
    "use source: bot_api with bot_token, or log in with a user account"
)

#: What a Bot API token looks like (``123456789:AA...``): pasted where a session belongs.
BOT_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")


@dataclasses.dataclass
class CallStats:
    """Counters for one chat (or for the run, under the key ``None``)."""

    requests: int = 0
    flood_waits: int = 0
    flood_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The counters by name (what STATE, metrics and the summary line report)."""
        return dataclasses.asdict(self)


class Caller:
    """Send requests with the tap's error policy; shared by all chats of a run."""

    def __init__(
        self,
        client: TelegramClient,
        logger: logging.Logger,
        *,
        max_flood_wait: float,
        budget: RateBudget | None = None,
    ) -> None:
        self.client = client
        self.logger = logger
        self.max_flood_wait = max_flood_wait
        #: Shared concurrency cap and adaptive pacing (see mtproto_rate).
        self.budget = budget or RateBudget(logger=logger)
        self.stats: dict[str, CallStats] = {}

    def stats_for(self, chat: str) -> CallStats:
        """Counters of one chat (created on first use)."""
        return self.stats.setdefault(chat, CallStats())

    def totals(self) -> CallStats:
        """Counters of the whole run (every chat, the connection and dialog loading)."""
        total = CallStats()
        for stats in self.stats.values():
            total.requests += stats.requests
            total.flood_waits += stats.flood_waits
            total.flood_seconds += stats.flood_seconds
        return total

    async def __call__(self, request: TLRequest, *, chat: str) -> Any:
        """Send ``request`` on behalf of ``chat`` (a label used in logs and errors)."""
        return await self.call(lambda: self.client(request), chat=chat, what=type(request).__name__)

    async def call(self, send: Callable[[], Awaitable[T]], *, chat: str, what: str) -> T:
        """Run ``send()`` (one or more requests) under the error and flood policy.

        ``send`` is a factory so that a flood wait can re-run it from the start; it is
        also how Telethon helpers that page on their own (``get_dialogs``) get the
        same policy as the tap's own requests.
        """
        stats = self.stats_for(chat)
        while True:
            stats.requests += 1
            try:
                async with self.budget.slot():
                    return await send()
            except (errors.FloodWaitError, errors.FloodPremiumWaitError) as exc:
                seconds = max(int(exc.seconds), 0)
                if seconds > self.max_flood_wait:
                    raise ChatError(
                        chat,
                        f"Telegram asked to wait {seconds} s (FLOOD_WAIT) on "
                        f"{what}, more than max_flood_wait="
                        f"{self.max_flood_wait:g} s; run again later or raise max_flood_wait",
                    ) from None
                stats.flood_waits += 1
                stats.flood_seconds += seconds
                self.logger.info(
                    "chat %s: flood wait %d s on %s (wait %d of this chat, %.0f s in all)",
                    chat,
                    seconds,
                    what,
                    stats.flood_waits,
                    stats.flood_seconds,
                )
                await asyncio.sleep(self.budget.flood(seconds))
            except (errors.ChannelPrivateError, errors.ChannelInvalidError) as exc:
                raise ChatError(
                    chat,
                    "the chat is private, deleted or the account was banned from it "
                    f"({_rpc_name(exc)}); check the account can open it in Telegram",
                ) from None
            except errors.ChatAdminRequiredError:
                raise ChatError(
                    chat,
                    "reading it needs admin rights (CHAT_ADMIN_REQUIRED); remove it from chats",
                ) from None
            except (errors.PeerIdInvalidError, errors.ChatIdInvalidError) as exc:
                raise ChatError(
                    chat,
                    f"Telegram does not know this chat for this account ({_rpc_name(exc)}); "
                    "use an @username or t.me link, or join the chat first",
                ) from None
            except errors.BotMethodInvalidError:
                raise ConfigError(BOT_SESSION) from None
            except errors.AuthKeyUnregisteredError:
                raise SessionError(
                    f"the session is not valid any more (revoked or logged out); {LOGIN_HINT}"
                ) from None
            except errors.AuthKeyDuplicatedError:
                raise SessionError(
                    "the same session was used from two places at once and Telegram "
                    f"invalidated it; {LOGIN_HINT} and use each session in one place only"
                ) from None
            except (errors.SessionRevokedError, errors.UserDeactivatedError) as exc:
                raise SessionError(
                    f"the session cannot be used ({_rpc_name(exc)}); {LOGIN_HINT}"
                ) from None
            except errors.SessionPasswordNeededError:
                raise SessionError(
                    "the session's login was never finished: the account has two-step "
                    f"verification and its password was not entered; {LOGIN_HINT}"
                ) from None
            except errors.ApiIdInvalidError:
                raise ConfigError(
                    "Telegram rejected settings 'api_id'/'api_hash' (API_ID_INVALID); copy "
                    "both again from my.telegram.org, API development tools"
                ) from None
            except errors.UnauthorizedError as exc:
                raise SessionError(
                    f"Telegram refused the session ({_rpc_name(exc)}); {LOGIN_HINT}"
                ) from None
            except (errors.ServerError, errors.TimedOutError) as exc:
                # Telethon already retried request_retries times (raise_last_call_error).
                raise ChatError(
                    chat,
                    f"Telegram kept answering {what} with a server error ({exc.message}); "
                    "its servers have trouble, run again later",
                ) from None


def _rpc_name(exc: BaseException) -> str:
    """``CHANNEL_PRIVATE`` for ChannelPrivateError (subclasses keep a generic message)."""
    name = type(exc).__name__.removesuffix("Error")
    out = [("_" + c if c.isupper() and i else c) for i, c in enumerate(name)]
    return "".join(out).upper()
