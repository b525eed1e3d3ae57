"""Issue 16, part 5: the ``proxy`` setting, for the sync and for ``tap-telegram login``.

The SOCKS5 path runs for real: the tap's CLI in a subprocess, a plain Telethon client
(no fake sender) through a SOCKS5 proxy with credentials on loopback to the fake
Telegram's TCP front (MTProto over TCP). A wrong proxy is one line naming the
setting; the proxy's password never reaches a log, a record or STATE.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from telethon.network.connection import (
    ConnectionTcpMTProxyIntermediate,
    ConnectionTcpMTProxyRandomizedIntermediate,
)
from telethon.sessions import StringSession

from tap_telegram.cli import login
from tap_telegram.errors import ConfigError, ConnectionLostError
from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.mtproto.wire.client import ClientSettings, build_client, client_settings
from tap_telegram.sources.mtproto.wire.connection import Connection
from tap_telegram.sources.mtproto.wire.proxy import Proxy, parse_proxy
from tests.fake_telegram import API_HASH, API_ID, FakeTelegram, three_chats_world
from tests.fake_telegram.harness import REPO_ROOT, parse_singer
from tests.fake_telegram.socks5 import Socks5Proxy
from tests.fake_telegram.tcp import TcpFront
from tests.stream_check import check_text

PASSWORD = "pr0xy-Pa55word!"
SECRET = "dd" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("socks5://127.0.0.1:1080", Proxy("socks5", "127.0.0.1", 1080)),
        (
            "socks5://me:p%40ss@proxy.example:1080",
            Proxy("socks5", "proxy.example", 1080, username="me", password="p@ss"),
        ),
        ("socks5h://10.0.0.1:9050", Proxy("socks5", "10.0.0.1", 9050)),
        ("SOCKS4://10.0.0.1:1080", Proxy("socks4", "10.0.0.1", 1080)),
        ("http://u:p@10.0.0.2:3128", Proxy("http", "10.0.0.2", 3128, username="u", password="p")),
        (
            f"https://t.me/proxy?server=mt.example&port=443&secret={SECRET}",
            Proxy("mtproxy", "mt.example", 443, secret=SECRET),
        ),
        (
            "tg://proxy?server=1.2.3.4&port=8443&secret=" + "AB" * 16,
            Proxy("mtproxy", "1.2.3.4", 8443, secret="ab" * 16),
        ),
        ("", None),
        (None, None),
    ],
)
def test_proxy_forms(url, expected):
    assert parse_proxy(url) == expected


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://host:21", "unknown kind of proxy"),
        ("socks5://host", "needs a host and a port"),
        ("socks5://:1080", "needs a host and a port"),
        ("socks5://host:notaport", "needs a host and a port"),
        ("https://t.me/proxy?server=h&port=443", "needs server, port and secret"),
        ("https://t.me/proxy?server=h&port=443&secret=ee" + "00" * 16 + "676f6f", "fake-TLS"),
        ("https://t.me/proxy?server=h&port=443&secret=xyz", "not 32 hexadecimal digits"),
        (1080, "must be a string"),
    ],
)
def test_bad_proxy_names_the_setting_never_its_value(url, needle):
    with pytest.raises(ConfigError) as caught:
        parse_proxy(url)
    text = str(caught.value)
    assert text.startswith("setting 'proxy'")
    assert needle in text
    assert str(url) not in text


def test_secrets_stay_out_of_repr_and_descriptions():
    proxy = parse_proxy(f"socks5://user:{PASSWORD}@10.0.0.1:1080")
    assert proxy is not None
    assert PASSWORD not in repr(proxy)
    assert proxy.describe() == "socks5 proxy 10.0.0.1:1080"
    mtproxy = parse_proxy(f"https://t.me/proxy?server=h&port=443&secret={SECRET}")
    assert mtproxy is not None
    assert SECRET not in repr(mtproxy) + mtproxy.describe()
    fake = FakeTelegram(three_chats_world())
    settings = client_settings(
        Settings.from_config(fake.tap_config(proxy=f"socks5://user:{PASSWORD}@10.0.0.1:1080"))
    )
    assert settings.proxy == proxy
    assert PASSWORD not in repr(settings)


def test_client_options_reach_telethon():
    socks = parse_proxy("socks5://u:p@10.0.0.1:1080")
    assert socks is not None
    assert socks.client_options() == {
        "proxy": {
            "proxy_type": "socks5",
            "addr": "10.0.0.1",
            "port": 1080,
            "username": "u",
            "password": "p",
            "rdns": True,
        }
    }
    padded = parse_proxy(f"https://t.me/proxy?server=h&port=443&secret={SECRET}")
    plain = parse_proxy("https://t.me/proxy?server=h&port=443&secret=" + "0f" * 16)
    assert padded is not None
    assert plain is not None
    assert padded.client_options()["connection"] is ConnectionTcpMTProxyRandomizedIntermediate
    assert plain.client_options()["connection"] is ConnectionTcpMTProxyIntermediate
    client = build_client(
        ClientSettings(session=StringSession(), api_id=1, api_hash="h", proxy=padded)
    )
    assert client._connection is ConnectionTcpMTProxyRandomizedIntermediate
    assert client._proxy == ("h", 443, SECRET)


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=55)


def run_tap(config: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The plain tap (no fake sender: real sockets), at DEBUG level."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, LOGLEVEL="DEBUG"),
        timeout=120,
        check=False,
    )
    check_text(done.stdout)
    return done


def test_a_sync_through_a_socks5_proxy_reads_everything(world, tmp_path):
    fake = FakeTelegram(world)
    with TcpFront(fake) as front, Socks5Proxy(username="tap", password=PASSWORD) as proxy:
        front.accept_session(fake.session_string())
        config = fake.tap_config(
            chats=["@fake_news", "@fake_devs"],
            server_address="127.0.0.1",
            server_port=front.port,
            proxy=f"socks5://tap:{PASSWORD}@127.0.0.1:{proxy.port}",
        )
        done = run_tap(config, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    messages, _ = parse_singer(done.stdout)
    ids = sorted(
        (m["record"]["chat_id"], m["record"]["id"])
        for m in messages
        if m["type"] == "RECORD" and m["stream"] == "messages"
    )
    expected = sorted(
        (world.marked_id(chat), i)
        for chat in ("@fake_news", "@fake_devs")
        for i in world.message_ids(chat)
    )
    assert ids == expected
    # Every connection went through the proxy, to the server the settings name.
    assert proxy.connects
    assert set(proxy.connects) == {("127.0.0.1", front.port)}
    assert front.connections == len(proxy.connects)
    assert proxy.refused == 0
    assert "DEBUG" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_a_proxy_that_refuses_is_one_line_naming_the_setting(world, tmp_path):
    fake = FakeTelegram(world)
    with TcpFront(fake) as front, Socks5Proxy() as proxy:
        port = proxy.port  # closed when the block ends: nothing listens there any more
        front.accept_session(fake.session_string())
        server = front.port
    config = fake.tap_config(
        chats=["@fake_news"],
        server_address="127.0.0.1",
        server_port=server,
        proxy=f"socks5://tap:{PASSWORD}@127.0.0.1:{port}",
        max_reconnect_seconds=0,
    )
    done = run_tap(config, tmp_path)
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    assert "cannot reach Telegram through the proxy (setting 'proxy')" in errors[0]
    assert "check the proxy setting" in errors[0]
    assert PASSWORD not in done.stdout + done.stderr


def test_wrong_proxy_credentials_are_one_line_naming_the_setting(world):
    """In process, with one Telethon connection attempt: the proxy refuses the login."""
    fake = FakeTelegram(world)

    async def go(front_port: int, proxy_port: int) -> str:
        settings = ClientSettings(
            session=StringSession(fake.session_string()),
            api_id=API_ID,
            api_hash=API_HASH,
            server_address="127.0.0.1",
            server_port=front_port,
            connection_retries=1,
            proxy=parse_proxy(f"socks5://tap:wrong-{PASSWORD}@127.0.0.1:{proxy_port}"),
        )
        client = build_client(settings)
        logger = logging.getLogger("test.proxy")
        connection = Connection(client, logger, max_seconds=0, via_proxy=True)
        caller = Caller(client, logger, max_flood_wait=1, connection=connection)
        try:
            with pytest.raises(ConnectionLostError) as caught:
                await caller.call(client.connect, chat=None, what="connect")
            return str(caught.value)
        finally:
            await client.disconnect()

    with TcpFront(fake) as front, Socks5Proxy(username="tap", password=PASSWORD) as proxy:
        message = asyncio.run(go(front.port, proxy.port))
        assert proxy.refused >= 1
        assert proxy.connects == []
    assert "cannot reach Telegram through the proxy (setting 'proxy')" in message
    assert PASSWORD not in message


def test_login_uses_the_proxy_setting(world, tmp_path):
    """`tap-telegram login --config` takes the proxy from the config (or the environment)."""
    config = tmp_path / "config.json"
    url = f"socks5://tap:{PASSWORD}@127.0.0.1:1"
    config.write_text(json.dumps({"api_id": API_ID, "api_hash": API_HASH, "proxy": url}))
    fake = FakeTelegram(world)
    seen: list[Proxy | None] = []

    def factory(settings: ClientSettings):
        seen.append(settings.proxy)
        return fake.client_factory(settings)  # the fake ignores the network

    answers = iter(["+1 555 000 0000", "24680"])
    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--config", str(config)],
        client_factory=factory,
        prompt=lambda text, secret: next(answers),
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert seen == [parse_proxy(url)]
    assert PASSWORD not in out.getvalue() + err.getvalue()


def test_login_through_a_refusing_proxy_is_one_line(world, tmp_path):
    """The real network: login connects through the proxy, which is gone: one line."""
    with Socks5Proxy() as proxy:
        port = proxy.port
    config = tmp_path / "config.json"
    url = f"socks5://tap:{PASSWORD}@127.0.0.1:{port}"
    config.write_text(json.dumps({"api_id": API_ID, "api_hash": API_HASH, "proxy": url}))

    def factory(settings: ClientSettings):
        return build_client(dataclasses.replace(settings, connection_retries=1))

    out, err = io.StringIO(), io.StringIO()
    code = login.main(
        ["--config", str(config), "--server-address", "127.0.0.1", "--server-port", "9"],
        client_factory=factory,
        prompt=lambda text, secret: pytest.fail("no prompt before connecting"),
        out=out,
        err=err,
    )
    assert code == 3
    text = err.getvalue()
    assert text.count("\n") == 1
    assert f"cannot reach Telegram through the socks5 proxy 127.0.0.1:{port}" in text
    assert "check the proxy setting" in text
    assert PASSWORD not in text
