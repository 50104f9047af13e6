"""CSV files people download, made safe to open in a spreadsheet.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula, so a name such as ``=HYPERLINK("https://evil.example", "Open")``
would become a live link, or worse, in the file ops open. As OWASP's "CSV Injection" page advises,
such a text cell is written with a single quote in front (``'=HYPERLINK(...)``), which spreadsheets
take as "this is text" and show without the quote. Fields holding a comma, a quote, a carriage
return or a line feed are quoted, and lines end in CRLF, as RFC 4180 says.

Only text is changed: a numeric column keeps its negative numbers as numbers (``-3``), and dates
and counts are never text. A text cell such as ``-5`` is neutralised like any other text.
"""

from __future__ import annotations

import pandas as pd

# The first characters that make a spreadsheet evaluate a cell (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a ``'`` in front when it is text starting with one of ``FORMULA_STARTS``;
    anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the UTF-8 CSV a download hands over (no index), every text cell and column
    name neutralised; numeric columns are written as they are."""
    safe = frame.rename(columns=neutralise)
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
