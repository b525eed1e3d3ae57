"""`meltano run tap-telegram-export <target>` on the bundled Telegram Desktop export.

``tap-telegram-export`` inherits the repo's extractor definition and runs the real
``tap-telegram`` console script with ``source: export``. The ground truth is read
straight from the export's JSON. A second run finds nothing new; after a re-export
with more messages in one chat, only those load.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.meltano_project import EXPORT_EXTRACTOR, bookmarks, state_id
from tests.e2e.outputs import (
    EXPORT_DIR,
    Destination,
    duplicates,
    export_marked_id,
    export_truth,
    keys,
    last_ids,
    world_keys,
)

pytestmark = pytest.mark.e2e


def _grow_export(path: Path, extra: int) -> tuple[int, list[int]]:
    """Re-export: the biggest chat gets ``extra`` newer messages; returns (chat, new ids)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    chats = data["chats"]["list"] if "chats" in data else [data]
    chat = max(chats, key=lambda c: len(c.get("messages", [])))
    messages = chat["messages"]
    last = next(m for m in reversed(messages) if m.get("type") == "message")
    top = max(m["id"] for m in messages)
    new_ids = []
    for n in range(1, extra + 1):
        message = copy.deepcopy(last)
        message["id"] = top + n
        stamp = int(messages[-1]["date_unixtime"]) + 60 * n
        message["date_unixtime"] = str(stamp)
        message.pop("edited", None)
        message.pop("edited_unixtime", None)
        message.pop("reply_to_message_id", None)
        message["text"] = f"new message {n} after the first export"
        message["text_entities"] = [{"type": "plain", "text": message["text"]}]
        messages.append(message)
        new_ids.append(message["id"])
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return export_marked_id(chat), new_ids


def test_export_full_then_incremental(destination: Destination, tmp_path: Path) -> None:
    ws = destination.workspace
    export = tmp_path / "export"
    shutil.copytree(EXPORT_DIR, export)
    ws.set_config(EXPORT_EXTRACTOR, source="export", export_path=str(export))
    sid = state_id(EXPORT_EXTRACTOR, destination.target)

    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    truth = export_truth(export)
    found = keys(destination.rows())
    assert not duplicates(found)
    assert set(found) == world_keys(truth)
    assert {int(row["id"]) for row in destination.rows("chats")} == set(truth)
    assert bookmarks(ws.state(sid)) == last_ids(truth)

    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    assert keys(destination.rows()) == found, (
        "a rerun with nothing new changed the output (rows lost, e.g. a file rewritten, "
        "or loaded again)"
    )

    chat, new_ids = _grow_export(export / "result.json", 4)
    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    truth = export_truth(export)
    after = keys(destination.rows())
    assert not duplicates(after)
    assert set(after) == world_keys(truth)
    assert sum(after.values()) == sum(found.values()) + len(new_ids)
    assert bookmarks(ws.state(sid))[chat] == new_ids[-1]
