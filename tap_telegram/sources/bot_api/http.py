"""HTTP client for the Telegram Bot API: retries, flood waits, and a token kept secret.

The token is part of every URL (``/bot<token>/getUpdates``), and both requests and
urllib3 put URLs in exception text and log lines (urllib3 warns "Retrying ... /bot…/"
at WARNING). So:

* exceptions from requests are never re-raised or chained: the client builds its own
  :class:`TapTelegramError` *outside* the ``except`` block (no ``__context__`` holding
  the URL) from redacted text;
* while a client is open, a logging filter on the urllib3 and requests loggers
  replaces the token in every record with ``<bot_token>``.

Retries: 5xx answers and connection errors are retried by urllib3's ``Retry`` on the
session's adapter (exponential backoff). getUpdates may be repeated safely: updates
stay on Telegram's side until a *later* call confirms them with its ``offset``. A 429
carries ``parameters.retry_after`` in the JSON body, and may carry a ``Retry-After``
header too: urllib3 is told to ignore that header (``respect_retry_after_header=False``),
or it would sleep it out silently, up to 5 times, before the tap saw the 429. The client
waits itself, whatever the source of the wait (body first, then header), up to
``max_flood_wait`` a time and at most :data:`FLOOD_ATTEMPTS` times in a row for one call,
each wait logged and counted (``flood_waits``/``flood_seconds`` of the run summary): a
bot that is answered 429 again and again (another program flooding the same token) must
end the run with a clear line, not keep it waiting forever. A wait that is no number
(``"abc"``), negative or not finite is read as unknown: :data:`UNKNOWN_WAIT` seconds.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tap_telegram.errors import ConfigError, SessionError, TapTelegramError
from tap_telegram.settings import Settings

#: The declared defaults of ``bot_api_url`` and ``max_flood_wait``.
_DEFAULTS = Settings()
REDACTED = "<bot_token>"
#: Answers of 429 in a row one call accepts (waiting each out) before it gives up.
FLOOD_ATTEMPTS = 5
#: Seconds waited after a 429 whose wait is missing or unreadable.
UNKNOWN_WAIT = 1

#: Loggers that may print a request URL (urllib3 at DEBUG and on retries).
URL_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests")

WEBHOOK_HINT = (
    "the bot has a webhook set, and Telegram refuses getUpdates while it is (409); "
    "remove it with the Bot API method deleteWebhook, e.g. "
    "curl https://api.telegram.org/bot<bot_token>/deleteWebhook, then run again"
)


class BotApiError(TapTelegramError):
    """A Bot API call failed; ``error_code`` and ``description`` as Telegram sent them."""

    def __init__(self, message: str, error_code: int | None = None, description: str = "") -> None:
        self.error_code = error_code
        self.description = description
        super().__init__(message)


class _RedactFilter(logging.Filter):
    """Replace the token in a log record's final text (message and arguments)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.secret in text:
            record.msg, record.args = text.replace(self.secret, REDACTED), None
        return True


