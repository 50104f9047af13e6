"""The command line starts quickly: `python -m lib --help` and `python -m lib show ID` load only what they
use. The heavy libraries (pandas for the Overview's tables, the Google client, supabase-py, Streamlit, the
endpoint's Starlette and uvicorn, the Midtrans client) load inside the commands that need them.

Checked by what a fresh interpreter has imported when the command ends, not by a time: a clock measures
the machine (the startup time is in `bench/`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.wiring import build_service
from tests.support.bookings import ALWAYS_OPEN, request_for

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "googleapiclient", "httplib2", "supabase", "postgrest", "streamlit", "starlette",
         "uvicorn", "midtransclient", "altair", "aiosmtpd")

PROBE = """
import json, runpy, sys
watch = set(json.loads(sys.argv[2]))
sys.argv = ["python -m lib", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("lib", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules} & watch)}))
"""


def run_cli(args: list[str], env: dict[str, str], watch: tuple[str, ...] = HEAVY) -> dict:
    """Run ``python -m lib ARGS`` in a fresh interpreter: its exit code and which of ``watch`` it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(watch)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def env(app_env: Path) -> dict[str, str]:
    """The environment ``app_env`` set up: an empty console on its own SQLite file."""
    return dict(os.environ)


def test_help_loads_none_of_the_heavy_libraries(env):
    result = run_cli(["--help"], env)
    assert result == {"code": 0, "loaded": []}


def test_show_reads_a_booking_without_the_heavy_libraries(env, app_env):
    svc = build_service(Settings(sqlite_path=str(app_env), seed_demo_data=False))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    expert = svc.experts(actor=SYSTEM)[0]
    svc.set_availability(expert.id, ALWAYS_OPEN, actor=SYSTEM)
    booking = svc.book(request_for(svc, date.today() + timedelta(days=2), time(10, 0), 1), actor=SYSTEM)
    result = run_cli(["show", booking.id], env)
    assert result == {"code": 0, "loaded": []}


def test_the_probe_names_what_a_command_loaded(env):
    # The check can fail: what `--help` does load is reported, and so would a heavy library be.
    assert run_cli(["--help"], env, watch=("argparse", "lib", "pandas")) == {"code": 0, "loaded": ["argparse", "lib"]}
