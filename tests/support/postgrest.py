"""A PostgREST stand-in over a real PostgreSQL: what ``SupabaseStore`` talks to in the tests."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from hmac import compare_digest
from typing import Any

import httpx
import respx

from lib.store.supabase import SupabaseStore
from tests.support.postgres import psycopg

URL = "https://callexpert-test.supabase.co"
HOST = "callexpert-test.supabase.co"
# A stand-in service-role key: tests check it is sent, never that it is shown.
KEY = "test-service-role-" + uuid.uuid4().hex

# -- a PostgREST stand-in over a real PostgreSQL -----------------------------------------------

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_EMBED = re.compile(r"^(?:(\w+):)?(\w+)(?:!(\w+))?\((.*)\)$")


def _ident(name: str) -> str:
    name = name.strip()
    if not _IDENT.match(name):
        raise ValueError(f"unexpected identifier {name!r}")
    return name


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes, as PostgREST reads its lists."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if escaped:  # inside double quotes a backslash takes the next character as it is
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if current:
        parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    """A value as PostgREST reads it: inside double quotes, a backslash escapes the next character."""
    if not (len(value) >= 2 and value[0] == value[-1] == '"'):
        return value
    return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)


def _http_status(code: str) -> int:
    """PostgREST's SQLSTATE -> HTTP status table (the part the console can meet)."""
    if code in ("23503", "23505"):
        return 409
    if code in ("42883", "42P01"):
        return 404
    if code == "42501":
        return 403
    if code == "P0001":
        return 400
    if code[:2] in ("08", "53"):
        return 503
    if code[:2] in ("25", "40", "54", "55", "57", "58", "P0", "XX"):
        return 500
    return 400  # 23P01 (exclusion) among them


