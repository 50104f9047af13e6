"""The Google provider against the local Calendar API stand-in (``tests/support/calendar_server.py``):
credentials and settings pointing at it, a started server whose token endpoint google-auth
really calls, a provider built the production way with a fixed token, and reads of what the
server holds.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from lib.config import GoogleSettings, Settings, SmtpSettings
from lib.domain import Booking, BookingStatus
from lib.meetings.google import GoogleCalendarProvider
from lib.meetings.google_events import event_id_for
from tests.support.calendar_server import CalendarServer
from tests.support.env import drop_proxies
from tests.support.fakes import FakeClock
from tests.support.hours import default_hours

MEET_RE = re.compile(r"^https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}$")
PROVIDER_TIMEOUT = 1.0  # seconds the provider built by make_provider waits for an answer


def authorized_user_json(srv: CalendarServer) -> str:
    """An OAuth authorized-user token whose refreshes go to the local server's token endpoint
    (its secrets start with SECRET-, so a test can look for them where they must not be)."""
    return json.dumps({
        "type": "authorized_user",
        "client_id": "1234.apps.googleusercontent.com",
        "client_secret": "SECRET-client",
        "refresh_token": "SECRET-refresh",
        "token_uri": srv.token_url,
    })


@functools.cache
def _throwaway_key_pem() -> str:
    """A fresh RSA key made for this test run only: it signs tokens for the local server."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def service_account_json(srv: CalendarServer) -> str:
    """A service-account key whose token requests go to the local server.

    Unlike an authorized-user token, whose token URL google-auth always resets to Google's,
    a service-account key keeps its ``token_uri``, so a subprocess needs no patching.
    """
    return json.dumps({
        "type": "service_account",
        "project_id": "callexpert-test",
        "private_key_id": "test-key",
        "private_key": _throwaway_key_pem(),
        "client_email": "meet-bot@callexpert-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": srv.token_url,
    })


def google_settings(db: Path, srv: CalendarServer, *, timeout: float = 0.5, smtp: SmtpSettings | None = None,
                    **changes: Any) -> Settings:
    """Settings for the Google provider against ``srv``: short client timeouts and tiny backoffs,
    so faults cost milliseconds, not the seconds production waits."""
    settings = Settings(
        sqlite_path=str(db),
        seed_demo_data=False,
        default_availability=default_hours(),
        meeting_provider="google",
        link_backoff_seconds=0.01,
        link_backoff_max_seconds=0.05,
        link_concurrency=8,
        # The local server has no quota; the pacing under Google's is tested in test_quota.py.
        google=GoogleSettings(credentials_json=authorized_user_json(srv), api_endpoint=srv.base_url,
                              timeout_seconds=timeout, conference_wait_seconds=2.0, requests_per_minute=100_000),
    )
    if smtp is not None:
        settings = settings.with_changes(email_backend="smtp", smtp=smtp)
    return settings.with_changes(**changes)


def provider_settings(srv: CalendarServer, **changes: Any) -> GoogleSettings:
    """The Google settings alone, pointing at ``srv`` (no credentials unless ``changes`` give
    some), for a provider built the production way with ``GoogleCalendarProvider.from_settings``."""
    return GoogleSettings(api_endpoint=srv.base_url, timeout_seconds=PROVIDER_TIMEOUT, conference_wait_seconds=2.0,
                          **changes)


def google_env(srv: CalendarServer, db: Path, **extra: str) -> dict[str, str]:
    """Settings as ``CALLEXPERT_*`` variables, for a subprocess (or the pages) to load: the
    Google provider with a service account acting for an organizer (domain-wide delegation)."""
    env = {
        "CALLEXPERT_SQLITE_PATH": str(db),
        "CALLEXPERT_SEED_DEMO_DATA": "false",
        "CALLEXPERT_MEETING_PROVIDER": "google",
        "CALLEXPERT_GOOGLE_CREDENTIALS_JSON": service_account_json(srv),
        "CALLEXPERT_GOOGLE_SUBJECT": "organizer@example.com",
        "CALLEXPERT_GOOGLE_API_ENDPOINT": srv.base_url,
        "CALLEXPERT_GOOGLE_TIMEOUT_SECONDS": "2",
        "CALLEXPERT_GOOGLE_CONFERENCE_WAIT_SECONDS": "2",
        "CALLEXPERT_LINK_BACKOFF_SECONDS": "0.01",
        "CALLEXPERT_LINK_BACKOFF_MAX_SECONDS": "0.05",
        "CALLEXPERT_ALLOW_DEMO_MODE": "true",  # the pages run without sign-in, on purpose
    }
    env.update({f"CALLEXPERT_{k}": v for k, v in extra.items()})
    return env


