"""Import rules of the house, read from the code (nothing is imported or run).

* The layers import downwards only: cli -> tap -> singer -> sources -> records. The
  record vocabulary imports no other layer; sources never import the Singer side, the
  tap class or the command line; the Singer side never imports the tap or the cli.
* The settings (:mod:`tap_telegram.settings`) sit under every layer that reads them:
  they import no other layer but the record vocabulary; the face (``tap.py``) never
  imports the command line.
* Only the settings layer reads the config mapping (``config.get(...)``,
  ``config[...]``): everything else reads the typed settings object.
* Only the MTProto source talks Telethon: an export or Bot API run must not load
  it, so no other part of ``sources/`` imports ``telethon`` or the MTProto package.
* Inside the MTProto package, grouped into subpackages like Telethon's, a module
  imports only from its own subpackage and from those listed below its own in the
  package docstring's map (which so stays complete and true): source -> history ->
  changes -> admin -> downloads -> chats -> mapping -> wire. ``wire/`` (the bottom)
  imports no other subpackage; ``mapping/`` imports nothing of the package but itself,
  and of the tap only the record vocabulary.
* The face (``tap.py``) never imports the command line (``cli/`` is above it).
* The Singer side knows no Telegram: no module under ``singer/`` names a Telegram chat
  kind or an update-log concept (in its code: docstrings and comments may explain).
  Those rules live with the source that owns them.

Type-only imports (under ``TYPE_CHECKING``) count too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import tap_telegram.sources
import tap_telegram.sources.mtproto

SOURCES = Path(tap_telegram.sources.__file__).parent
ROOT = SOURCES.parent
PACKAGE = "tap_telegram.sources"

#: Folder of the package -> what its modules must not import (type-only imports too).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "records": (
        "tap_telegram.sources",
        "tap_telegram.singer",
        "tap_telegram.tap",
        "tap_telegram.cli",
    ),
    "sources": ("tap_telegram.singer", "tap_telegram.tap", "tap_telegram.cli"),
    "singer": ("tap_telegram.tap", "tap_telegram.cli"),
    "settings": (
        "tap_telegram.sources",
        "tap_telegram.singer",
        "tap_telegram.tap",
        "tap_telegram.cli",
    ),
}

#: Reading the config mapping: ``config.get(``, ``config[`` (``self.config`` too).
CONFIG_READ = re.compile(r"\bconfig(\.get\(|\[)")
#: Files outside ``settings/`` that still read the config mapping, and why.
CONFIG_READERS = {
    # singer-sdk's own setting `batch_config` (not the tap's), read in the SDK fence.
    "singer/sdk_private.py",
}

MTPROTO = "tap_telegram.sources.mtproto"
#: Only sources/mtproto/ may import these.
TELETHON = ("telethon", MTPROTO)


def module_of(path: Path) -> str:
    """``tap_telegram.sources.mtproto.history.fetch`` for ``.../sources/mtproto/history/fetch.py``."""
    parts = ["tap_telegram", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (see :func:`imports_in`)."""
    text = path.read_text(encoding="utf-8")
    return imports_in(text, module_of(path), is_package=path.name == "__init__.py")


def imports_in(text: str, module: str, *, is_package: bool = False) -> set[str]:
    """Modules ``text`` imports, relative imports resolved, ``from m import n`` as ``m.n``."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in paths
        for name in imports_of(path)
        if is_within(name, forbidden)
    )


def source_files() -> list[Path]:
    return sorted(SOURCES.rglob("*.py"))


def test_the_walker_sees_the_imports():
    """Guards the rules below against passing on nothing."""
    assert len(source_files()) > 20
    fetch = imports_of(SOURCES / "mtproto" / "history" / "fetch.py")
    assert "telethon.tl.types" in fetch
    assert "tap_telegram.sources.mtproto.history.reader.HistoryReader" in fetch


def test_resolves_relative_and_type_only_imports():
    text = (
        "from typing import TYPE_CHECKING\n"
        "from . import files\n"
        "from .mapping.messages import x\n"
        "if TYPE_CHECKING:\n"
        "    from ...singer import streams\n"
    )
    found = imports_in(text, "tap_telegram.sources.export.source")
    assert {
        "tap_telegram.sources.export.files",
        "tap_telegram.sources.export.mapping.messages.x",
        "tap_telegram.singer.streams",
    } <= found
    assert is_within("tap_telegram.singer.streams", FORBIDDEN["sources"])
    assert not is_within("tap_telegram.settings", FORBIDDEN["sources"])
    assert not is_within("telethonic", TELETHON)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files
    assert violations(files, FORBIDDEN[layer]) == []


def test_a_source_importing_the_singer_side_is_caught():
    found = imports_in("from ...singer.streams import x\n", "tap_telegram.sources.export.source")
    assert any(is_within(name, FORBIDDEN["sources"]) for name in found)


def test_only_the_mtproto_source_imports_telethon():
    others = [path for path in source_files() if "mtproto" not in path.relative_to(SOURCES).parts]
    assert any(path.parent.name == "export" for path in others)
    assert any(path.parent.name == "bot_api" for path in others)
    assert violations(others, TELETHON) == []


def package_map() -> list[str]:
    """The MTProto package docstring's map: its modules and subpackages, top down."""
    return re.findall(r"^\* :mod:`\.(\w+)`", tap_telegram.sources.mtproto.__doc__ or "", re.M)


def part_of(module: str) -> str | None:
    """``history`` for ``tap_telegram.sources.mtproto.history.fetch``; None outside."""
    if not module.startswith(MTPROTO + "."):
        return None
    return module.removeprefix(MTPROTO + ".").split(".")[0]


