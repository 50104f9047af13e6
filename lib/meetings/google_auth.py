"""Signing in to Google: the scopes the console asks for and the credentials its settings name
(a service-account key, with domain-wide delegation when ``subject`` is set, or an OAuth
authorized-user token). Used by the Calendar provider and the attendance reader."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from lib.config import GoogleSettings
from lib.errors import ConfigError

SCOPE = "https://www.googleapis.com/auth/calendar.events"
# freebusy.query is not covered by calendar.events. This is the narrowest scope that reads the
# availability of calendars the organizer has access to (``calendar.freebusy`` covers only the
# organizer's own calendars). Requested by a credential of its own (``GoogleCalendarProvider.from_settings``), so a
# grant still missing it costs the busy times, never the Meet links.
FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.events.freebusy"


def load_credentials(google: GoogleSettings, scopes: Sequence[str] = (SCOPE,)) -> Any:
    """Build google-auth credentials from ``credentials_file`` or ``credentials_json``.

    A service-account key is used with ``subject`` (domain-wide delegation) when set; an
    authorized-user JSON (OAuth client id, secret and refresh token) is used as is. ``scopes``
    are the ones its access tokens ask for (default: the events scope).
    Raises ``ConfigError`` naming the setting; secrets never appear in the message.
    """
    if google.credentials_json.get_secret_value().strip():
        source, text = "google.credentials_json", google.credentials_json.get_secret_value()
    elif google.credentials_file.strip():
        path = Path(google.credentials_file).expanduser()
        source = f"google.credentials_file ({path})"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{source} does not exist; point it at the JSON key or token file.") from None
        except OSError as exc:
            raise ConfigError(f"{source} cannot be read ({exc.strerror or type(exc).__name__}); "
                              "check the path and its permissions.") from None
    else:
        raise ConfigError("No Google credentials: set `credentials_file` or `credentials_json` under [google] "
                          "in .streamlit/secrets.toml.")
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        # The position only: the text itself may hold a private key.
        raise ConfigError(f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(info, dict):
        raise ConfigError(f"{source} must be a JSON object (a service-account key or an authorized-user token).")

    # `Credentials.to_json()` (the usual way to save a consent) writes no "type": a refresh token says it.
    kind = info.get("type") or ("authorized_user" if "refresh_token" in info else None)
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
            return creds.with_subject(google.subject) if google.subject else creds
        if kind == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(info, scopes=list(scopes))
    except Exception as exc:  # noqa: BLE001 - whatever the key parser says, report it without the key
        text = str(exc.args[0]) if exc.args else ""
        # google-auth names missing fields; other parser messages could quote the bad key, so omit them.
        why = text if "missing fields" in text and len(text) < 300 else f"{type(exc).__name__} while reading it"
        raise ConfigError(f"{source} is an incomplete or damaged {kind} JSON ({why}); "
                          "download it again from the Google Cloud console.") from None
    raise ConfigError(
        f"{source} has type {kind!r}; use a service-account key (\"service_account\") or an "
        "OAuth authorized-user token (\"authorized_user\")."
    )


def kind_of_credentials(creds: Any) -> str:
    """"service_account" or "authorized_user": what ``load_credentials`` built."""
    return "service_account" if isinstance(creds, service_account.Credentials) else "authorized_user"
