"""A temporary Meltano project for the end-to-end tests, built from the repo's meltano.yml.

The tests never touch the repository's ``.meltano/`` or ``output/``. They run Meltano in
a project of their own whose ``meltano.yml`` is derived from the repository's:

* extractor ``tap-telegram``: the repo's definition (capabilities, settings, setting
  groups) with no ``pip_url`` -- Meltano then does not install it and runs its
  ``executable``, here the fake-Telegram launcher ``tests/fake_telegram/bin/tap-telegram-fake``
  (the world comes from ``FAKE_TELEGRAM_WORLD``);
* extractor ``tap-telegram-export``: inherits from it and runs the real tap CLI
  (``tap_telegram.cli.main:main``, what the ``tap-telegram`` console script runs) through
  ``tests/fake_telegram/bin/tap-telegram-teed`` (``source: export``);
* both copy their stdout for the stream checker (:mod:`tests.fake_telegram.tee`): each
  workspace sets ``TAP_TELEGRAM_TEE_DIR`` and checks every run after it ends
  (:meth:`Workspace.check_tap_runs`), since under ``meltano run`` the stdout goes to the target;
* loaders: the repo's ``pip_url`` and ``config`` of target-csv, target-jsonl and
  target-postgres, declared as custom plugins (``namespace``, ``executable``, settings)
  so that nothing needs Meltano Hub, which is not reachable here;
* the scale-out recipe of docs/scaling.md (:data:`SHARDS`): per shard an extractor inheriting
  ``tap-telegram`` with its own ``chats`` and a loader inheriting target-postgres with a
  schema of its own (they share their parents' venvs: nothing more to install).

Installing the three loaders (``meltano install``, uv) takes 10-60 s, so the project is
cached under ``$TAP_TELEGRAM_E2E_CACHE`` (default ``~/.cache/tap-telegram-e2e``), keyed by
a hash of the generated meltano.yml (which holds absolute paths) and the Python and Meltano
versions; a missing or stale cache is rebuilt from scratch, under a file lock.

Each test gets a :class:`Workspace`: its own Meltano system database (so its own state
store: ``MELTANO_DATABASE_URI``), output folders and plugin settings, all passed as
environment variables, so tests share the installed plugins but nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.fake_telegram.checked import check_teed
from tests.fake_telegram.tee import TEE_ENV
from tests.stream_check import StreamReport

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_MELTANO_YML = REPO_ROOT / "meltano.yml"
FAKE_TAP = REPO_ROOT / "tests" / "fake_telegram" / "bin" / "tap-telegram-fake"
TEED_TAP = REPO_ROOT / "tests" / "fake_telegram" / "bin" / "tap-telegram-teed"
VENV_BIN = Path(sys.executable).parent
ENV_NAME = "dev"
FAKE_EXTRACTOR = "tap-telegram"
EXPORT_EXTRACTOR = "tap-telegram-export"
#: The scale-out recipe of docs/scaling.md (tests/e2e/test_shards.py): per shard an extractor that
#: inherits the fake extractor's settings and differs in ``chats`` (usernames of
#: ``worlds.shard_world_spec``), and a loader that inherits target-postgres and writes a
#: schema of its own.
SHARDS: dict[str, tuple[list[str], str, str]] = {
    "tap-telegram-news": (
        ["@shard_news", "@shard_news_chat"], "target-postgres-news", "telegram_news"
    ),
    "tap-telegram-groups": (
        ["@shard_devs", "@shard_ops"], "target-postgres-groups", "telegram_groups"
    ),
}  # fmt: skip
#: Settings each loader needs declared so that TARGET_<LOADER>_<SETTING> variables work.
LOADER_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "target-csv": [
        {"name": "output_path"},
        {"name": "file_naming_scheme"},
        {"name": "overwrite_behavior"},
        {"name": "default_target_schema"},
        {"name": "validate_records", "kind": "boolean"},
        {"name": "add_record_metadata", "kind": "boolean"},
    ],
    "target-jsonl": [
        {"name": "destination_path"},
        {"name": "do_timestamp_file", "kind": "boolean"},
        {"name": "custom_name"},
    ],
    "target-postgres": [
        {"name": "host"},
        {"name": "port", "kind": "integer"},
        {"name": "user"},
        {"name": "password", "kind": "string", "sensitive": True},
        {"name": "database"},
        {"name": "default_target_schema"},
        {"name": "add_record_metadata", "kind": "boolean"},
        {"name": "load_method"},
        {"name": "use_copy", "kind": "boolean"},
        {"name": "activate_version", "kind": "boolean"},
        {"name": "hard_delete", "kind": "boolean"},
    ],
}
LOADERS = tuple(LOADER_SETTINGS)
#: Prefixes of plugin settings variables: never inherited from the caller's environment.
PLUGIN_ENV_PREFIXES = ("TAP_TELEGRAM", "TARGET_CSV", "TARGET_JSONL", "TARGET_POSTGRES", "MELTANO_")
#: How long a cached project is trusted before it is reinstalled (loaders are pinned in
#: meltano.yml, their dependencies are not),
#: and how long an unused one is kept.
CACHE_MAX_AGE = 7 * 86_400
LAST_USED = ".last-used"


class MeltanoError(AssertionError):
    """A Meltano command failed where the test expected it to succeed."""


def meltano_executable() -> str:
    """Meltano of this virtualenv (the dev extra), else the one on PATH."""
    candidate = VENV_BIN / "meltano"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("meltano")
    if not found:
        raise MeltanoError("meltano is not installed; run `make venv` (it is in the dev extra)")
    return found


def repo_meltano_yml() -> Path:
    """The repository's meltano.yml (``TAP_TELEGRAM_E2E_MELTANO_YML``: try another one)."""
    return Path(os.environ.get("TAP_TELEGRAM_E2E_MELTANO_YML") or REPO_MELTANO_YML)