class PostgrestStub:
    """Answers the subset of PostgREST that SupabaseStore uses, on a real database.

    Supported: GET/POST/PATCH on tables and POST /rpc/<fn>; `select` with columns, `*` and
    many-to-one embeds hinted by column (`alias:table!fk_column(cols)`); filters eq, neq, gt,
    gte, lt, lte, is, in, like, ilike and `or=(...)` (quoted values with backslash escapes);
    `order`; `limit` and `offset`; `Prefer: return=minimal`. Like
    PostgREST it checks the apikey, runs each request in one transaction as the JWT's role and
    turns database errors into `{code, message, details, hint}` bodies. Like Supabase it answers a
    read (a GET, or a function returning rows) with at most ``max_rows`` rows (the project's "Max
    rows", 1,000 unless raised), whatever ``limit`` asks and without saying any were left out.
    """

    max_rows = 1000

    def __init__(self, dsn: str, key: str) -> None:
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._key = key
        self._lock = threading.Lock()
        self._types: dict[str, dict[str, str]] = {}
        self.requests: list[httpx.Request] = []

    def close(self) -> None:
        self._conn.close()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        signed = compare_digest(request.headers.get("apikey", ""), self._key) and compare_digest(
            request.headers.get("authorization", ""), f"Bearer {self._key}")
        if not signed:
            return httpx.Response(401, json={"code": "PGRST301", "message": "Invalid API key", "details": None,
                                             "hint": None})
        path = request.url.path.removeprefix("/rest/v1/")
        params = list(request.url.params.multi_items())
        body = json.loads(request.content) if request.content else None
        try:
            with self._lock, self._conn.transaction():
                self._conn.execute("set local role service_role")
                self._conn.execute("select set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true)")
                rows = self._run(request.method, path, params, body)
        except psycopg.Error as exc:
            code = exc.diag.sqlstate or "XX000"
            return httpx.Response(_http_status(code), json={
                "code": code, "message": exc.diag.message_primary, "details": exc.diag.message_detail,
                "hint": exc.diag.message_hint})
        if rows is None or "return=minimal" in request.headers.get("prefer", ""):
            return httpx.Response(201 if request.method == "POST" and not path.startswith("rpc/") else 204)
        if request.headers.get("accept", "").startswith("application/vnd.pgrst.object+json"):
            if len(rows) != 1:
                return httpx.Response(406, json={"code": "PGRST116", "message": "Cannot coerce the result to a "
                                                 "single JSON object", "details": f"{len(rows)} rows", "hint": None})
            return httpx.Response(200, json=rows[0])
        return httpx.Response(201 if request.method == "POST" and not path.startswith("rpc/") else 200, json=rows)

    # -- translation ------------------------------------------------------------------------
    def _columns(self, table: str) -> dict[str, str]:
        if table not in self._types:
            self._types[table] = dict(self._conn.execute(
                "select attname, format_type(atttypid, atttypmod) from pg_attribute"
                " where attrelid = %s::regclass and attnum > 0 and not attisdropped", [f"public.{table}"]).fetchall())
        return self._types[table]

    def _run(self, method: str, path: str, params: list[tuple[str, str]], body: Any) -> list[Any] | None:
        select = next((v for k, v in params if k == "select"), "*")
        if path.startswith("rpc/"):
            return self._rpc(_ident(path[4:]), body or {}, select, params)
        table = _ident(path)
        if method == "GET":
            return self._query("select * from public." + table, [], table, select, params, capped=True)
        if method == "POST":
            rows = body if isinstance(body, list) else [body]
            cols = ", ".join(_ident(c) for c in rows[0])
            source = (f"insert into public.{table} ({cols}) select {cols} "
                      f"from json_populate_recordset(null::public.{table}, %s::json) returning *")
            return self._query(source, [json.dumps(rows)], table, select, [])
        if method == "PATCH":
            sets = ", ".join(f"{_ident(c)} = r.{_ident(c)}" for c in body)
            where, values = self._where(table, params)
            source = (f"update public.{table} t set {sets} from json_populate_record(null::public.{table}, %s::json) r"
                      f" where {where} returning t.*")
            return self._query(source, [json.dumps(body), *values], table, select, [])
        if method == "DELETE":
            where, values = self._where(table, params)
            return self._query(f"delete from public.{table} t where {where} returning t.*", values, table, select, [])
        raise ValueError(f"unsupported {method} {path}")

    def _rpc(self, fn: str, args: dict[str, Any], select: str, params: list[tuple[str, str]]) -> Any:
        found = self._conn.execute(
            "select p.proargnames, array(select format_type(t, null) from unnest(p.proargtypes) t),"
            " p.prorettype = 'void'::regtype, coalesce(c.relname, ''), p.proretset"
            " from pg_proc p join pg_type ty on ty.oid = p.prorettype left join pg_class c on c.oid = ty.typrelid"
            " where p.pronamespace = 'public'::regnamespace and p.proname = %s", [fn]).fetchone()
        if found is None:
            raise psycopg.errors.UndefinedFunction(f"function public.{fn} does not exist")
        names, types, void, relation, returns_set = found
        assert set(args) == set(names[: len(types)]), f"{fn} takes {names[:len(types)]}, got {sorted(args)}"
        call_args, values = [], []
        for name, typ in zip(names, types, strict=False):
            value = args[name]
            call_args.append(f"{_ident(name)} => %s::{typ}")
            values.append(json.dumps(value) if typ in ("json", "jsonb") else None if value is None else str(value))
        call = f"public.{fn}({', '.join(call_args)})"
        if void:
            self._conn.execute(f"select {call}", values)
            return None
        if not relation and not returns_set:  # PostgREST answers a scalar function with the bare value
            return self._conn.execute(f"select {call}", values).fetchone()[0]
        return self._query(f"select * from {call}", values, relation or None, select, params, capped=True)

    def _query(self, source: str, values: list[Any], table: str | None, select: str,
               params: list[tuple[str, str]], capped: bool = False) -> list[Any]:
        where, filter_values = self._where(table, params) if table else ("true", [])
        sql = f"with _src as ({source}) select {self._json(select)} from _src t where {where}"
        order = next((v for k, v in params if k == "order"), None)
        if order:
            terms = []
            for term in order.split(","):
                col, *rest = term.split(".")
                terms.append(" ".join([f"t.{_ident(col)}", *[{"asc": "asc", "desc": "desc", "nullsfirst": "nulls first",
                                                              "nullslast": "nulls last"}[r] for r in rest]]))
            sql += " order by " + ", ".join(terms)
        limit = next((int(v) for k, v in params if k == "limit"), None)
        if capped:
            limit = self.max_rows if limit is None else min(limit, self.max_rows)
        if limit is not None:
            sql += f" limit {limit}"
        offset = next((int(v) for k, v in params if k == "offset"), None)
        if offset is not None:
            sql += f" offset {offset}"
        return [r[0] for r in self._conn.execute(sql, [*values, *filter_values]).fetchall()]

    def _json(self, select: str) -> str:
        plain, embeds = [], []
        for item in _split(select):
            match = _EMBED.match(item.strip())
            if match:
                alias, target, hint, inner = match.groups()
                cols = ", ".join(f"'{_ident(c)}', x.{_ident(c)}" for c in inner.split(","))
                embeds.append(f"'{_ident(alias or target)}', (select jsonb_build_object({cols}) "
                              f"from public.{_ident(target)} x where x.id = t.{_ident(hint or target + '_id')})")
            else:
                plain.append(item.strip())
        base = "to_jsonb(t)" if "*" in plain else \
            "jsonb_build_object(" + ", ".join(f"'{_ident(c)}', t.{_ident(c)}" for c in plain) + ")"
        return f"{base} || jsonb_build_object({', '.join(embeds)})" if embeds else base

    def _where(self, table: str, params: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        conds, values = ["true"], []
        for key, value in params:
            if key in ("select", "order", "limit", "offset", "columns", "on_conflict"):
                continue
            if key == "or":
                parts = [self._cond(table, *part.split(".", 1)) for part in _split(value[1:-1])]
                conds.append("(" + " or ".join(p[0] for p in parts) + ")")
                values.extend(v for p in parts for v in p[1])
            else:
                cond, vals = self._cond(table, key, value)
                conds.append(cond)
                values.extend(vals)
        return " and ".join(conds), values

    def _cond(self, table: str, column: str, expr: str) -> tuple[str, list[Any]]:
        col = _ident(column)
        typ = self._columns(table)[col]
        op, _, raw = expr.partition(".")
        raw = _unquote(raw)
        if op == "is":
            return f"t.{col} is {dict(null='null', true='true', false='false')[raw]}", []
        if op in ("like", "ilike"):  # PostgREST reads every * of the pattern as %
            return f"t.{col} {op} %s", [raw.replace("*", "%")]
        if op == "in":
            return f"t.{col} = any(%s::{typ}[])", [[_unquote(v) for v in _split(raw[1:-1])]]
        return f"t.{col} {_OPS[op]} %s::{typ}", [raw]


@contextmanager
def supabase_over_postgres(dsn: str) -> Iterator[tuple[SupabaseStore, PostgrestStub]]:
    """A SupabaseStore whose requests a PostgrestStub answers on ``dsn`` (emptied first)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("truncate email_outbox, booking_history, bookings, expert_availability, experts, users, job_runs,"
                     " booking_attendance, google_user_emails"
                     " restart identity cascade")  # and every table that refers to these
    stub = PostgrestStub(dsn, KEY)
    try:
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            router.route(host=HOST).mock(side_effect=stub)
            store = SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)
            try:
                yield store, stub
            finally:
                store.close()
    finally:
        stub.close()
