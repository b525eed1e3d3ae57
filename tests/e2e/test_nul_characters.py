"""Issue 27, item 9: NUL characters (U+0000) in an export reach PostgreSQL as U+FFFD.

PostgreSQL's text types cannot hold U+0000 and target-postgres fails the whole batch
on one. The tap writes it as U+FFFD (one character for one: entity offsets stay
right). `meltano run tap-telegram-export target-postgres` on an export written by the
test, whose message text, file name and media path hold NUL characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.meltano_project import EXPORT_EXTRACTOR
from tests.e2e.outputs import Destination
from tests.sources.export.support import chat, message, write

pytestmark = pytest.mark.e2e

CHAT = -1000000000777  # support.chat(): a supergroup with id 777


@pytest.mark.parametrize("destination", ["target-postgres"], indirect=True)
def test_nul_characters_load_into_postgres(destination: Destination, tmp_path: Path) -> None:
    messages = [
        message(1, "before\x00after"),
        message(
            2,
            [{"type": "bold", "text": "b\x00ld"}, " tail"],
            file="files/re\x00port.pdf",
            file_name="re\x00port.pdf",
            mime_type="application/pdf",
            media_type="document",
        ),
    ]
    write(tmp_path / "export" / "result.json", chat(messages))
    ws = destination.workspace
    ws.set_config(EXPORT_EXTRACTOR, source="export", export_path=str(tmp_path / "export"))
    ws.run(EXPORT_EXTRACTOR, destination.target).check()
    rows = {int(row["id"]): row for row in destination.rows() if int(row["chat_id"]) == CHAT}
    assert set(rows) == {1, 2}
    assert rows[1]["text"] == "before\ufffdafter"
    assert rows[2]["text"] == "b\ufffdld tail"
    flat = str(rows[2])
    assert "re\ufffdport.pdf" in flat
    assert "\x00" not in flat