def arrows_up(order: list[str], imports: dict[str, set[str]]) -> list[str]:
    """Imports of a part (module or subpackage) from a part listed above it."""
    wrong: list[str] = []
    for index, part in enumerate(order):
        above = set(order[:index])
        for module, names in sorted(imports.items()):
            if part_of(module) != part:
                continue
            wrong.extend(
                f"{module} imports {name}" for name in sorted(names) if part_of(name) in above
            )
    return wrong


def mtproto_imports() -> dict[str, set[str]]:
    """Every module of the MTProto package -> what it imports."""
    return {
        module_of(path): imports_of(path) for path in sorted((SOURCES / "mtproto").rglob("*.py"))
    }


def test_the_mtproto_map_lists_every_module_and_subpackage_once():
    package = SOURCES / "mtproto"
    modules = sorted(path.stem for path in package.glob("*.py") if path.stem != "__init__")
    subpackages = sorted(path.parent.name for path in package.glob("*/__init__.py"))
    listed = package_map()
    assert sorted(listed) == sorted(modules + subpackages), "the map lists every part once"
    assert listed[0] == "source", "the face is on top"
    assert listed[-2:] == ["mapping", "wire"], "mapping and the wire are the floor"


def test_no_arrow_runs_up_between_mtproto_subpackages():
    assert arrows_up(package_map(), mtproto_imports()) == []


def test_an_arrow_up_in_mtproto_is_caught():
    order = ["source", "history", "chats", "wire"]
    imports = {
        f"{MTPROTO}.chats.resolve": {f"{MTPROTO}.history.reader.Page", f"{MTPROTO}.wire.calls"},
        f"{MTPROTO}.history.fetch": {f"{MTPROTO}.history.lanes", f"{MTPROTO}.chats.resolve"},
        f"{MTPROTO}.wire.calls": {f"{MTPROTO}.source.MTProtoSource"},
    }
    assert arrows_up(order, imports) == [
        f"{MTPROTO}.chats.resolve imports {MTPROTO}.history.reader.Page",
        f"{MTPROTO}.wire.calls imports {MTPROTO}.source.MTProtoSource",
    ]


def test_the_wire_imports_no_other_part_of_the_mtproto_source():
    wrong = [
        f"{module} imports {name}"
        for module, names in mtproto_imports().items()
        if part_of(module) == "wire"
        for name in sorted(names)
        if part_of(name) not in (None, "wire")
    ]
    assert wrong == []


#: What the Singer side must not name, as a string in its code: Telegram's chat kinds
#: (``chats.type`` and friends) and the update logs' positions and the STATE keys of the
#: rules built on them (change capture, delivered ids, the lookback memory).
TELEGRAM_WORDS = frozenset(
    {
        "private",
        "group",
        "supergroup",
        "channel",
        "pts",
        "qts",
        "account_log",
        "delivered_ids",
        "first_id",
        "lookback_tail",
    }
)
#: ... nor as a name (the tables of those rules).
TELEGRAM_NAMES = frozenset({"ACCOUNT_TYPES", "TOMBSTONE_TYPES", "CHAT_TYPES", "KINDS"})


def telegram_in(text: str) -> list[str]:
    """The Telegram words and names in ``text``'s code (docstrings left out)."""
    tree = ast.parse(text)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and node.value.lower() in TELEGRAM_WORDS:
                found.append(repr(node.value))
        elif isinstance(node, ast.Name) and node.id in TELEGRAM_NAMES:
            found.append(node.id)
        elif isinstance(node, ast.alias) and node.name in TELEGRAM_NAMES:
            found.append(node.name)
    return found


def test_the_singer_side_names_no_telegram_chat_kind_or_log_concept():
    files = sorted((ROOT / "singer").rglob("*.py"))
    assert files
    found = {
        str(path.relative_to(ROOT)): words
        for path in files
        if (words := telegram_in(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_a_telegram_rule_on_the_singer_side_is_caught():
    code = (
        '"""A docstring may say channel."""\n'
        "from x import ACCOUNT_TYPES\n"
        'KIND = {"supergroup": 1}\n'
        'def f(p):\n    """pts"""\n    return p["pts"]\n'
    )
    assert sorted(telegram_in(code)) == ["'pts'", "'supergroup'", "ACCOUNT_TYPES"]


def test_the_face_never_imports_the_command_line():
    assert violations([ROOT / "tap.py"], ("tap_telegram.cli",)) == []


def config_readers() -> list[str]:
    """Files outside the settings layer that read the config mapping."""
    return sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if "settings" not in path.relative_to(ROOT).parts
        and CONFIG_READ.search(path.read_text(encoding="utf-8"))
    )


def test_only_the_settings_layer_reads_the_config():
    readers = set(config_readers())
    assert readers - CONFIG_READERS == set(), "read the typed settings object instead"
    assert CONFIG_READERS - readers == set(), "no longer reads the config: take it off the list"


def test_config_reads_are_found():
    assert CONFIG_READ.search('x = self.config.get("page_size")')
    assert CONFIG_READ.search('x = config["api_id"]')
    assert not CONFIG_READ.search("x = settings.page_size")


def test_mapping_imports_only_the_record_vocabulary():
    allowed = ("tap_telegram.records", f"{MTPROTO}.mapping")
    wrong = [
        f"{module} imports {name}"
        for module, names in mtproto_imports().items()
        if part_of(module) == "mapping"
        for name in sorted(names)
        if is_within(name, ("tap_telegram",)) and not is_within(name, allowed)
    ]
    assert wrong == []
