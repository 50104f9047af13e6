"""The end-of-run summary of what did not run: one line per reason, with the files and the fix."""

from __future__ import annotations

import pytest

from tests.support.skips import skip_lines

PG = ("PostgreSQL is not reachable at host=127.0.0.1 (connection refused). To run them: `make test` starts a "
      "local PostgreSQL 15 when it can")
CHROMIUM = "/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does it)"


def report(nodeid: str, outcome: str = "skipped", reason: str = "") -> pytest.TestReport:
    longrepr = (nodeid.split("::")[0], 1, f"Skipped: {reason}") if outcome == "skipped" else None
    return pytest.TestReport(nodeid, (nodeid, 0, ""), {}, outcome, longrepr, "setup")


def test_skips_are_grouped_one_line_per_reason_with_their_files():
    reports = [report(f"tests/test_migrations.py::test_{n}", reason=PG) for n in range(40)]
    reports += [report(f"tests/test_store_contract.py::test_{n}[supabase]", reason=PG) for n in range(3)]
    reports += [report("tests/test_browser.py::test_book", reason=CHROMIUM),
                report("tests/test_sign_in_browser.py::test_roles", reason=CHROMIUM)]
    assert skip_lines(reports) == [
        f"43 skipped (test_migrations.py, test_store_contract.py): {PG}",
        f"2 skipped (test_browser.py, test_sign_in_browser.py): {CHROMIUM}",
    ]


def test_nothing_skipped_prints_nothing():
    assert skip_lines([report("tests/test_service.py::test_ok", outcome="passed")]) == []


def test_a_reason_with_line_breaks_is_one_line_and_one_group():
    refused = ('PostgreSQL is not reachable at host=127.0.0.1 (connection failed: Connection refused\n'
               '\tIs the server running on that host and accepting TCP/IP connections?  ). To run them: make test')
    reports = [report("tests/test_migrations.py::test_a", reason=refused),
               report("tests/test_store_contract.py::test_b", reason=refused.replace("\n\t", " "))]
    assert skip_lines(reports) == [
        "2 skipped (test_migrations.py, test_store_contract.py): PostgreSQL is not reachable at host=127.0.0.1 "
        "(connection failed: Connection refused Is the server running on that host and accepting TCP/IP "
        "connections? ). To run them: make test",
    ]
