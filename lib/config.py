"""Settings from `.streamlit/secrets.toml` and the environment, validated once.

Environment variables win over the file: ``CALLEXPERT_<KEY>`` for a top-level key,
``CALLEXPERT_GOOGLE_<KEY>`` for a key of the ``[google]`` table, ``CALLEXPERT_SMTP_<KEY>``
for a key of the ``[smtp]`` table and ``CALLEXPERT_MIDTRANS_<KEY>`` for one of
``[midtrans]``. With neither present every setting has an embedded default
that needs no account.

Longer than 400 lines on purpose: every setting, its default, how it is read and how it is
checked sit in this one file, so that adding a setting touches one place.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.errors import ConfigError, InvalidInput
from lib.scheduling.parse import from_json
from lib.validation import HOST_NAME, clean_email

ENV_PREFIX = "CALLEXPERT_"
GOOGLE_MEET_HOST = "meet.google.com"
DEFAULT_SECRETS_PATH = Path(".streamlit/secrets.toml")


@dataclass(frozen=True)
class GoogleSettings:
    calendar_id: str = "primary"
    # The whole base URL, "calendar/v3/" included; tests point it at a local server.
    api_endpoint: str = "https://www.googleapis.com/calendar/v3/"
    # Either a service-account key (with `subject` for domain-wide delegation) or an
    # OAuth authorized-user JSON with a refresh token: a path or the JSON text itself.
    credentials_file: str = ""
    credentials_json: str = field(default="", repr=False)
    subject: str = ""
    timeout_seconds: float = 15.0
    conference_wait_seconds: float = 20.0
    reminder_minutes: int = 30
    # Requests per minute this console may send (Google's quota is 600 per user); a bulk run
    # paces itself under it instead of collecting 429s.
    requests_per_minute: int = 500
    # Calendar requests one process has on their way at once. A bulk link run works on
    # `link_concurrency` bookings, and those waiting for their Meet conference hold no request.
    # 24: the fastest measured (docs/benchmark.md, "the sweep"); 200 links then send about 220
    # requests in under 10 s, within `requests_per_minute`, which paces any bigger run.
    requests_at_once: int = 24
    # Meet REST API v2 (who joined a session) and the People API (a participant's email); the
    # whole base URLs, as for `api_endpoint`. Tests point them at a local server.
    meet_api_endpoint: str = "https://meet.googleapis.com/"
    people_api_endpoint: str = "https://people.googleapis.com/"
    # Resolve signed-in participants to emails through the People API (scope directory.readonly,
    # people of the organizer's Workspace only). Off: participants are matched by display name.
    resolve_participant_emails: bool = False


SMTP_SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server the ``smtp`` email backend delivers through."""

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    # "starttls" upgrades a plain connection (usually port 587), "ssl" is TLS from the first
    # byte (usually 465), "none" is for a relay on localhost only.
    security: str = "starttls"
    from_address: str = ""
    from_name: str = "CallExpert"
    reply_to: str = ""  # where "reply to this email" goes; the from address when empty
    ca_file: str = ""  # extra CA bundle for a relay with a private certificate
    timeout_seconds: float = 15.0
    send_attempts: int = 3
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 10.0

    @property
    def max_send_seconds(self) -> float:
        """The longest one email can take with every attempt and wait, for the outbox lease.

        smtplib's timeout bounds each socket operation, not a whole conversation, so a slow
        server is given two timeouts per attempt.
        """
        return self.send_attempts * 2 * self.timeout_seconds + (self.send_attempts - 1) * self.backoff_max_seconds


