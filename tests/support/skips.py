"""One line per group of skipped tests at the end of a run: why they did not run and how to run them.

Tests that need something outside Python (PostgreSQL, Chromium, a live Supabase project) skip
with a reason that says what to start or set; pytest's own summary would list them test by
test. Under CI those tests fail instead of skipping (see ``tests/support/postgres.py`` and
``tests/support/browser.py``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest


def skip_reason(report: pytest.TestReport) -> str:
    """The reason a skipped test gave, without pytest's "Skipped: " prefix, on one line: a reason
    that quotes a library's message (psycopg's "Connection refused\\n\\tIs the server running ...")
    has its line breaks and tabs collapsed to single spaces."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return " ".join(reason.removeprefix("Skipped: ").split())


def group_skips(reports: list[pytest.TestReport]) -> dict[str, list[str]]:
    """Skip reason -> the files of the tests that gave it, in the order first seen."""
    groups: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        if report.skipped and not hasattr(report, "wasxfail"):
            groups[skip_reason(report)].append(Path(report.nodeid.split("::")[0]).name)
    return groups


def skip_lines(reports: list[pytest.TestReport]) -> list[str]:
    """One line per reason: how many tests, from which files, and the reason (what to do)."""
    lines = []
    for reason, files in group_skips(reports).items():
        named = ", ".join(dict.fromkeys(files))
        lines.append(f"{len(files)} skipped ({named}): {reason}")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = skip_lines(terminalreporter.stats.get("skipped", []))
    if lines:
        terminalreporter.section("not run, and how to run them")
        for line in lines:
            terminalreporter.line(line)
