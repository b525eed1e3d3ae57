"""Under `meltano run`, the tap's log levels survive: a WARNING shows as ``[warning]``.

Meltano shows a plugin's plain stderr lines at info level. It hands a Singer SDK plugin a
JSON log format (``SINGER_SDK_LOG_CONFIG`` with ``singer_sdk.logging.StructuredFormatter``)
and parses its lines back, levels included, only when the plugin declares the
``structured-logging`` capability, as meltano.yml (and the hub definition) do.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.meltano_project import EXPORT_EXTRACTOR, Workspace
from tests.e2e.outputs import EXPORT_DIR

pytestmark = pytest.mark.e2e


def level_of(output: str, text: str) -> str:
    """The level Meltano printed the first line containing ``text`` at."""
    for line in output.splitlines():
        if text in line:
            match = re.search(r"\[(\w+)\s*\]", line)
            assert match, line
            return match.group(1)
    raise AssertionError(f"no line with {text!r} in:\n{output[-4000:]}")


def test_warning_info_and_error_keep_their_level(workspace: Workspace) -> None:
    # No `chats`: the run extracts every chat of the export and warns about it.
    workspace.set_config(EXPORT_EXTRACTOR, source="export", export_path=str(EXPORT_DIR))
    done = workspace.run(EXPORT_EXTRACTOR, "target-jsonl").check()
    assert level_of(done.output, "so extracting every chat") == "warning"
    assert level_of(done.output, "run summary:") == "info"
    # No JSON reaches the screen: every tap line was parsed, not passed through.
    assert not re.search(r"tap-telegram-export\s+\{", done.output), done.output[-4000:]

    # A config error: one line, at error level, and the run fails.
    workspace.set_config(EXPORT_EXTRACTOR, start_message_id=-1)
    failed = workspace.run(EXPORT_EXTRACTOR, "target-jsonl")
    assert failed.returncode != 0
    assert level_of(failed.output, "tap-telegram: invalid config") == "error"
