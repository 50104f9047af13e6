"""The map of the database the Supabase store uses, computed from the code: for each store method,
the SQL functions it calls (with the migration holding each one's current body) and the tables or
views it reads or writes. docs/supabase.md carries it; tests/test_supabase_map.py keeps the two equal.

``python -m tests.support.supabase_map`` prints the table to paste between the markers in
docs/supabase.md.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from lib.store import STORE_PROTOCOLS

ROOT = Path(__file__).resolve().parents[2]
STORE_FILES = sorted((ROOT / "lib" / "store").glob("supabase*.py"))
MIGRATIONS = ROOT / "supabase" / "migrations"
START, END = "<!-- supabase-map:start -->", "<!-- supabase-map:end -->"
# The store's own plumbing: followed as calls, never listed.
_REQUESTS = {"_rpc": "rpc", "rpc": "rpc", "_transition": "rpc", "_table": "table", "table": "table"}
_FUNCTION = re.compile(r"create\s+(?:or\s+replace\s+)?function\s+(?:\w+\.)?(\w+)\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    """One store method: the SQL functions it calls and the tables (or views) it reads or writes."""

    method: str
    protocol: str
    rpcs: tuple[str, ...]
    tables: tuple[str, ...]


def migration_functions() -> dict[str, str]:
    """Each SQL function's name -> the latest migration file that (re)defines it: its current body."""
    latest: dict[str, str] = {}
    for path in sorted(MIGRATIONS.glob("*.sql")):
        for name in _FUNCTION.findall(path.read_text(encoding="utf-8")):
            latest[name] = path.name
    return latest


def _methods() -> dict[str, ast.FunctionDef]:
    """Every method of the Supabase store's classes (the store and its parts), by name."""
    found: dict[str, ast.FunctionDef] = {}
    for path in STORE_FILES:
        for cls in (n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                found.setdefault(fn.name, fn)
    return found


def _strings_assigned(fn: ast.FunctionDef, variable: str) -> set[str]:
    """The string literals ``variable`` is given in ``fn`` (``name = "a"``, ``name, x = "b", ...``)."""
    found: set[str] = set()
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == variable:
                found |= {c.value for c in ast.walk(node.value)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)}
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name) and element.id == variable \
                            and isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.add(value.value)
    return found


def _uses(name: str, methods: dict[str, ast.FunctionDef], seen: set[str]) -> tuple[set[str], set[str]]:
    """The RPCs and tables a method uses, itself or through the store's other methods it calls."""
    rpcs: set[str] = set()
    tables: set[str] = set()
    fn = methods[name]
    seen.add(name)
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr = node.func.attr
        if attr in _REQUESTS and node.args:
            first = node.args[0]
            names = ({first.value} if isinstance(first, ast.Constant) and isinstance(first.value, str)
                     else _strings_assigned(fn, first.id) if isinstance(first, ast.Name) else set())
            (rpcs if _REQUESTS[attr] == "rpc" else tables).update(names)
        elif isinstance(node.func.value, ast.Name) and node.func.value.id == "self" and attr in methods \
                and attr not in seen:
            more_rpcs, more_tables = _uses(attr, methods, seen)
            rpcs |= more_rpcs
            tables |= more_tables
    return rpcs, tables


def store_map() -> list[Row]:
    """A row per method of each store protocol, in the protocols' order."""
    methods = _methods()
    rows = []
    for protocol in STORE_PROTOCOLS:
        for name, member in vars(protocol).items():
            if callable(member) and not name.startswith("_"):
                rpcs, tables = _uses(name, methods, set()) if name in methods else (set(), set())
                rows.append(Row(name, protocol.__name__, tuple(sorted(rpcs)), tuple(sorted(tables))))
    return rows


def table_markdown() -> str:
    """The map as the Markdown table docs/supabase.md holds between its markers."""
    defined = migration_functions()
    lines = ["| store method | protocol | SQL function (migration with its current body) | table or view |",
             "| --- | --- | --- | --- |"]
    for row in store_map():
        rpcs = ", ".join(f"`{r}` (`{defined.get(r, 'NOT DEFINED')}`)" for r in row.rpcs)
        tables = ", ".join(f"`{t}`" for t in row.tables)
        lines.append(f"| `{row.method}` | `{row.protocol}` | {rpcs} | {tables} |")
    return "\n".join(lines)


def documented(text: str) -> str:
    """The table between the markers of docs/supabase.md (empty when the markers are missing)."""
    if START not in text or END not in text:
        return ""
    return text.split(START, 1)[1].split(END, 1)[0].strip()


if __name__ == "__main__":
    print(table_markdown())
