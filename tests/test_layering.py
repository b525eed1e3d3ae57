"""Import rules of the house, read from the code (nothing is imported or run).

* The layers import downwards only: cli -> tap -> singer -> sources -> records. The
  record vocabulary imports no other layer; sources never import the Singer side, the
  tap class or the command line; the Singer side never imports the tap or the cli.
* Only the MTProto source talks Telethon: an export or Bot API run must not load
  it, so no other part of ``sources/`` imports ``telethon`` or the MTProto package.
* Inside the MTProto package, a module imports only modules listed below it in the
  package docstring's map (which so stays complete and true).

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
    fetch = imports_of(SOURCES / "mtproto" / "fetch.py")
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


def test_mtproto_modules_import_only_modules_below_them_in_the_package_map():
    listed = re.findall(r"^\* :mod:`\.(\w+)`", tap_telegram.sources.mtproto.__doc__ or "", re.M)
    package = SOURCES / "mtproto"
    modules = sorted(path.stem for path in package.glob("*.py") if path.stem != "__init__")
    subpackages = sorted(path.parent.name for path in package.glob("*/__init__.py"))
    assert sorted(listed) == sorted(modules + subpackages), "the map lists every module once"
    wrong = []
    for index, name in enumerate(listed):
        path = package / f"{name}.py"
        if not path.exists():
            continue  # a subpackage: its own business
        above = set(listed[: index + 1])
        for imported in imports_of(path):
            inside = imported.removeprefix(MTPROTO + ".").split(".")[0]
            if imported.startswith(MTPROTO + ".") and inside in above:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []
