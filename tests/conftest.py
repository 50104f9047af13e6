"""Shared fixtures: a console on a throw-away SQLite file, with no secrets file and no proxies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.config import load_settings
from lib.service import BookingService
from lib.service.expert_availability import Scheduling
from lib.wiring import build_service
from tests.support.bookings import ALWAYS_OPEN
from tests.support.browser import chromium, console  # noqa: F401 - the browser tests' fixtures
from tests.support.env import drop_proxies
from tests.support.fakes import FlakyProvider, RecordingSender
from tests.support.midtrans import mt  # noqa: F401 - Midtrans's canned answers, for every module that pays
from tests.support.skips import pytest_terminal_summary  # noqa: F401 - the skipped groups' summary


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "default_hours: experts without stored hours get the console's real "
                            "default hours (Monday to Friday 09:00-17:00), not ALWAYS_OPEN")


@pytest.fixture(autouse=True)
def _hours_for_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process, an expert who stored no hours is open around the clock (``ALWAYS_OPEN``):
    most tests are about something else and book whatever time suits them (tonight, a Sunday,
    in ten minutes). Tests of the hours store them, or ask for the real default with
    ``@pytest.mark.default_hours``. Subprocesses (CLI, Streamlit server) get the real default,
    so those tests store hours for their experts (``open_all_hours``)."""
    if request.node.get_closest_marker("default_hours") is None:
        monkeypatch.setattr(Scheduling, "default_availability", lambda self: ALWAYS_OPEN)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for an empty console: its own SQLite file (returned), no secrets file, no demo
    rows (tests arrange their own), no proxies, and no other ``CALLEXPERT_*`` setting leaking in."""
    for key in [k for k in os.environ if k.startswith("CALLEXPERT_")]:
        monkeypatch.delenv(key)
    drop_proxies(monkeypatch)
    db = tmp_path / "console.db"
    monkeypatch.setenv("CALLEXPERT_SQLITE_PATH", str(db))
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("CALLEXPERT_SEED_DEMO_DATA", "false")
    return db


@pytest.fixture
def provider() -> FlakyProvider:
    """A meeting provider that records its events and can be told to fail."""
    return FlakyProvider()


@pytest.fixture
def sender() -> RecordingSender:
    """An email sender that records what it sent and can be told to fail."""
    return RecordingSender()


@pytest.fixture
def service(app_env: Path) -> BookingService:
    """The same service the pages build from the environment, for arranging and checking data."""
    return build_service(load_settings())