@dataclass(frozen=True)
class MidtransSettings:
    """The Midtrans account the ``midtrans`` payment gateway uses (Snap + the status API)."""

    # Dashboard > Settings > Access Keys. The server key authorizes every API call and signs
    # notifications: server side only, never shown or logged. The client key is Snap's public
    # key (for snap.js); the console keeps it for completeness and does not show it either.
    server_key: str = field(default="", repr=False)
    client_key: str = field(default="", repr=False)
    # false = sandbox (app.sandbox.midtrans.com, test payments), true = real money.
    is_production: bool = False
    # Per HTTP request to Midtrans; a hung Midtrans never hangs a page longer than this.
    timeout_seconds: float = 10.0
    # The ops page lists bookings still awaiting payment after this many minutes.
    pending_alert_minutes: int = 30


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Jakarta"
    backend: str = "sqlite"
    sqlite_path: str = "data/callexpert.db"
    # backend = "supabase": the project URL and its service-role key (server side only, never shown).
    supabase_url: str = ""
    supabase_service_role_key: str = field(default="", repr=False)
    supabase_timeout_seconds: float = 10.0
    seed_demo_data: bool = True
    meeting_provider: str = "jitsi"
    jitsi_base_url: str = "https://meet.jit.si"
    # More hosts a meeting link pasted by ops may point to (comma-separated, or a TOML list),
    # besides meet.google.com and the host of jitsi_base_url, e.g. "zoom.us, teams.microsoft.com".
    allowed_link_hosts: str = ""
    payment_gateway: str = "demo"
    email_backend: str = "outbox"
    # Calendar (.ics) invitations on confirmed, rescheduled and cancelled emails: "auto" attaches
    # them unless meeting_provider is "google", which already sends its own invitations.
    attach_ics: str = "auto"
    # The language of every email, customers' and experts' alike: "id" (Indonesian) or "en"
    # (English). The whole email follows it: subject, text, dates, button and invitation.
    email_language: str = "id"
    # How long one dispatcher holds the emails it took from the outbox; a crashed run frees them
    # after this. Must exceed the longest single send (see SmtpSettings.max_send_seconds).
    email_lease_seconds: int = 600
    # A paid booking still without a link after this long gets the customer a "link still being
    # prepared" email; a link made sooner (a retry, ops) spares them that email.
    link_pending_delay_minutes: int = 10
    # Reminder emails before each confirmed session, and the alarms of its .ics invitation, in
    # minutes before the start; in the settings file a list of minutes or "24h", "90m", "1d"
    # (an empty list: no reminders). See docs/email.md.
    reminder_offsets: tuple[int, ...] = (1440, 60)
    link_attempts: int = 3
    link_backoff_seconds: float = 1.0
    link_backoff_max_seconds: float = 30.0
    # Bookings a bulk link run works on at once; with Google most of them wait for their Meet
    # conference, which takes no request, so this is well above `google.requests_at_once`.
    link_concurrency: int = 64
    link_lease_seconds: int = 300
    booking_horizon_days: int = 365
    # The hours of an expert who has stored none, written as an availability file (JSON, the format
    # of `python -m lib availability --set`, docs/availability.md); keys left out keep the built-in
    # default (Monday to Friday 09:00-17:00, timezone and booking_horizon_days above). Empty: that default.
    default_availability: str = ""
    # An expert's Google Calendar busy time is asked at most once per expert and range in this
    # many seconds (and asked again at once after one of their bookings changes); 0: every time.
    busy_cache_seconds: int = 60
    # The background worker (`python -m lib worker`): seconds between two runs of each job, and
    # the longest wait before a job that keeps failing is tried again (it backs off, doubling).
    worker_links_seconds: int = 60
    worker_emails_seconds: int = 30
    worker_reminders_seconds: int = 60
    worker_expire_seconds: int = 60
    worker_payments_seconds: int = 300
    worker_complete_seconds: int = 300
    worker_attendance_seconds: int = 300
    # Calendar work (Google only): a reschedule's or a cancel's calendar change is retried by the
    # worker this often until Google agrees; the calendar is reconciled with the bookings once
    # per `worker_reconcile_seconds` (daily), over the coming `reconcile_days` days.
    worker_calendar_seconds: int = 30
    worker_reconcile_seconds: int = 86400
    reconcile_days: int = 60
    # The Ops page lists calendar work still waiting this long after the change that needed it.
    calendar_alert_minutes: int = 15
    # Attendance (Google Meet only): first asked this long after a session ends (Google writes
    # its records some minutes after), then again with a doubling wait up to the maximum, and
    # given up as "no data" this long after the end (Google keeps records 30 days).
    attendance_first_check_minutes: int = 10
    attendance_backoff_max_minutes: int = 360
    attendance_give_up_hours: int = 48
    worker_backoff_max_seconds: int = 900
    # A booking still awaiting payment this long after it was made becomes `expired` and frees
    # its slot (`python -m lib expire-pending`, and before a booking finds its slot taken).
    pending_expiry_minutes: int = 30
    # Sign-in: these emails (comma-separated, or a TOML list) are ops; an email that matches an
    # expert row is that expert. Sign-in itself is on when secrets.toml has an [auth] table.
    ops_emails: str = ""
    # Only an address the identity provider marks `email_verified` gets a role. A provider that
    # never sends that claim is refused too, unless this says its addresses can be trusted.
    trust_email_without_verified_claim: bool = False
    # Demo mode (no [auth]) makes everyone ops: with any production adapter (Supabase, Midtrans,
    # SMTP, Google meetings) it is refused at start unless this is set on purpose.
    allow_demo_mode: bool = False
    # Where `python -m lib serve-notifications` listens for Midtrans's notifications: plain HTTP,
    # on the loopback address behind an HTTPS reverse proxy (docs/midtrans.md).
    notifications_host: str = "127.0.0.1"
    notifications_port: int = 8502
    # The public https:// address the notification endpoint is reached at (its reverse proxy),
    # e.g. "https://console.example.com/notify". When set, the Join links in emails go through
    # `<public_base_url>/j/<token>`, which counts the click; empty: emails carry the meeting link.
    public_base_url: str = ""
    # Customer self-service (docs/self-service.md; only with public_base_url): the customer may
    # reschedule or cancel from their emails until this many hours before the start, and move a
    # booking at most this many times (0: only cancel); after that the pages name the support
    # address. Empty support address: the pages say to reply to the booking email.
    self_service_deadline_hours: int = 24
    self_service_max_reschedules: int = 2
    support_email: str = ""
    # The endpoint's access log gives each request's method, route (never a Join token), status and
    # time. True: the client's address too (behind the proxy, the address it forwarded).
    log_client_addresses: bool = False
    sign_in: bool = False  # derived from [auth] in the secrets file, not set by hand
    google: GoogleSettings = field(default_factory=GoogleSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    midtrans: MidtransSettings = field(default_factory=MidtransSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def ops_email_list(self) -> tuple[str, ...]:
        return tuple(e.strip().lower() for e in self.ops_emails.split(",") if e.strip())

    @property
    def link_hosts(self) -> tuple[str, ...]:
        """The hosts a pasted meeting link may point to: Google Meet, the Jitsi server, and
        ``allowed_link_hosts``."""
        extra = [h.strip().lower() for h in self.allowed_link_hosts.split(",") if h.strip()]
        jitsi = (urlsplit(self.jitsi_base_url).hostname or "").lower()
        return tuple(dict.fromkeys(h for h in (GOOGLE_MEET_HOST, jitsi, *extra) if h))

    @property
    def ics_enabled(self) -> bool:
        """Whether emails carry an .ics invitation ("auto": yes unless Google sends its own)."""
        if self.attach_ics == "auto":
            return self.meeting_provider != "google"
        return self.attach_ics == "true"


# The languages emails are written in (lib/notify/messages.py holds one catalogue per language).
EMAIL_LANGUAGES: tuple[str, ...] = ("id", "en")

_CHOICES = {
    "backend": ("sqlite", "supabase"),
    "meeting_provider": ("jitsi", "google"),
    "payment_gateway": ("demo", "midtrans"),
    "email_backend": ("outbox", "smtp"),
    "attach_ics": ("auto", "true", "false"),
    "email_language": EMAIL_LANGUAGES,
}
# The [table]s of the settings file, each loaded from its own CALLEXPERT_<TABLE>_<KEY> variables.
_TABLES: dict[str, type] = {"google": GoogleSettings, "smtp": SmtpSettings, "midtrans": MidtransSettings}
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Turn a TOML or environment value into the type of the default, or say what is wrong."""
    if isinstance(raw, list) and isinstance(default, str):
        raw = ",".join(str(item) for item in raw)  # e.g. ops_emails = ["a@x.id", "b@x.id"]
    if isinstance(default, tuple):
        return parse_offsets(name, raw)
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _YES:
                return True
            if text in _NO:
                return False
            raise ValueError
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        kind = type(default).__name__
        raise ConfigError(f"Setting `{name}` must be a {kind}, got {raw!r}.") from None


# A reminder at most this long before a session: a week (a longer one is a typo, e.g. hours as minutes).
MAX_REMINDER_MINUTES = 7 * 24 * 60
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}


def parse_offsets(name: str, raw: Any) -> tuple[int, ...]:
    """Reminder offsets as minutes, largest first: a list (or comma-separated text) of whole
    minutes or of ``<n>m``, ``<n>h``, ``<n>d`` (``["24h", "1h"]`` -> ``(1440, 60)``)."""
    items = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).split(",") if p.strip()]
    minutes: list[int] = []
    for item in items:
        text = str(item).strip().lower()
        unit = _UNITS.get(text[-1:], 0) if text else 0
        number = text[:-1] if unit else text
        if isinstance(item, bool) or not number.isdigit():
            raise ConfigError(f"Setting `{name}` must list minutes or times such as \"24h\", \"90m\", \"1d\"; "
                              f"got {item!r}.")
        value = int(number) * (unit or 1)
        if not 0 < value <= MAX_REMINDER_MINUTES:
            raise ConfigError(f"Setting `{name}`: {item!r} must be more than 0 and at most 7 days before the session.")
        minutes.append(value)
    if len(set(minutes)) != len(minutes):
        raise ConfigError(f"Setting `{name}` lists the same time twice: {list(items)!r}.")
    return tuple(sorted(minutes, reverse=True))


def _section(cls: type, values: Mapping[str, Any], env: Mapping[str, str], prefix: str, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    defaults = cls()
    for f in fields(cls):
        if f.name in _TABLES:
            continue
        env_key = f"{prefix}{f.name.upper()}"
        if env_key in env:
            raw = env[env_key]
        elif f.name in values:
            raw = values[f.name]
        else:
            continue
        out[f.name] = _coerce(f"{label}{f.name}", raw, getattr(defaults, f.name))
    return out


def load_settings(
    secrets_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read and validate settings; raise ``ConfigError`` naming the bad setting."""
    env = os.environ if environ is None else environ
    path = (Path(secrets_path) if secrets_path is not None
            else Path(env.get(f"{ENV_PREFIX}SECRETS_FILE", DEFAULT_SECRETS_PATH)))
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    top = _section(Settings, data, env, ENV_PREFIX, "")
    if "attach_ics" in top:  # a TOML boolean or "yes"/"off" reads as the choice it means
        text = str(top["attach_ics"]).strip().lower()
        top["attach_ics"] = "true" if text in _YES else "false" if text in _NO else text
    tables = {}
    for name, cls in _TABLES.items():
        values = data.get(name, {})
        if not isinstance(values, Mapping):
            raise ConfigError(f"`{name}` in {path} must be a table: write it as [{name}] with keys below it.")
        tables[name] = cls(**_section(cls, values, env, f"{ENV_PREFIX}{name.upper()}_", f"{name}."))
    # Streamlit's own OIDC sign-in reads [auth] from the same file; its presence switches demo mode off.
    top["sign_in"] = isinstance(data.get("auth"), Mapping) and bool(data["auth"])
    settings = Settings(**top, **tables)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Refuse settings the console cannot run with, before anything starts."""
    for name, allowed in _CHOICES.items():
        value = getattr(settings, name)
        if value not in allowed:
            raise ConfigError(f"Setting `{name}` is {value!r}; choose one of: {', '.join(allowed)}.")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"Setting `timezone` is {settings.timezone!r}, "
                          "which is not an IANA zone such as 'Asia/Jakarta'.") from None
    if settings.calendar_alert_minutes < 1:
        raise ConfigError("Setting `calendar_alert_minutes` must be at least 1.")
    if not 1 <= settings.reconcile_days <= 366:
        raise ConfigError("Setting `reconcile_days` must be between 1 and 366.")
    if settings.link_attempts < 1:
        raise ConfigError("Setting `link_attempts` must be at least 1.")
    if settings.link_concurrency < 1:
        raise ConfigError("Setting `link_concurrency` must be at least 1.")
    if settings.google.requests_per_minute < 1:
        raise ConfigError("Setting `google.requests_per_minute` must be at least 1.")
    if settings.google.requests_at_once < 1:
        raise ConfigError("Setting `google.requests_at_once` must be at least 1.")
    if settings.link_pending_delay_minutes < 0:
        raise ConfigError("Setting `link_pending_delay_minutes` cannot be negative.")
    if settings.pending_expiry_minutes < 1:
        raise ConfigError("Setting `pending_expiry_minutes` must be at least 1 (minutes a booking may await payment).")
    if settings.busy_cache_seconds < 0:
        raise ConfigError("Setting `busy_cache_seconds` cannot be negative.")
    for name in ("attendance_first_check_minutes", "attendance_backoff_max_minutes", "attendance_give_up_hours"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"Setting `{name}` must be at least 1.")
    if settings.email_lease_seconds < 1:
        raise ConfigError("Setting `email_lease_seconds` must be at least 1.")
    if not settings.notifications_host.strip():
        raise ConfigError("Setting `notifications_host` is empty; use the address to listen on, e.g. 127.0.0.1.")
    if not 0 < settings.notifications_port < 65536:
        raise ConfigError(f"Setting `notifications_port` is {settings.notifications_port}; use a port from 1 to 65535.")
    for f in fields(Settings):
        if f.name.startswith("worker_") and f.name.endswith("_seconds") and getattr(settings, f.name) < 1:
            raise ConfigError(f"Setting `{f.name}` must be at least 1 (seconds).")
    _validate_link_hosts(settings)
    _validate_public_base_url(settings.public_base_url)
    _validate_default_availability(settings.default_availability)
    if settings.self_service_deadline_hours < 0:
        raise ConfigError("Setting `self_service_deadline_hours` cannot be negative (hours before the start).")
    if settings.self_service_max_reschedules < 0:
        raise ConfigError("Setting `self_service_max_reschedules` cannot be negative (0: customers may only cancel).")
    if settings.support_email:
        try:
            clean_email(settings.support_email)
        except InvalidInput:
            raise ConfigError(f"Setting `support_email` is {settings.support_email!r}; use one address such as "
                              "support@example.com (or leave it empty).") from None
    if settings.email_backend == "smtp":
        _validate_smtp(settings)
    _validate_midtrans(settings)
    if settings.backend == "supabase" and not (settings.supabase_url.strip()
                                               and settings.supabase_service_role_key.strip()):
        raise ConfigError("backend is 'supabase' but `supabase_url` or `supabase_service_role_key` is empty: add both "
                          "to .streamlit/secrets.toml "
                          "(or CALLEXPERT_SUPABASE_URL / CALLEXPERT_SUPABASE_SERVICE_ROLE_KEY).")
    if settings.supabase_timeout_seconds <= 0:
        raise ConfigError("Setting `supabase_timeout_seconds` must be more than 0.")
    if settings.meeting_provider == "google" and not (settings.google.credentials_file
                                                      or settings.google.credentials_json):
        raise ConfigError(
            "meeting_provider is 'google' but no Google credentials are set: add "
            "`credentials_file` (or `credentials_json`) under [google] in .streamlit/secrets.toml."
        )


def _validate_link_hosts(settings: Settings) -> None:
    """``jitsi_base_url`` and ``allowed_link_hosts``: the hosts pasted meeting links may go to."""
    jitsi = urlsplit(settings.jitsi_base_url.strip())
    if jitsi.scheme != "https" or not jitsi.hostname or not HOST_NAME.match(jitsi.hostname):
        raise ConfigError(f"Setting `jitsi_base_url` is {settings.jitsi_base_url!r}; use the https:// address of "
                          "the Jitsi server, e.g. https://meet.jit.si.")
    for host in (h.strip() for h in settings.allowed_link_hosts.split(",")):
        if host and not HOST_NAME.match(host.lower()):
            raise ConfigError(f"Setting `allowed_link_hosts` lists {host!r}, which is not a host name: write "
                              "names only, such as zoom.us (no https://, path or port), separated by commas.")


def _validate_public_base_url(value: str) -> None:
    """``public_base_url``: empty, or an https:// address with a host and no user, query or fragment
    (it is put in front of ``/j/<token>`` in every email)."""
    if not value:
        return
    url = urlsplit(value)
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    if (url.scheme != "https" or not url.hostname or not HOST_NAME.match(url.hostname) or not port_ok
            or "@" in url.netloc or url.query or url.fragment or "?" in value or "#" in value
            or value != value.strip()):
        raise ConfigError(f"Setting `public_base_url` is {value!r}; use the https:// address the notification "
                          "endpoint is reached at, without a user, query or fragment, e.g. "
                          "https://console.example.com/notify (or leave it empty).")


def _validate_midtrans(settings: Settings) -> None:
    """The [midtrans] table; the keys themselves never appear in a message."""
    midtrans = settings.midtrans
    if midtrans.timeout_seconds <= 0:
        raise ConfigError("Setting `midtrans.timeout_seconds` must be more than 0.")
    if midtrans.pending_alert_minutes < 1:
        raise ConfigError("Setting `midtrans.pending_alert_minutes` must be at least 1.")
    if settings.payment_gateway != "midtrans":
        return
    missing = [k for k in ("server_key", "client_key") if not getattr(midtrans, k).strip()]
    if missing:
        raise ConfigError(
            f"payment_gateway is 'midtrans' but {' and '.join(f'`midtrans.{k}`' for k in missing)} "
            f"{'is' if len(missing) == 1 else 'are'} empty: copy the keys from the Midtrans dashboard "
            "(Settings > Access Keys) into [midtrans] in .streamlit/secrets.toml, or set "
            "CALLEXPERT_MIDTRANS_SERVER_KEY / CALLEXPERT_MIDTRANS_CLIENT_KEY."
        )
    # Sandbox keys carry an "SB-" prefix; a key of the other environment fails every call with 401.
    sandbox_key = midtrans.server_key.strip().startswith("SB-")
    if midtrans.is_production and sandbox_key:
        raise ConfigError("`midtrans.is_production` is true but `midtrans.server_key` is a sandbox key (SB-...): "
                          "use the production keys, or set is_production = false.")
    if not midtrans.is_production and midtrans.server_key.strip().startswith("Mid-server-"):
        raise ConfigError("`midtrans.is_production` is false (sandbox) but `midtrans.server_key` is a production "
                          "key: use the sandbox keys (SB-Mid-server-...), or set is_production = true.")


def _validate_smtp(settings: Settings) -> None:
    smtp = settings.smtp
    if not smtp.host.strip():
        raise ConfigError("email_backend is 'smtp' but no mail server is set: add `host` under [smtp].")
    if not smtp.from_address.strip():
        raise ConfigError("email_backend is 'smtp' but `from_address` under [smtp] is empty; "
                          "set the address emails are sent from, e.g. bookings@your-domain.co.id.")
    for key in ("from_address", "reply_to"):
        value = getattr(smtp, key)
        if value:
            try:
                clean_email(value)
            except InvalidInput:
                raise ConfigError(f"Setting `smtp.{key}` is {value!r}, which is not an email address.") from None
    if smtp.security not in SMTP_SECURITY:
        raise ConfigError(f"Setting `smtp.security` is {smtp.security!r}; choose one of: {', '.join(SMTP_SECURITY)}.")
    if not 0 < smtp.port < 65536:
        raise ConfigError(f"Setting `smtp.port` is {smtp.port}; "
                          "use the server's port, e.g. 587 (STARTTLS) or 465 (SSL).")
    if smtp.send_attempts < 1:
        raise ConfigError("Setting `smtp.send_attempts` must be at least 1.")
    if smtp.timeout_seconds <= 0 or smtp.backoff_seconds < 0 or smtp.backoff_max_seconds < 0:
        raise ConfigError("Settings `smtp.timeout_seconds` must be positive and the smtp backoffs not negative.")
    if smtp.ca_file and not Path(smtp.ca_file).is_file():
        raise ConfigError(f"Setting `smtp.ca_file` is {smtp.ca_file!r}, which is not a file.")
    if smtp.max_send_seconds >= settings.email_lease_seconds:
        raise ConfigError(
            f"One email may take up to {smtp.max_send_seconds:.0f} s with the [smtp] timeout, attempts and "
            f"backoff, but `email_lease_seconds` is {settings.email_lease_seconds}: raise it or lower those."
        )


# -- default_availability -----------------------------------------------------------------------------

def _validate_default_availability(text: str) -> None:
    """Refuse default hours that an availability file could not hold, with the reason in words."""
    if not text.strip():
        return
    try:
        from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Setting `default_availability` is not JSON: {exc.msg} (line {exc.lineno}, column "
                          f"{exc.colno}); write it as an availability file (docs/availability.md).") from None
    except InvalidInput as exc:
        raise ConfigError(f"Setting `default_availability`: {exc}") from None
