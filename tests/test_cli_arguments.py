"""``python -m lib``'s dates and numbers: outside the range a command supports, argparse's own
``error: ...`` and exit 2, never a traceback; at the edges of the range, the command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib.entrypoints.cli import main
from lib.entrypoints.cli_args import FIRST_DAYS, RECONCILE_DAYS
from lib.scheduling import Availability, TimeRange
from tests.support.env import clean_environ

ROOT = Path(__file__).resolve().parents[1]
RANGE = f"use a day from {FIRST_DAYS[0]} to {FIRST_DAYS[1]}"


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``python -m lib <argv>`` writes to stderr when argparse refuses it (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture
def sari(service) -> str:
    expert = service.store.add_expert("Sari", "sari@example.com", 250_000)
    service.store.set_availability(expert.id, Availability(weekly=((TimeRange(540, 660),),) * 7))
    return expert.id


@pytest.mark.parametrize("first", ["9999-12-31", "0001-01-01", "9999-01-01", "1899-12-31", "0001-01-02"])
@pytest.mark.parametrize("days", ["1", "92"])
def test_a_first_day_outside_the_supported_range_is_argparses_error(sari, capsys, first, days):
    err = refused(["slots", sari, "--from", first, "--days", days], capsys)
    assert f"error: argument --from: {first} is outside the days this command can list: {RANGE}" in err


@pytest.mark.parametrize("first", [str(FIRST_DAYS[0]), str(FIRST_DAYS[1])])
def test_the_first_and_last_supported_days_list_slots(sari, capsys, first):
    assert main(["slots", sari, "--from", first, "--days", "92", "--json"]) == 0
    assert '"slots"' in capsys.readouterr().out


# reconcile-calendar compares up to 366 days from --since: its last first day leaves room for them.
@pytest.mark.parametrize("since", ["9998-12-31", "9999-06-01", "1899-12-31"])
def test_a_reconcile_span_past_the_last_day_is_argparses_error(service, capsys, since):
    err = refused(["reconcile-calendar", "--since", since, "--days", "366"], capsys)
    assert f"error: argument --since: {since} is outside the days this command can list: use a day from " \
           f"{FIRST_DAYS[0]} to {RECONCILE_DAYS[1]}" in err


def test_the_last_reconcile_first_day_compares_its_366_days(service, capsys):
    assert main(["reconcile-calendar", "--since", str(RECONCILE_DAYS[1]), "--days", "366"]) == 0
    assert "nothing to reconcile" in capsys.readouterr().out  # the embedded default keeps no calendar


@pytest.mark.parametrize(("argv", "words"), [
    (["slots", "sari@example.com", "--days", "0"], "argument --days: '0' is not a whole number from 1 to 92"),
    (["slots", "sari@example.com", "--days", "93"], "argument --days: '93' is not a whole number from 1 to 92"),
    (["slots", "sari@example.com", "--days", "9" * 30], "is not a whole number from 1 to 92"),
    (["slots", "sari@example.com", "--from", "2026-02-30"], "'2026-02-30' is not a date written YYYY-MM-DD"),
    (["send-emails", "--limit", "0"], "argument --limit: '0' is not a whole number from 1 to 100000"),
    (["send-emails", "--limit", "-1"], "argument --limit: '-1' is not a whole number from 1 to 100000"),
    (["retry-links", "--concurrency", "0"], "argument --concurrency: '0' is not a whole number from 1 to 1000"),
    (["retry-links", "--concurrency", "many"], "argument --concurrency: 'many' is not a whole number"),
    (["serve-notifications", "--port", "0"], "argument --port: '0' is not a whole number from 1 to 65535"),
    (["serve-notifications", "--port", "65536"], "argument --port: '65536' is not a whole number from 1 to 65535"),
])
def test_a_number_outside_its_range_is_argparses_error_and_nothing_runs(service, capsys, argv, words):
    err = refused(argv, capsys)
    assert f"error: argument {argv[-2]}: " in err and words in err


def test_the_command_from_the_shell_ends_in_an_error_line_and_exit_2(sari, app_env, tmp_path):
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=str(app_env), CALLEXPERT_SEED_DEMO_DATA="false")
    done = subprocess.run([sys.executable, "-m", "lib", "slots", sari, "--from", "9999-12-31", "--days", "92"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1].startswith("python -m lib slots: error: argument --from: 9999-12-31")
    assert "Traceback" not in done.stderr and not done.stdout
