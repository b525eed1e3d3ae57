"""The repository's Meltano project itself, and the throwaway PostgreSQL of these tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.e2e.meltano_project import (
    REPO_ROOT,
    base_env,
    load_repo_meltano_yml,
    meltano_executable,
    repo_meltano_yml,
)
from tests.e2e.postgres import PostgresServer, free_port

pytestmark = pytest.mark.e2e


def test_repo_plugins_resolve_without_meltano_hub(tmp_path: Path) -> None:
    """`make demo` and users' `meltano install` must not need hub.meltano.com.

    A plugin declared with ``variant`` (and no lock file under ``plugins/``) makes
    Meltano download its definition from Meltano Hub; offline, or with the Hub down,
    every command on it fails. Checked with a copy of the repo's meltano.yml and the
    Hub URL pointed at a closed local port.
    """
    shutil.copy(repo_meltano_yml(), tmp_path / "meltano.yml")
    if (REPO_ROOT / "plugins").is_dir():
        shutil.copytree(REPO_ROOT / "plugins", tmp_path / "plugins")
    env = base_env()
    env["MELTANO_HUB_URL"] = f"http://127.0.0.1:{free_port()}"
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{tmp_path / 'meltano.db'}"
    plugins = load_repo_meltano_yml()["plugins"]
    names = [p["name"] for kind in ("extractors", "loaders") for p in plugins.get(kind, [])]
    failures = {}
    for name in names:
        done = subprocess.run(
            [meltano_executable(), "--log-level=warning", "config", "list", name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode:
            failures[name] = (done.stdout + done.stderr).strip().splitlines()[-1:]
    assert not failures, f"plugins that need Meltano Hub: {failures}"


def test_repo_setting_options_are_clean() -> None:
    """Every ``options`` entry is exactly ``{label, value}`` (a comma in an unquoted
    flow-mapping label splits it into a stray key)."""
    plugins = load_repo_meltano_yml()["plugins"]
    bad = []
    for kind in ("extractors", "loaders"):
        for plugin in plugins.get(kind, []):
            for setting in plugin.get("settings", []):
                for option in setting.get("options", []):
                    if set(option) != {"label", "value"}:
                        bad.append((plugin["name"], setting["name"], option))
    assert not bad, f"options with stray keys (quote labels that contain commas): {bad}"


def test_throwaway_postgres_starts_and_cleans_up() -> None:
    server = PostgresServer.start()
    try:
        with server.connect() as conn:
            row = conn.execute("SHOW listen_addresses").fetchone()
            assert row == ("127.0.0.1",)
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
        root, port = server.root, server.port
    finally:
        server.stop()
    assert not root.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server still listens"


def test_servers_of_dead_sessions_are_reaped() -> None:
    """A server whose test process was killed is stopped and removed by the next start."""
    # Not tmp_path: the postgres user must be able to reach the folder (pytest's is 0700).
    parent = Path(tempfile.mkdtemp(prefix="tap-telegram-reap-"))
    parent.chmod(0o755)
    code = (
        "import time\n"
        "from tests.e2e.postgres import PostgresServer\n"
        f"server = PostgresServer.start(parent={str(parent)!r})\n"
        "print(server.root, server.port, flush=True)\n"
        "time.sleep(600)\n"
    )
    orphan = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert orphan.stdout is not None
        root_text, port_text = orphan.stdout.readline().split()
        orphan.kill()
        orphan.wait()
        root, port = Path(root_text), int(port_text)
        assert (root / "data" / "postmaster.pid").exists(), "the orphan's server is not running"
        server = PostgresServer.start(parent=str(parent))
        server.stop()
        assert not root.exists()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the orphaned server still listens"
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()
        if orphan.stdout is not None:
            orphan.stdout.close()
        shutil.rmtree(parent, ignore_errors=True)
