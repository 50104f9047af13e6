"""Which code may import which: ``lib`` is the console without its drawing, its tests or its tools."""

from __future__ import annotations

import ast
import re
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


LONG = 400  # lines; a module in lib/ longer than this says at its top why it is not split
# "Longer than 400 lines on purpose: ..." or "... over 400 lines because ...": the length, then the reason.
STATED_REASON = re.compile(r"\b(?:longer than|over) 400 lines\b[^.]*?(?::|\bbecause\b)\s*\w", re.IGNORECASE)
LONG_MODULES = sorted(p for p in (ROOT / "lib").rglob("*.py")
                      if len(p.read_text(encoding="utf-8").splitlines()) > LONG)


def test_the_long_modules_are_found():
    names = {str(p.relative_to(ROOT)) for p in LONG_MODULES}
    assert {"lib/meetings/google.py", "lib/store/supabase.py", "lib/store/sqlite.py"} <= names


TOO_LONG = 600  # lines; past this no reason holds: split the module by concern


@pytest.mark.parametrize("path", LONG_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_in_lib_is_over_600_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= TOO_LONG, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"


@pytest.mark.parametrize("path", LONG_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_in_lib_over_400_lines_says_why_in_its_docstring(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert STATED_REASON.search(" ".join(docstring.split())), (
        f"{path.relative_to(ROOT)} is longer than {LONG} lines: split it, or say at the top of its docstring "
        "why not (\"Longer than 400 lines on purpose: ...\")")


@pytest.mark.parametrize("path", sorted((ROOT / "tests").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_drive_apptest_through_its_public_api(path):
    """An AppTest (``at``) is read through what it documents (``at.main``, ``at.sidebar``, ``at.button``, ...),
    never its private attributes, which change between Streamlit releases without notice."""
    private = sorted({f"at.{node.attr}" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                      if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                      and node.value.id == "at" and node.attr.startswith("_")})
    assert not private, f"{path.relative_to(ROOT)} uses {private}"


ENTRY_POINTS = ROOT / "lib" / "entrypoints"


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "lib").rglob("*.py")
                                        if ENTRY_POINTS not in p.parents and p.name != "__main__.py"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_its_entry_points(path):
    """The command line, the worker and the public endpoint call the library, never the other way."""
    bad = sorted(name for name in imported_modules(path) if name.startswith("lib.entrypoints"))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_no_two_modules_share_a_name():
    """A name says where a thing belongs: ``picker.py`` in two layers made both hard to find.
    (Packages' ``__init__.py`` aside; ``pages/<address>.py`` are the first-run entries of the pages.)"""
    seen: dict[str, list[str]] = {}
    for path in [*(ROOT / "lib").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]:
        if path.name != "__init__.py":
            seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, f"modules sharing a name: {shared}"


def imported_test_modules(path: Path) -> list[str]:
    """The test modules (``tests/test_*.py``) a file imports, however written: ``import
    tests.test_x``, ``from tests.test_x import ...``, ``from tests import test_x``, ``from .test_x
    import ...``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = ("tests." if node.level else "") + (node.module or "")
            found.extend([module, *(f"{module.rstrip('.')}.{alias.name}" for alias in node.names)])
    return sorted({name for name in found if re.fullmatch(r"tests\.test_\w+(\.\w+)*", name)})


TEST_CODE = sorted(p for p in (ROOT / "tests").rglob("*.py") if "__pycache__" not in p.parts)


def test_the_test_module_check_sees_every_way_of_writing_the_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import tests.test_a\nfrom tests.test_b import x\nfrom tests import test_c, support\n"
                      "from .test_d import y\nfrom tests.support.smtp import smtp_server\n", encoding="utf-8")
    assert imported_test_modules(sample) == ["tests.test_a", "tests.test_b", "tests.test_b.x", "tests.test_c",
                                             "tests.test_d", "tests.test_d.y"]


@pytest.mark.parametrize("path", TEST_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_module_imports_another(path):
    """What two test modules share lives in tests/support/ (or tests/conftest.py for fixtures):
    importing a test module runs its module-level code and registers its fixtures a second time."""
    bad = imported_test_modules(path)
    assert not bad, f"{path.relative_to(ROOT)} imports the test module(s) {bad}; move what it needs to tests/support/"
