"""The real booking service wired to the local stand-ins, shared by the chaos, concurrency and
crash tests: settings for the Google provider against ``tests/calendar_server.py``, a started
Calendar server whose token endpoint google-auth really calls, and direct reads of the SQLite
file for invariants the service API does not expose (leases, row counts).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lib.config import GoogleSettings, Settings, SmtpSettings
from lib.meetings.google import event_id_for
from tests.calendar_server import CalendarServer

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
TABLES = ("users", "experts", "bookings", "booking_history", "email_outbox")


def authorized_user_json(srv: CalendarServer) -> str:
    """An OAuth authorized-user token whose refreshes go to the local server's token endpoint."""
    return json.dumps({
        "type": "authorized_user",
        "client_id": "1234.apps.googleusercontent.com",
        "client_secret": "test-client-secret",
        "refresh_token": "test-refresh-token",
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
        meeting_provider="google",
        link_backoff_seconds=0.01,
        link_backoff_max_seconds=0.05,
        link_concurrency=8,
        # The local server has no quota; the pacing under Google's is tested in test_quota.py.
        google=GoogleSettings(credentials_json=authorized_user_json(srv), api_endpoint=srv.base_url,
                              timeout_seconds=timeout, conference_wait_seconds=2.0, requests_per_minute=100_000),
    )
    if smtp is not None:
        settings = replace(settings, email_backend="smtp", smtp=smtp)
    return replace(settings, **changes)


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


def clean_environ(tmp: Path, **env: str) -> dict[str, str]:
    """This process's environment without proxies or other ``CALLEXPERT_*`` settings, plus ``env``;
    no secrets file, so only what the test sets counts."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_") and k not in PROXY_VARS}
    out["CALLEXPERT_SECRETS_FILE"] = str(tmp / "no-secrets.toml")
    out.update(env)
    return out


@contextmanager
def calendar_server(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Iterator[CalendarServer]:
    """A started Calendar server; google-auth's fixed token URL is pointed at it too."""
    import google.oauth2.credentials

    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    with CalendarServer(**options) as srv:
        monkeypatch.setattr(google.oauth2.credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", srv.token_url)
        try:
            yield srv
        finally:
            srv.wait_idle(10)  # a "timeout" fault may still be finishing its work


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


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table, read straight from the file, to prove a refused call wrote nothing."""
    with closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def leased_bookings(db: Path) -> list[str]:
    """Bookings still holding a link lease (a worker that never let go)."""
    with closing(sqlite3.connect(db)) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM bookings WHERE link_lease_until IS NOT NULL")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
