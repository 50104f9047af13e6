"""Which code may import which: ``lib`` is the console without its drawing, its tests or its tools."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_LIB = ("streamlit", "tests", "bench")  # the UI, the test code, the benchmark


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "lib").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_lib_imports_no_streamlit_no_test_code_and_no_benchmark(path):
    bad = sorted(name for name in imported_modules(path)
                 if name.split(".")[0] in FORBIDDEN_IN_LIB)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
