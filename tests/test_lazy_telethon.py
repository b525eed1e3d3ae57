"""An export run never loads the MTProto client side: Telethon is for ``source: mtproto`` and login.

The sync runs in a fresh interpreter (this one has long imported everything) through
the real entry point, and reports which modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.stream_check import check_text

ROOT = Path(__file__).resolve().parents[1]

#: Runs ``tap-telegram --config CONFIG`` and writes the loaded module names to REPORT.
SCRIPT = """
import atexit, json, sys

report, config = sys.argv[1], sys.argv[2]

def write_report():
    with open(report, "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)

atexit.register(write_report)
sys.argv = ["tap-telegram", "--config", config]
from tap_telegram.cli.main import main
main()
"""

#: Modules only an MTProto sync or ``tap-telegram login`` may load.
MTPROTO_ONLY = (
    "tap_telegram.cli.login",
    "tap_telegram.sources.mtproto.wire.client",
    "tap_telegram.sources.mtproto.source",
    "tap_telegram.sources.mtproto.history.fetch",
    "tap_telegram.sources.mtproto.wire.loop",
)


def test_an_export_sync_does_not_load_telethon(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"source": "export", "export_path": str(ROOT / "examples/telegram-export")}),
        encoding="utf-8",
    )
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(report), str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    check_text(done.stdout)
    assert '"type":"RECORD","stream":"messages"' in done.stdout.replace(" ", "")
    loaded = set(json.loads(report.read_text(encoding="utf-8")))
    assert "tap_telegram.sources.export.source" in loaded
    assert sorted(loaded.intersection(MTPROTO_ONLY)) == []
    assert "tap_telegram.sources.mtproto.downloads.media" not in loaded
    assert sorted(name for name in loaded if name.split(".")[0] == "telethon") == []
