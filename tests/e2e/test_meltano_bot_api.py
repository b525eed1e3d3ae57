"""`meltano run` with `source: bot_api` against the fake Bot API (a real local HTTP server).

Meltano keeps the ``update_id`` cursor in its state store and passes it back; edits of
earlier messages arrive as the same primary key again, which target-postgres upserts.
The token must not appear in Meltano's logs either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.meltano_project import EXPORT_EXTRACTOR, state_id
from tests.e2e.outputs import Destination, duplicates, keys
from tests.fake_bot_api import CHANNEL, GROUP, TOKEN, FakeBotApi, message

pytestmark = pytest.mark.e2e


def cursor(state: dict | None) -> int | None:
    """The Bot API cursor in a Meltano state (``singer_state`` wraps the Singer state)."""
    singer = (state or {}).get("singer_state", state or {})
    value = singer.get("bookmarks", {}).get("messages", {}).get("bot_api", {}).get("update_id")
    return int(value) if value is not None else None


def _push(fake: FakeBotApi, numbers: range) -> list[tuple[int, int]]:
    out = []
    for n in numbers:
        chat, kind = (GROUP, "message") if n % 4 else (CHANNEL, "channel_post")
        fake.push(kind, message(chat, n, f"text {n}"))
        out.append((int(chat["id"]), n))
    return out


def test_bot_api_full_then_incremental_with_edits(
    destination: Destination, httpserver, tmp_path: Path
) -> None:
    ws = destination.workspace
    fake = FakeBotApi()
    fake.install(httpserver)
    ws.set_config(
        EXPORT_EXTRACTOR,
        source="bot_api",
        bot_token=TOKEN,
        bot_api_url=fake.url(),
        page_size=100,
    )
    sid = state_id(EXPORT_EXTRACTOR, destination.target)

    first = _push(fake, range(1, 251))
    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    found = keys(destination.rows())
    assert not duplicates(found)
    assert set(found) == set(first)
    assert cursor(ws.state(sid)) == fake.next_update_id
    assert {int(row["id"]) for row in destination.rows("chats")} == {GROUP["id"], CHANNEL["id"]}

    # Nothing new: nothing loaded again (the last page, still on Telegram's side, is
    # confirmed by this run's first call and skipped).
    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    assert keys(destination.rows()) == found
    assert fake.pending_ids() == []

    # New messages and edits of old ones (ids far below the newest).
    new = _push(fake, range(251, 281))
    fake.push("edited_message", message(GROUP, 5, "text 5, edited", edit_date=1_760_100_000))
    fake.push("edited_channel_post", message(CHANNEL, 8, "text 8, edited", edit_date=1_760_100_001))
    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    rows = destination.rows()
    latest = {(int(r["chat_id"]), int(r["id"])): r for r in rows}  # last row per key wins
    assert set(latest) == set(first) | set(new)
    assert latest[(GROUP["id"], 5)]["text"] == "text 5, edited"
    assert latest[(CHANNEL["id"], 8)]["text"] == "text 8, edited"
    if destination.target == "target-postgres":
        assert not duplicates(keys(rows)), "the edit was inserted, not upserted"
    state = ws.state(sid)
    assert cursor(state) == fake.next_update_id

    logs = "".join(p.read_text(errors="replace") for p in ws.folder.glob("meltano-*.log"))
    assert TOKEN not in logs
    assert TOKEN not in str(state)
