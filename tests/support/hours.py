"""The hours of experts who stored none, as a test chooses them: the console's real default
(Monday to Friday 09:00-17:00) unless the test asks for ``always_open``, which sets the
``default_availability`` setting to ``ALWAYS_OPEN`` the way a deployment would, through
``CALLEXPERT_DEFAULT_AVAILABILITY``. So the service a test builds in this process and the CLI,
worker or `streamlit run` it starts (``clean_environ`` passes the variable on) run under the
same hours. Most tests are about something else and book whatever time suits them (tonight, a
Sunday, in ten minutes): they ask for ``always_open``."""

from __future__ import annotations

import json
import os

import pytest

from lib.scheduling import to_json
from tests.support.bookings import ALWAYS_OPEN

VARIABLE = "CALLEXPERT_DEFAULT_AVAILABILITY"
# Every key given, timezone and horizon too: the same hours whatever the test's other settings.
ALWAYS_OPEN_SETTING = json.dumps({k: v for k, v in to_json(ALWAYS_OPEN, expert="").items() if k != "expert"})
# For a console a module shares (a fixture wider than one test cannot ask for ``always_open``):
# ``clean_environ(..., **ALWAYS_OPEN_ENV)`` and ``Settings(..., default_availability=ALWAYS_OPEN_SETTING)``.
ALWAYS_OPEN_ENV = {VARIABLE: ALWAYS_OPEN_SETTING}


def default_hours() -> str:
    """The ``default_availability`` this test runs under, for settings built by hand (``Settings(...,
    default_availability=default_hours())``): what ``always_open`` set, else empty (the real default)."""
    return os.environ.get(VARIABLE, "")


@pytest.fixture
def always_open(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Experts who stored no hours are open around the clock (``ALWAYS_OPEN``) in this test, in
    this process and in the processes it starts; the setting's value."""
    if "app_env" in request.fixturenames:
        request.getfixturevalue("app_env")  # first: it clears every CALLEXPERT_* variable
    monkeypatch.setenv(VARIABLE, ALWAYS_OPEN_SETTING)
    return ALWAYS_OPEN_SETTING