@contextmanager
def calendar_server(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Iterator[CalendarServer]:
    """A started Calendar server (``options`` go to ``CalendarServer``), no proxies, and
    google-auth's fixed token URL pointed at it."""
    import google.oauth2.credentials

    drop_proxies(monkeypatch)
    with CalendarServer(**options) as srv:
        # google-auth refreshes authorized-user tokens at a fixed Google URL: send it here.
        monkeypatch.setattr(google.oauth2.credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", srv.token_url)
        try:
            yield srv
        finally:
            srv.wait_idle(10)  # a "timeout" fault may still be finishing its work


def calendar_fixtures(seed: int) -> tuple[Any, Any, Any]:
    """The ``server``, ``clock`` and ``provider`` fixtures of a test module (assign them to those
    names): a started Calendar stand-in drawing with ``seed``, a clock moved by the provider's
    own sleeps, and the provider built the production way against the stand-in."""

    @pytest.fixture
    def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendarServer]:
        with calendar_server(monkeypatch, seed=seed) as srv:
            yield srv

    @pytest.fixture
    def clock() -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def provider(server: CalendarServer, clock: FakeClock) -> GoogleCalendarProvider:
        return make_provider(server, clock)

    return server, clock, provider


def events_by_booking(srv: CalendarServer, calendar_id: str = "primary") -> dict[str, list[dict[str, Any]]]:
    """Every event the server holds (deleted ones too), grouped by the booking its id derives from.

    Event ids are ``<booking uuid hex>v<version>``, so the stem names the booking across versions.
    """
    grouped: dict[str, list[dict[str, Any]]] = {}
    with srv._lock:
        events = [dict(e) for e in srv.events.get(calendar_id, {}).values()]
    for event in events:
        stem, _, _ = event["id"].rpartition("v")
        grouped.setdefault(stem, []).append(event)
    return grouped


def stem_of(booking_id: str) -> str:
    """The event-id stem of a booking (its id without the version suffix)."""
    return event_id_for(booking_id, 0).rpartition("v")[0]


def make_provider(
    srv: CalendarServer,
    clock: FakeClock | None = None,
    *,
    timeout: float = PROVIDER_TIMEOUT,
    calendar_id: str = "primary",
    wait: float = 5.0,
) -> GoogleCalendarProvider:
    """The production build path (AuthorizedHttp with a timeout, static discovery) with a fixed token."""
    clock = clock or FakeClock()
    creds = Credentials(token="x")

    def new_http() -> Any:
        return google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=timeout, proxy_info=None))

    service = build("calendar", "v3", http=new_http(), static_discovery=True, cache_discovery=False,
                    client_options={"api_endpoint": srv.base_url})
    return GoogleCalendarProvider(
        service,
        calendar_id=calendar_id,
        timezone="Asia/Jakarta",
        conference_wait_seconds=wait,
        reminder_minutes=30,
        timeout_seconds=timeout,
        http_factory=new_http,
        sleep=clock.sleep,
        clock=clock,
    )


def make_booking(**changes: Any) -> Booking:
    """A paid booking as the provider receives it (names and addresses joined in), with a new id."""
    booking = Booking(
        id=str(uuid.uuid4()),
        user_id="cust-1",
        expert_id="exp-1",
        session_type="Career mentoring",
        scheduled_date=date(2025, 3, 4),
        scheduled_time=time(10, 30),
        duration=45,
        status=BookingStatus.PAID,
        price=375_000,
        customer_name="Sari Wulandari",
        customer_email="sari@example.com",
        expert_name="Budi Santoso",
        expert_email="budi@example.com",
    )
    return replace(booking, **changes)
