"""Shared fixtures: a console on a throw-away SQLite file, with no secrets file and no proxies; the
hours of experts who stored none (``always_open``, else the real default); the Midtrans and browser
stand-ins."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.config import current_settings, load_settings
from lib.service import BookingService
from lib.wiring import build_service
from tests.support.browser import chromium, console  # noqa: F401 - the browser tests' fixtures
from tests.support.env import drop_proxies
from tests.support.fakes import FlakyProvider, RecordingSender
from tests.support.hours import always_open  # noqa: F401 - experts without hours open around the clock
from tests.support.midtrans import mt  # noqa: F401 - Midtrans's canned answers, for every module that pays
from tests.support.skips import pytest_terminal_summary  # noqa: F401 - the skipped groups' summary


@pytest.fixture(autouse=True)
def _settings_read_afresh() -> Iterator[None]:
    """The console keeps one reading of its settings per process (``current_settings``); each test
    starts without one, so the pages and commands it runs read the environment it sets up."""
    current_settings.cache_clear()
    yield
    current_settings.cache_clear()


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

