"""Shared fixtures: a console on a throw-away SQLite file, with no secrets file and no proxies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.booking import BookingService
from lib.config import load_settings
from lib.wiring import build_service
from tests.fakes import FlakyProvider, RecordingSender

_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
               "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for an empty console: its own SQLite file (returned), no secrets file, no demo
    rows (tests arrange their own), no proxies, and no other ``CALLEXPERT_*`` setting leaking in."""
    for key in [k for k in os.environ if k.startswith("CALLEXPERT_")]:
        monkeypatch.delenv(key)
    for key in _PROXY_VARS:
        monkeypatch.delenv(key, raising=False)
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

