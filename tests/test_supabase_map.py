"""docs/supabase.md's map of the database is the one the code makes, and every SQL function the
Supabase store calls is defined by a migration."""

from __future__ import annotations

from lib.store import STORE_PROTOCOLS
from tests.support.supabase_map import END, ROOT, START, documented, migration_functions, store_map, table_markdown


def test_the_map_in_docs_supabase_md_is_the_one_the_code_makes():
    expected = table_markdown()
    text = (ROOT / "docs" / "supabase.md").read_text(encoding="utf-8")
    assert documented(text) == expected, (
        f"docs/supabase.md's map differs from the code: put these rows between {START} and {END} "
        f"(`python -m tests.support.supabase_map` prints them):\n{expected}")


def test_every_sql_function_the_store_calls_is_defined_by_a_migration():
    defined = migration_functions()
    missing = sorted({(row.method, rpc) for row in store_map() for rpc in row.rpcs if rpc not in defined})
    assert not missing, f"the Supabase store calls functions no migration defines: {missing}"


def test_every_store_method_reaches_the_database():
    methods = {name for p in STORE_PROTOCOLS for name, m in vars(p).items() if callable(m) and not name.startswith("_")}
    rows = store_map()
    assert {row.method for row in rows} == methods
    assert not [row.method for row in rows if not row.rpcs and not row.tables]
