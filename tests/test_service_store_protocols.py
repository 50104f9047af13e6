"""Each part of the service asks only for the store protocols it uses: its ``store`` property is
typed as them, it calls nothing else of the store, and it uses each protocol it asks for."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from lib.store import STORE_PROTOCOLS

ROOT = Path(__file__).resolve().parents[1]
# The parts that read ``ports.store`` itself (see lib/service/ports.py).
WHOLE_STORE = {"booking", "payments", "links"}
NOT_PARTS = {"__init__", "ports", "history", "busy_cache"}  # the facade, the ports, helpers without a store
PARTS = sorted(p.stem for p in (ROOT / "lib" / "service").glob("*.py") if p.stem not in WHOLE_STORE | NOT_PARTS)


def _methods(protocol: type) -> set[str]:
    return {name for name, member in vars(protocol).items() if callable(member) and not name.startswith("_")}


def _store_protocols(part: type) -> tuple[type, ...]:
    """The ``lib.store`` protocols a part's ``store`` property is typed as."""
    module = importlib.import_module(part.__module__)
    annotation = part.store.fget.__annotations__["return"]
    kind = getattr(module, annotation) if isinstance(annotation, str) else annotation
    if kind in STORE_PROTOCOLS:
        return (kind,)
    found = tuple(base for base in kind.__mro__ if base in STORE_PROTOCOLS)
    assert found, f"{part.__name__}.store is typed as {annotation}, which is no store protocol"
    return found


def _store_calls(module_path: Path, class_name: str) -> tuple[set[str], list[int]]:
    """The store methods a class calls (``self.store.x``, or ``store.x`` after ``store = self.store``),
    and the lines where it reads ``self.ports.store`` outside its ``store`` property."""
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    called: set[str] = set()
    direct: list[int] = []
    for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(fn):
            if not isinstance(node, ast.Attribute):
                continue
            value = node.value
            if isinstance(value, ast.Attribute) and value.attr == "store" and isinstance(value.value, ast.Name) \
                    and value.value.id == "self":
                called.add(node.attr)
            elif isinstance(value, ast.Name) and value.id == "store":
                called.add(node.attr)
            elif node.attr == "store" and isinstance(value, ast.Attribute) and value.attr == "ports" \
                    and fn.name != "store":
                direct.append(node.lineno)
            elif node.attr == "store" and isinstance(value, ast.Name) and value.id == "ports":
                direct.append(node.lineno)
    return called, direct


def _parts() -> list[tuple[str, type]]:
    found = []
    for name in PARTS:
        module = importlib.import_module(f"lib.service.{name}")
        found += [(name, cls) for _, cls in inspect.getmembers(module, inspect.isclass)
                  if cls.__module__ == module.__name__ and isinstance(vars(cls).get("store"), property)]
    return found


def test_every_part_but_the_three_has_a_typed_store():
    assert {name for name, _ in _parts()} == set(PARTS)


@pytest.mark.parametrize("name, part", _parts(), ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_a_part_calls_only_its_store_protocols_and_uses_each(name, part):
    protocols = _store_protocols(part)
    allowed = set().union(*(_methods(p) for p in protocols))
    called, direct = _store_calls(ROOT / "lib" / "service" / f"{name}.py", part.__name__)
    assert called, f"{part.__name__} calls nothing of the store: drop its store property"
    assert called <= allowed, (f"{part.__name__} calls {sorted(called - allowed)}, outside its store protocols "
                               f"{[p.__name__ for p in protocols]}")
    unused = [p.__name__ for p in protocols if not called & _methods(p)]
    assert not unused, f"{part.__name__} asks for {unused} and calls none of their methods"
    assert not direct, f"{part.__name__} reads ports.store directly (lines {direct}): use self.store"