class BotApiClient:
    """One bot's Bot API endpoint: ``call(method, **params)`` returns ``result``."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = _DEFAULTS.bot_api_url,
        logger: logging.Logger,
        max_flood_wait: float = _DEFAULTS.max_flood_wait,
        flood_attempts: int = FLOOD_ATTEMPTS,
        retries: int = 5,
        backoff_factor: float = 0.5,
        read_timeout: float = 30,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        #: ``bot_api_url`` as errors show it: without a ``user:password@`` part.
        self.shown_url, self._secrets = _without_credentials(self.base_url)
        self._secrets.append(token)
        self.logger = logger
        self.max_flood_wait = max_flood_wait
        self.flood_attempts = max(1, flood_attempts)
        self.read_timeout = read_timeout
        self._sleep = sleep
        self._filter = _RedactFilter(token)
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,  # POST too: see the module docstring
            raise_on_status=False,  # the last 5xx answer is turned into a clear error
            respect_retry_after_header=False,  # 429 waits are the client's (docstring)
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.requests = 0
        #: 429 answers waited out, and the seconds waited (the run summary's flood waits).
        self.flood_waits = 0
        self.flood_seconds = 0.0

    def redact(self, text: str) -> str:
        """``text`` with the token (it is in URLs) and ``bot_api_url``'s credentials replaced."""
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    def close(self) -> None:
        """Close the connection pool and remove the logging filter (idempotent)."""
        self.session.close()
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    def call(self, method: str, **params: Any) -> Any:
        """POST ``method`` with JSON ``params`` (a long poll's ``timeout`` extends the read).

        Raises :class:`SessionError` (401/404: bad token), :class:`ConfigError` (409:
        webhook set or another poller), :class:`BotApiError` for other API errors, for
        network failures after the retries and after ``flood_attempts`` 429s in a row.
        """
        url = f"{self.base_url}/bot{self._token}/{method}"
        waited = 0.0
        description = ""
        for attempt in range(1, self.flood_attempts + 1):
            self.requests += 1
            failure: str | None = None
            try:
                response = self.session.post(
                    url,
                    json={k: v for k, v in params.items() if v is not None},
                    timeout=(10, self.read_timeout + float(params.get("timeout") or 0)),
                )
            except requests.RequestException as exc:
                failure = f"{type(exc).__name__}: {exc}"
            if failure is not None:
                # Built here, not in the except block: no __context__ carries the URL.
                raise BotApiError(
                    f"Bot API {method} at {self.shown_url} failed after retries "
                    f"({self.redact(failure)}); check the network and bot_api_url"
                )
            body = _json(response)
            if body.get("ok") is True:
                return body.get("result")
            wait = self._check(method, response.status_code, body, response.headers)
            description = self.redact(str(body.get("description") or ""))
            if attempt == self.flood_attempts:
                break
            self.logger.info(
                "Bot API asked to wait %d s (429) on %s; waiting (attempt %d of %d)",
                wait,
                method,
                attempt,
                self.flood_attempts,
            )
            self._sleep(wait)
            waited += wait
            self.flood_waits += 1
            self.flood_seconds += wait
        raise BotApiError(
            f"Bot API kept answering 429 (Too Many Requests) on {method}: gave up after "
            f"{self.flood_attempts} attempts in a row ({waited:g} s waited); is another "
            "program using this bot_token? run again later",
            429,
            description,
        )

    def _check(
        self, method: str, status: int, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> float:
        """Seconds to wait for a 429 within ``max_flood_wait``; raise for anything else."""
        code = body.get("error_code", status)
        description = self.redact(str(body.get("description") or f"HTTP {status}"))
        if code == 429:
            parameters = body.get("parameters")
            wait = flood_wait(
                parameters.get("retry_after") if isinstance(parameters, Mapping) else None,
                headers.get("Retry-After"),
            )
            if wait <= self.max_flood_wait:
                return wait
            shown = "an unbounded time" if wait == math.inf else f"{wait} s"
            raise BotApiError(
                f"Bot API asked to wait {shown} (429) on {method}, more than "
                f"max_flood_wait={self.max_flood_wait:g} s; run again later or raise "
                "max_flood_wait",
                code,
                description,
            )
        if code in (401, 404) and method == "getMe":
            raise SessionError(
                f"Telegram rejected bot_token ({code} {description}); copy the token "
                "again from @BotFather (/token) or check bot_api_url"
            )
        if code == 401:
            raise SessionError(
                f"Telegram rejected bot_token ({description}); the token was revoked? "
                "get the current one from @BotFather"
            )
        if code == 409:
            if "webhook" in description.lower():
                raise ConfigError(WEBHOOK_HINT)
            raise ConfigError(
                f"Telegram refused getUpdates (409 {description}): another process polls "
                "this bot; stop it (one poller per bot) and run again"
            )
        if code == 400 and "chat not found" in description.lower():
            raise BotApiError(
                "Telegram does not know this chat for this bot (400 chat not found); add "
                "the bot to the chat (as an admin in channels) or fix chats",
                code,
                description,
            )
        raise BotApiError(f"Bot API {method} failed ({code} {description})", code, description)


def _without_credentials(url: str) -> tuple[str, list[str]]:
    """``url`` without its ``user:password@`` part, and those secrets (to redact)."""
    try:
        parts = urllib.parse.urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return "bot_api_url", []
    if user is None and password is None:
        return url, []
    host = parts.netloc.rsplit("@", 1)[-1]
    secrets = [value for value in (password, user) if value]
    secrets += [urllib.parse.quote(value, safe="") for value in secrets]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}")), secrets


def flood_wait(*sources: Any) -> float:
    """Seconds of a 429's wait: the first readable of ``sources`` (body, then header).

    A whole number of seconds, rounded up; ``math.inf`` when a source says more than
    any cap (``1e400``); :data:`UNKNOWN_WAIT` when none is readable (``"abc"``, ``-5``,
    missing). Never raises: the value comes from the server.
    """
    for source in sources:
        value = source
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                continue
        if isinstance(value, int | float) and not math.isnan(value) and value >= 0:
            return math.inf if math.isinf(value) else max(math.ceil(value), UNKNOWN_WAIT)
    return UNKNOWN_WAIT


def _json(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object; a non-JSON answer (a proxy's page) becomes an error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"ok": False, "error_code": response.status_code, "description": response.reason}
