"""``source: bot_api`` crashes: what a killed run re-emits and what it can lose.

Telegram deletes every update below the ``offset`` of a getUpdates call when the call
arrives; the fake does the same, so these tests show the exact loss window.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.fake_bot_api import GROUP, FakeBotApi, message
from tests.fake_telegram.harness import REPO_ROOT, TapRun
from tests.sources.bot_api.harness import (
    cfg,
    cursor,
    cursors,
    keys,
    new_fake,
    push_mixed,
    run_tap,
    tap_result,
    write_args,
)


@pytest.fixture
def fake(httpserver):
    return new_fake(httpserver)


# ----- crash between pages ------------------------------------------------------------


def _crash_run(fake: FakeBotApi, config: dict, kill_at_call: int) -> TapRun:
    """Run the tap; ``kill -9`` it while its ``kill_at_call``-th getUpdates is in flight.

    Telegram (and the fake) confirm on receipt, so the killed call has already
    deleted every update below its offset.
    """
    seen: list[int | None] = []
    proc_box: dict[str, subprocess.Popen] = {}

    def hook(offset: int | None) -> None:
        seen.append(offset)
        if len(seen) == kill_at_call:
            os.kill(proc_box["proc"].pid, signal.SIGKILL)
            proc_box["proc"].wait(timeout=30)

    fake.on_get_updates = hook
    with tempfile.TemporaryDirectory(prefix="bot-crash-") as tmp:
        folder = Path(tmp)
        args = write_args(folder, config, None, [])
        with (folder / "out").open("w") as out, (folder / "err").open("w") as err:
            proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=REPO_ROOT)
            proc_box["proc"] = proc
            proc.wait(timeout=120)
        fake.on_get_updates = None
        stdout = (folder / "out").read_text(encoding="utf-8")
        stderr = (folder / "err").read_text(encoding="utf-8")
    assert proc.returncode == -signal.SIGKILL
    return tap_result(args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("target_state", ["last", "one_behind"])
def test_crash_between_pages(fake, target_state):
    pushed = push_mixed(fake, 250)
    ids = [u for u, _ in pushed]
    expected = [key for _, key in pushed]
    config = cfg(fake, page_size=50)

    crashed = _crash_run(fake, config, kill_at_call=3)  # killed while asking for page 3
    # Pages 1 and 2 were emitted, each followed by its STATE; page 3 never arrived.
    assert keys(crashed) == expected[:100]
    assert cursors(crashed) == [ids[49], ids[99]]
    # Asking for page 3 (offset = page 2's last + 1) confirmed pages 1 and 2.
    assert fake.pending_ids() == ids[100:]

    if target_state == "last":
        # The target persisted the last STATE it received: nothing is lost, nothing
        # is emitted twice.
        rerun = run_tap(config, state=crashed.states[-1]).check()
        assert keys(rerun) == expected[100:]
        assert keys(crashed) + keys(rerun) == expected
    else:
        # The target died too and had persisted only page 1's STATE: page 2 was
        # already confirmed, so its updates are the loss window (at most one page).
        stale = next(s for s in crashed.states if cursor(s) == ids[49])
        rerun = run_tap(config, state=stale).check()
        assert keys(rerun) == expected[100:]
        lost = set(expected) - set(keys(rerun)) - set(expected[:50])
        assert lost == set(expected[50:100])


def test_kill_mid_page_re_emits_only_what_followed_the_last_state(fake):
    """Killed while writing page 2: what came after the last STATE is emitted again by
    the next run (at least once); nothing before it is, and nothing is lost."""
    pushed = []
    for n in range(1, 301):  # 2 KB texts: page 2 cannot fit in the pipe, the tap blocks mid-page
        pushed.append(
            (fake.push("message", message(GROUP, n, f"{n} " + "x" * 2000)), (GROUP["id"], n))
        )
    expected = [key for _, key in pushed]
    config = cfg(fake, page_size=100)
    with tempfile.TemporaryDirectory(prefix="bot-kill-") as tmp:
        args = write_args(Path(tmp), config, None, [])
        with subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO_ROOT, text=True
        ) as proc:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                lines.append(line)
                data = json.loads(line)
                if data["type"] == "RECORD" and data["record"]["id"] == 101:
                    break  # first record of page 2: stop reading, the tap fills the pipe
            time.sleep(0.5)
            proc.kill()
            lines += proc.stdout.read().splitlines(keepends=True)
            proc.wait(timeout=30)
    # Killed while writing page 2: the last line may be cut (the lines before are checked).
    crashed = tap_result(args, proc.returncode, "".join(lines), "", cut_ok=True)
    emitted = keys(crashed)
    assert cursors(crashed) == [pushed[99][0]]  # page 2's STATE was never written
    assert expected[:100] == emitted[:100]
    assert 100 < len(emitted) < 200
    # Page 2 was not confirmed (the request for page 3 was never sent).
    assert fake.pending_ids() == [u for u, _ in pushed[100:]]
    rerun = run_tap(config, state=crashed.states[-1]).check()
    assert keys(rerun) == expected[100:]
    assert set(keys(rerun)) & set(emitted) == set(emitted[100:])  # the re-emitted part
    assert set(emitted) | set(keys(rerun)) == set(expected)
