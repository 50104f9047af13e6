"""The ``[google]``, ``[smtp]`` and ``[midtrans]`` tables of the settings, each a typed, frozen model
with its limits; keys and passwords are ``SecretStr`` (adapters read ``.get_secret_value()``)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, SecretStr

from lib.config_base import SettingsTable, refuse
from lib.errors import InvalidInput
from lib.validation import clean_email

Seconds = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


def _email_or_empty(value: str) -> str:
    if value:
        try:
            clean_email(value)
        except InvalidInput:
            raise refuse(f" is {value!r}, which is not an email address.") from None
    return value


class GoogleSettings(SettingsTable):
    """Google Calendar and Meet (``[google]``, ``CALLEXPERT_GOOGLE_<KEY>``)."""

    table: ClassVar[str] = "google"

    calendar_id: str = "primary"
    # The whole base URL, "calendar/v3/" included; tests point it at a local server.
    api_endpoint: str = "https://www.googleapis.com/calendar/v3/"
    # Either a service-account key (with `subject` for domain-wide delegation) or an
    # OAuth authorized-user JSON with a refresh token: a path or the JSON text itself.
    credentials_file: str = ""
    credentials_json: SecretStr = SecretStr("")
    subject: str = ""
    timeout_seconds: Seconds = 15.0
    conference_wait_seconds: float = Field(20.0, ge=0)
    reminder_minutes: int = Field(30, ge=0)
    # Requests per minute this console may send (Google's quota is 600 per user); a bulk run
    # paces itself under it instead of collecting 429s.
    requests_per_minute: Count = 500
    # Calendar requests one process has on their way at once. A bulk link run works on
    # `link_concurrency` bookings, and those waiting for their Meet conference hold no request.
    # 48: with 128 links at a time, the fastest measured (docs/benchmark.md, "the sweeps"); 200
    # links then send about 215 requests in about 4 s, within `requests_per_minute`, which paces
    # any bigger run.
    requests_at_once: Count = 48
    # Meet REST API v2 (who joined a session) and the People API (a participant's email); the
    # whole base URLs, as for `api_endpoint`. Tests point them at a local server.
    meet_api_endpoint: str = "https://meet.googleapis.com/"
    people_api_endpoint: str = "https://people.googleapis.com/"
    # Resolve signed-in participants to emails through the People API (scope directory.readonly,
    # people of the organizer's Workspace only). Off: participants are matched by display name.
    resolve_participant_emails: bool = False


SMTP_SECURITY = ("starttls", "ssl", "none")


class SmtpSettings(SettingsTable):
    """The mail server the ``smtp`` email backend delivers through (``[smtp]``)."""

    table: ClassVar[str] = "smtp"

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    username: str = ""
    password: SecretStr = SecretStr("")
    # "starttls" upgrades a plain connection (usually port 587), "ssl" is TLS from the first
    # byte (usually 465), "none" is for a relay on localhost only.
    security: Literal["starttls", "ssl", "none"] = "starttls"
    from_address: Annotated[str, AfterValidator(_email_or_empty)] = ""
    from_name: str = "CallExpert"
    # Where "reply to this email" goes; the from address when empty.
    reply_to: Annotated[str, AfterValidator(_email_or_empty)] = ""
    ca_file: str = ""  # extra CA bundle for a relay with a private certificate
    timeout_seconds: Seconds = 15.0
    send_attempts: Count = 3
    backoff_seconds: float = Field(1.0, ge=0)
    backoff_max_seconds: float = Field(10.0, ge=0)

    @property
    def max_send_seconds(self) -> float:
        """The longest one email can take with every attempt and wait, for the outbox lease.

        smtplib's timeout bounds each socket operation, not a whole conversation, so a slow
        server is given two timeouts per attempt.
        """
        return self.send_attempts * 2 * self.timeout_seconds + (self.send_attempts - 1) * self.backoff_max_seconds


class MidtransSettings(SettingsTable):
    """The Midtrans account the ``midtrans`` payment gateway uses (Snap + the status API)."""

    table: ClassVar[str] = "midtrans"

    # Dashboard > Settings > Access Keys. The server key authorizes every API call and signs
    # notifications: server side only, never shown or logged. The client key is Snap's public
    # key (for snap.js); the console keeps it for completeness and does not show it either.
    server_key: SecretStr = SecretStr("")
    client_key: SecretStr = SecretStr("")
    # false = sandbox (app.sandbox.midtrans.com, test payments), true = real money.
    is_production: bool = False
    # Per HTTP request to Midtrans; a hung Midtrans never hangs a page longer than this.
    timeout_seconds: Seconds = 10.0
    # The ops page lists bookings still awaiting payment after this many minutes.
    pending_alert_minutes: Count = 30