def load_repo_meltano_yml() -> dict[str, Any]:
    """The repository's meltano.yml, parsed."""
    data: dict[str, Any] = yaml.safe_load(repo_meltano_yml().read_text(encoding="utf-8"))
    return data


def _plugin(data: Mapping[str, Any], kind: str, name: str) -> dict[str, Any]:
    for plugin in data.get("plugins", {}).get(kind, []):
        if plugin.get("name") == name:
            return dict(plugin)
    raise MeltanoError(f"the repository's meltano.yml declares no {kind[:-1]} {name!r}")


def build_meltano_yml(repo: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The test project's meltano.yml, derived from the repository's (see module doc)."""
    repo = copy.deepcopy(dict(repo or load_repo_meltano_yml()))
    tap = _plugin(repo, "extractors", "tap-telegram")
    tap.pop("pip_url", None)
    tap.pop("variant", None)
    tap.pop("config", None)
    tap["executable"] = str(FAKE_TAP)
    tap.setdefault("namespace", "tap_telegram")
    export_tap = {
        "name": EXPORT_EXTRACTOR,
        "inherit_from": "tap-telegram",
        "executable": str(TEED_TAP),
    }
    shards = [
        {"name": name, "inherit_from": "tap-telegram", "config": {"chats": chats}}
        for name, (chats, _, _) in SHARDS.items()
    ]
    shard_loaders = [
        {
            "name": loader,
            "inherit_from": "target-postgres",
            "config": {"default_target_schema": schema},
        }
        for _, loader, schema in SHARDS.values()
    ]
    loaders = []
    for name, settings in LOADER_SETTINGS.items():
        loader = _plugin(repo, "loaders", name)
        declared = {s["name"]: s for s in loader.get("settings", [])}
        for setting in settings:
            declared.setdefault(setting["name"], setting)
        loaders.append(
            {
                "name": name,
                "namespace": loader.get("namespace") or name.replace("-", "_"),
                "pip_url": loader["pip_url"],
                "executable": loader.get("executable") or name,
                "settings": list(declared.values()),
                "config": loader.get("config") or {},
            }
        )
    return {
        "requires_meltano": repo.get("requires_meltano", ">=4.0"),
        "send_anonymous_usage_stats": False,
        "project_id": "tap-telegram-e2e",
        "default_environment": ENV_NAME,
        "environments": [{"name": ENV_NAME}],
        "plugins": {
            "extractors": [tap, export_tap, *shards],
            "loaders": [*loaders, *shard_loaders],
        },
    }


def _versions() -> str:
    try:
        from importlib.metadata import version

        meltano_version = version("meltano")
    except Exception:  # noqa: BLE001 - only part of a cache key
        meltano_version = "?"
    return f"python {sys.version.split()[0]} meltano {meltano_version}"


def cache_root() -> Path:
    """Where installed test projects are kept between sessions."""
    override = os.environ.get("TAP_TELEGRAM_E2E_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tap-telegram-e2e"


def base_env() -> dict[str, str]:
    """The caller's environment without plugin/Meltano settings, plus quiet Meltano."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLUGIN_ENV_PREFIXES)}
    # Plugins see what Meltano users' plugins see: block-buffered stdout (a killed tap
    # may leave a partial last line in the pipe, as it would in production).
    env.pop("PYTHONUNBUFFERED", None)
    env.update(
        {
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DISABLE_TRACKING": "true",
        }
    )
    env.setdefault("FAKE_TELEGRAM_PYTHON", sys.executable)
    return env


@dataclasses.dataclass
class MeltanoProject:
    """An installed test project (its loaders' venvs under ``.meltano/``)."""

    root: Path
    install_seconds: float = 0.0
    cached: bool = False

    def loader_config(self, loader: str) -> dict[str, Any]:
        """A loader's ``config`` in the project's meltano.yml."""
        data = yaml.safe_load((self.root / "meltano.yml").read_text(encoding="utf-8"))
        for plugin in data["plugins"]["loaders"]:
            if plugin["name"] == loader:
                return dict(plugin.get("config") or {})
        raise MeltanoError(f"no loader {loader!r} in {self.root / 'meltano.yml'}")

    def loader_bin(self, loader: str) -> Path:
        """The executable of an installed loader, for pipelines run without Meltano."""
        return self.root / ".meltano" / "loaders" / loader / "venv" / "bin" / loader

    @classmethod
    def provision(cls, *, log: Path | None = None) -> MeltanoProject:
        """The cached project for this repo and toolchain, installed if needed."""
        definition = build_meltano_yml()
        text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True)
        digest = hashlib.sha256(f"{text}\n{_versions()}".encode()).hexdigest()[:16]
        root_dir = cache_root()
        root_dir.mkdir(parents=True, exist_ok=True)
        root = root_dir / f"meltano-{digest}"
        marker = root / ".installed"
        with _locked(root_dir / f"meltano-{digest}.lock"):
            project = cls(root=root)
            fresh = (
                marker.exists()
                and time.time() - marker.stat().st_mtime < CACHE_MAX_AGE
                and all(project.loader_bin(name).exists() for name in LOADERS)
            )
            _prune_projects(root_dir, keep=root)
            if fresh:
                project.cached = True
                _prune_logs(root)
                (root / LAST_USED).touch()
                return project
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            (root / "meltano.yml").write_text(text, encoding="utf-8")
            started = time.monotonic()
            env = base_env()
            env["MELTANO_DATABASE_URI"] = f"sqlite:///{root / '.meltano' / 'install.db'}"
            done = subprocess.run(
                [meltano_executable(), "install"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if log is not None:
                log.write_text(done.stdout + done.stderr, encoding="utf-8")
            if done.returncode:
                raise MeltanoError(
                    f"`meltano install` failed in {root} ({done.returncode}):\n"
                    f"{(done.stdout + done.stderr)[-5000:]}"
                )
            project.install_seconds = time.monotonic() - started
            marker.write_text(_versions() + "\n", encoding="utf-8")
            (root / LAST_USED).touch()
            return project

    def workspace(self, folder: Path) -> Workspace:
        """A per-test workspace in ``folder`` (state store, outputs, settings)."""
        return Workspace(self, folder)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune_projects(root_dir: Path, keep: Path) -> None:
    """Delete cached projects (other clones, older toolchains) unused for CACHE_MAX_AGE."""
    now = time.time()
    for other in root_dir.glob("meltano-*"):
        if other == keep or not other.is_dir():
            continue
        used = other / LAST_USED
        with contextlib.suppress(OSError):
            if now - (used if used.exists() else other).stat().st_mtime > CACHE_MAX_AGE:
                shutil.rmtree(other, ignore_errors=True)
                (root_dir / f"{other.name}.lock").unlink(missing_ok=True)


def _prune_logs(root: Path, max_age: float = 86_400) -> None:
    """Drop Meltano run logs older than a day from a cached project."""
    logs = root / ".meltano" / "logs" / "elt"
    if not logs.is_dir():
        return
    now = time.time()
    for job in logs.iterdir():
        with contextlib.suppress(OSError):
            if now - job.stat().st_mtime > max_age:
                shutil.rmtree(job, ignore_errors=True)


def env_value(value: Any) -> str:
    """A setting value as Meltano reads it from an environment variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def setting_var(plugin: str, setting: str) -> str:
    """``tap-telegram`` + ``session_string`` -> ``TAP_TELEGRAM_SESSION_STRING``."""
    return f"{plugin}_{setting}".upper().replace("-", "_")


@dataclasses.dataclass
class CommandResult:
    """A finished Meltano command: exit code and its combined output."""

    args: list[str]
    returncode: int
    output: str
    seconds: float

    def check(self) -> CommandResult:
        """Raise with the end of the output unless the command exited 0."""
        if self.returncode != 0:
            raise MeltanoError(
                f"`meltano {' '.join(self.args)}` exited {self.returncode} after "
                f"{self.seconds:.1f} s:\n{self.output[-6000:]}"
            )
        return self


def own_sys_dir(project: MeltanoProject, folder: Path) -> Path:
    """A ``.meltano`` of a workspace's own: the project's installed plugins, its own run files.

    Meltano writes each run's config, catalog and state to ``.meltano/run/<plugin>/``
    and removes them when the run ends: two runs of one plugin at a time (pytest-xdist
    workers, parallel shards) in the shared project would read each other's files or
    find them gone. The plugins' venvs are linked, not copied.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shared = project.root / ".meltano"
    for entry in shared.iterdir():
        if entry.name in {"run", "logs"} or entry.suffix == ".db":
            continue
        link = folder / entry.name
        if not link.exists():
            link.symlink_to(entry, target_is_directory=entry.is_dir())
    return folder


class Workspace:
    """One test's view of the shared project: own state store, outputs, settings, run files."""

    def __init__(self, project: MeltanoProject, folder: Path) -> None:
        self.project = project
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.csv_dir = folder / "csv"
        self.jsonl_dir = folder / "jsonl"
        self.csv_dir.mkdir(exist_ok=True)
        self.jsonl_dir.mkdir(exist_ok=True)
        self.env: dict[str, str] = base_env()
        self.env["MELTANO_DATABASE_URI"] = f"sqlite:///{folder / 'meltano.db'}"
        self.env["MELTANO_SYS_DIR_ROOT"] = str(own_sys_dir(project, folder / "meltano-sys"))
        self.set_config("target-csv", output_path=str(self.csv_dir))
        self.set_config("target-jsonl", destination_path=str(self.jsonl_dir))
        self.runs = 0
        #: Where the tap executables copy their stdout (:mod:`tests.fake_telegram.tee`).
        self.tee_dir = folder / "tap-stdout"
        self.env[TEE_ENV] = str(self.tee_dir)
        #: What the stream checker saw of each tap run so far.
        self.checked: list[StreamReport] = []

    def set_config(self, plugin: str, **settings: Any) -> None:
        """Set plugin settings (as ``<PLUGIN>_<SETTING>`` variables); ``None`` unsets."""
        for name, value in settings.items():
            var = setting_var(plugin, name)
            if value is None:
                self.env.pop(var, None)
            else:
                self.env[var] = env_value(value)

    def setting(self, plugin: str, name: str) -> str | None:
        """A loader setting as this workspace sets it (variable, else meltano.yml)."""
        var = setting_var(plugin, name)
        if var in self.env:
            return self.env[var]
        value = self.project.loader_config(plugin).get(name)
        return None if value is None else env_value(value)

    def csv_files(self, stream: str) -> list[Path]:
        """The CSV files target-csv wrote for ``stream`` (its file_naming_scheme, any run)."""
        scheme = self.setting("target-csv", "file_naming_scheme") or "{stream_name}.csv"
        pattern = scheme.replace("{stream_name}", stream)
        for placeholder in ("{datestamp}", "{timestamp}"):
            pattern = pattern.replace(placeholder, "*")
        return sorted(self.csv_dir.glob(pattern))

    def use_world(self, spec_path: Path) -> None:
        """Point the fake-Telegram extractor at a world spec file."""
        self.env["FAKE_TELEGRAM_WORLD"] = str(spec_path)

    def use_postgres(self, config: Mapping[str, Any]) -> None:
        """target-postgres settings (host, port, user, database, schema)."""
        self.set_config("target-postgres", **dict(config))

    def command(self, *args: str) -> list[str]:
        """The full command line of ``meltano ARGS``."""
        return [meltano_executable(), *args]

    def meltano(self, *args: str, timeout: float = 600) -> CommandResult:
        """Run ``meltano ARGS`` in the project with this workspace's environment."""
        self.runs += 1
        log = self.folder / f"meltano-{self.runs:02d}-{args[0]}.log"
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as handle:
            done = subprocess.run(
                self.command(*args),
                cwd=self.project.root,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        self.check_tap_runs()
        return CommandResult(
            args=list(args),
            returncode=done.returncode,
            output=log.read_text(encoding="utf-8", errors="replace"),
            seconds=time.monotonic() - started,
        )

    def check_tap_runs(self, *, cut_ok: bool = False) -> list[StreamReport]:
        """Pass the tap runs that ended since the last call through the stream checker.

        Called after every :meth:`meltano` command; after :meth:`popen` the caller calls it
        once the process ended, with ``cut_ok`` when it killed the tap on purpose.
        """
        reports = check_teed(self.tee_dir, cut_ok=cut_ok)
        self.checked += reports
        return reports

    def popen(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Start ``meltano ARGS`` without waiting (crash tests); output goes to a log."""
        self.runs += 1
        log = self.folder / f"meltano-{self.runs:02d}-{args[0]}.log"
        handle = log.open("wb")
        try:
            process = subprocess.Popen(
                self.command(*args),
                cwd=self.project.root,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            handle.close()
        return process, log

    def run(self, extractor: str, loader: str, *extra: str, timeout: float = 600) -> CommandResult:
        """``meltano run EXTRACTOR LOADER`` (environment dev, Meltano's state store)."""
        return self.meltano("run", extractor, loader, *extra, timeout=timeout)

    def state(self, state_id: str) -> dict[str, Any] | None:
        """``meltano state get STATE_ID`` parsed (``None`` when there is no state, or ``{}``)."""
        result = self.meltano("--log-level=warning", "state", "get", state_id, timeout=120)
        if result.returncode != 0:
            if "No state" in result.output or "does not exist" in result.output:
                return None
            result.check()
        for raw in reversed(result.output.splitlines()):
            line = raw.strip()
            if line.startswith("{"):
                data: dict[str, Any] = json.loads(line)
                return data or None
        return None


def state_id(extractor: str, loader: str, env: str = ENV_NAME) -> str:
    """Meltano's state id of ``meltano run EXTRACTOR LOADER`` in ``env``."""
    return f"{env}:{extractor}-to-{loader}"


def bookmarks(state: Mapping[str, Any] | None, stream: str = "messages") -> dict[int, int]:
    """``{chat_id: replication_key_value}`` from a Singer or Meltano state."""
    if not state:
        return {}
    singer = state.get("singer_state", state)
    partitions = singer.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    return {
        int(p["context"]["chat_id"]): int(p["replication_key_value"])
        for p in partitions
        if p.get("replication_key_value") is not None
    }
