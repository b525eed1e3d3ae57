"""What most export scripts do: ``client.iter_messages(chat)`` with Telethon's defaults.

    python -m bench.naive_telethon --world spec.json --chats @a @b --seconds 15 > /dev/null

A plain ``TelegramClient`` (default settings: ``flood_sleep_threshold=60``, updates on)
whose network sender is the fake Telegram's, so the real ``iter_messages`` runs:
100 messages per request and, for an unlimited iteration, ``wait_time=1`` s between
requests. Each message is written as one JSON line (id, date, text, sender) to
stdout. Stops after ``--seconds`` (the naive rate is flat, so a prefix measures it);
prints ``naive: <messages> messages in <seconds> s`` to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from telethon import TelegramClient
from telethon.sessions import StringSession

from tests.fake_telegram.fake import API_HASH, API_ID
from tests.fake_telegram.spec import fake_from_spec, load_spec


async def export(world: str, chats: list[str], seconds: float) -> tuple[int, float]:
    fake = fake_from_spec(load_spec(world))
    client = fake.install(TelegramClient(StringSession(fake.session_string()), API_ID, API_HASH))
    out = sys.stdout
    count = 0
    started = time.monotonic()
    await client.connect()
    try:
        for chat in chats:
            async for message in client.iter_messages(chat):
                line = {
                    "id": message.id,
                    "date": message.date.isoformat(),
                    "text": message.message,
                    "sender_id": message.sender_id,
                }
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
                if time.monotonic() - started >= seconds:
                    return count, time.monotonic() - started
        return count, time.monotonic() - started
    finally:
        await client.disconnect()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", required=True, help="fake Telegram JSON spec")
    parser.add_argument("--chats", nargs="+", required=True)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    count, elapsed = asyncio.run(export(args.world, args.chats, args.seconds))
    sys.stderr.write(f"naive: {count} messages in {elapsed:.3f} s\n")


if __name__ == "__main__":
    main()
