"""The layers import downwards only: cli → tap → singer → sources → records.

Read from the code's own import statements (type-only ones included), nothing is
imported: a source that reached for the Singer side, or a stream for the tap class,
fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tap_telegram"

#: Folder (or module) of the package → what its modules must not import.
FORBIDDEN = {
    "records": (
        "tap_telegram.sources",
        "tap_telegram.singer",
        "tap_telegram.tap",
        "tap_telegram.cli",
    ),
    "sources": ("tap_telegram.singer", "tap_telegram.tap", "tap_telegram.cli"),
    "singer": ("tap_telegram.tap", "tap_telegram.cli"),
}


def imported_names(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in sorted(imported_names(path)):
            if any(name == top or name.startswith(top + ".") for top in FORBIDDEN[layer]):
                wrong.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert wrong == []
