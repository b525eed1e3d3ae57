"""The ``proxy`` setting: reach Telegram through SOCKS5, SOCKS4, HTTP or an MTProxy.

Where Telegram is blocked, people reach it through a proxy, and they get the proxy
as a URL or as an MTProxy link. The setting takes exactly those:

* ``socks5://[user:password@]host:port`` (also ``socks4://``, ``http://``): through
  Telethon's proxy support, which uses ``python-socks`` (a dependency of the tap);
* ``https://t.me/proxy?server=host&port=443&secret=...`` or ``tg://proxy?...``: an
  MTProxy with its secret (``dd...`` secrets use padded intermediate framing). Fake-TLS
  ``ee...`` secrets are refused: Telethon cannot speak that disguise.

Credentials and secrets are secrets: the setting is marked secret, :class:`Proxy`
keeps them out of its ``repr``, and every message says :meth:`Proxy.describe` (kind,
host and port) or names the setting, never its value.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from typing import Any, Literal

from telethon.network.connection import (
    ConnectionTcpMTProxyIntermediate,
    ConnectionTcpMTProxyRandomizedIntermediate,
)

from tap_telegram.errors import ConfigError

ProxyKind = Literal["socks5", "socks4", "http", "mtproxy"]
#: URL schemes of plain proxies (Telethon's ``proxy_type`` names).
SCHEMES: tuple[ProxyKind, ...] = ("socks5", "socks4", "http")
#: How to write the setting, shown with every problem.
FORMS = (
    "use socks5://[user:password@]host:port, socks4://host:port, "
    "http://[user:password@]host:port or an MTProxy link "
    "https://t.me/proxy?server=HOST&port=PORT&secret=SECRET"
)
_MTPROXY_LINK = re.compile(r"^(?:https?://(?:t\.me|telegram\.me)/proxy|tg://proxy)\?", re.I)
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclasses.dataclass(frozen=True)
class Proxy:
    """A parsed ``proxy`` setting; secrets are left out of ``repr``."""

    kind: ProxyKind
    host: str
    port: int
    username: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)
    secret: str | None = dataclasses.field(default=None, repr=False)

    def describe(self) -> str:
        """``socks5 proxy 10.0.0.1:1080``: what messages may say about it."""
        return f"{self.kind} proxy {self.host}:{self.port}"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``TelegramClient``: ``proxy`` (and the MTProxy framing)."""
        if self.kind == "mtproxy":
            assert self.secret is not None
            randomized = self.secret[:2].lower() == "dd"
            connection = (
                ConnectionTcpMTProxyRandomizedIntermediate
                if randomized
                else ConnectionTcpMTProxyIntermediate
            )
            return {"connection": connection, "proxy": (self.host, self.port, self.secret)}
        return {
            "proxy": {
                "proxy_type": self.kind,
                "addr": self.host,
                "port": self.port,
                "username": self.username,
                "password": self.password,
                "rdns": True,
            }
        }


def parse_proxy(value: Any) -> Proxy | None:
    """The ``proxy`` setting as a :class:`Proxy` (``None``: connect directly).

    Raises a :class:`ConfigError` naming the setting, never quoting it (it may hold a
    password or a secret).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"setting 'proxy' must be a string; {FORMS}")
    text = value.strip()
    if _MTPROXY_LINK.match(text):
        return _mtproxy(urllib.parse.parse_qs(text.split("?", 1)[1]))
    try:
        url = urllib.parse.urlsplit(text)
    except ValueError:  # "Invalid IPv6 URL": a bracket left open; the text is never quoted
        url = None
    if url is None:
        raise ConfigError(f"setting 'proxy' is no URL (an IPv6 host needs [ and ]); {FORMS}")
    scheme = url.scheme.lower()
    if scheme == "socks5h":
        scheme = "socks5"  # curl's spelling; Telethon resolves names on the proxy anyway
    if scheme not in SCHEMES:
        raise ConfigError(f"setting 'proxy': unknown kind of proxy; {FORMS}")
    try:
        port = url.port
    except ValueError:
        port = None
    if not url.hostname or port is None:
        raise ConfigError(f"setting 'proxy' needs a host and a port; {FORMS}")
    return Proxy(
        kind=scheme,
        host=url.hostname,
        port=port,
        username=urllib.parse.unquote(url.username) if url.username else None,
        password=urllib.parse.unquote(url.password) if url.password else None,
    )


def _mtproxy(query: dict[str, list[str]]) -> Proxy:
    """An MTProxy from the ``server``, ``port`` and ``secret`` of its link."""
    server = (query.get("server") or [""])[0].strip()
    port = (query.get("port") or [""])[0].strip()
    secret = (query.get("secret") or [""])[0].strip()
    if not server or not port.isdigit() or not 0 < int(port) < 65536 or not secret:
        raise ConfigError(
            "setting 'proxy': an MTProxy link needs server, port and secret; "
            "paste the whole link, e.g. https://t.me/proxy?server=HOST&port=443&secret=..."
        )
    if secret[:2].lower() == "ee":
        raise ConfigError(
            "setting 'proxy': this MTProxy uses a fake-TLS secret (starting with ee), which "
            "Telethon cannot use; ask for a dd secret or a plain one, or use a SOCKS5 proxy"
        )
    body = secret[2:] if secret[:2].lower() == "dd" and len(secret) == 34 else secret
    if not (_HEX.match(body) and len(body) == 32):
        raise ConfigError(
            "setting 'proxy': the MTProxy secret is not 32 hexadecimal digits (optionally "
            "after dd); paste the whole link again"
        )
    return Proxy(kind="mtproxy", host=server, port=int(port), secret=secret.lower())
