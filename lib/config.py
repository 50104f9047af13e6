"""Settings from `.streamlit/secrets.toml` and the environment: typed models, read once per process.

Environment variables win over the file: ``CALLEXPERT_<KEY>`` for a top-level key,
``CALLEXPERT_GOOGLE_<KEY>`` for a key of the ``[google]`` table, ``CALLEXPERT_SMTP_<KEY>``
for a key of the ``[smtp]`` table and ``CALLEXPERT_MIDTRANS_<KEY>`` for one of
``[midtrans]``. With neither present every setting has an embedded default
that needs no account.

``Settings(...)`` by keyword reads neither source (tests build their own); ``load_settings`` reads
both, and ``current_settings`` is the one reading a running process keeps. Each value is checked by
its type and ``Field`` limits (``lib.config_base`` words what is refused); ``validate`` adds the
checks across settings that decide whether the console can start.
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from lib.config_base import ENV_PREFIX, BadSetting, check_words, current_values, env_name, join_list
from lib.config_checks import (
    check_jitsi_base_url,
    check_link_hosts,
    check_listen_host,
    check_public_base_url,
    check_support_email,
    check_zone,
    parse_ics_choice,
    parse_reminder_offsets,
)
from lib.config_tables import SMTP_SECURITY, GoogleSettings, MidtransSettings, SmtpSettings
from lib.errors import ConfigError, InvalidInput

__all__ = ["EMAIL_LANGUAGES", "SMTP_SECURITY", "BadSetting", "GoogleSettings", "MidtransSettings", "Settings",
           "SmtpSettings", "current_settings", "load_settings", "validate"]

GOOGLE_MEET_HOST = "meet.google.com"
DEFAULT_SECRETS_PATH = Path(".streamlit/secrets.toml")

# The languages emails are written in (lib/notify/messages.py holds one catalogue per language).
EmailLanguage = Literal["id", "en"]
EMAIL_LANGUAGES: tuple[str, ...] = get_args(EmailLanguage)

CommaList = Annotated[str, BeforeValidator(join_list)]  # a TOML list or "a, b"
Minutes = Annotated[int, Field(ge=1)]
WorkerSeconds = Annotated[int, Field(ge=1)]  # between two runs of a worker job


class Settings(BaseSettings):
    """Every setting of the console, frozen. Keyword construction reads no file or environment."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix=ENV_PREFIX, case_sensitive=False,
                                      env_nested_delimiter="_", env_nested_max_split=1)

    timezone: Annotated[str, AfterValidator(check_zone)] = "Asia/Jakarta"
    backend: Literal["sqlite", "supabase"] = "sqlite"
    sqlite_path: str = "data/callexpert.db"
    # backend = "supabase": the project URL and its service-role key (server side only, never shown).
    supabase_url: str = ""
    supabase_service_role_key: SecretStr = SecretStr("")
    supabase_timeout_seconds: float = Field(10.0, gt=0)
    seed_demo_data: bool = True
    meeting_provider: Literal["jitsi", "google"] = "jitsi"
    jitsi_base_url: Annotated[str, AfterValidator(check_jitsi_base_url)] = "https://meet.jit.si"
    # More hosts a meeting link pasted by ops may point to (comma-separated, or a TOML list),
    # besides meet.google.com and the host of jitsi_base_url, e.g. "zoom.us, teams.microsoft.com".
    allowed_link_hosts: Annotated[CommaList, AfterValidator(check_link_hosts)] = ""
    payment_gateway: Literal["demo", "midtrans"] = "demo"
    email_backend: Literal["outbox", "smtp"] = "outbox"
    # Calendar (.ics) invitations on confirmed, rescheduled and cancelled emails: "auto" attaches
    # them unless meeting_provider is "google", which already sends its own invitations.
    attach_ics: Annotated[Literal["auto", "true", "false"], BeforeValidator(parse_ics_choice)] = "auto"
    # The language of every email, customers' and experts' alike: "id" (Indonesian) or "en"
    # (English). The whole email follows it: subject, text, dates, button and invitation.
    email_language: EmailLanguage = "id"
    # How long one dispatcher holds the emails it took from the outbox; a crashed run frees them
    # after this. Must exceed the longest single send (see SmtpSettings.max_send_seconds).
    email_lease_seconds: int = Field(600, ge=1)
    # A paid booking still without a link after this long gets the customer a "link still being
    # prepared" email; a link made sooner (a retry, ops) spares them that email.
    link_pending_delay_minutes: int = Field(10, ge=0)
    # Reminder emails before each confirmed session, and the alarms of its .ics invitation, in
    # minutes before the start; in the settings file a list of minutes or "24h", "90m", "1d"
    # (an empty list: no reminders). See docs/email.md.
    reminder_offsets: Annotated[tuple[int, ...], NoDecode, BeforeValidator(parse_reminder_offsets)] = (1440, 60)
    link_attempts: int = Field(3, ge=1)
    link_backoff_seconds: float = Field(1.0, ge=0)
    link_backoff_max_seconds: float = Field(30.0, ge=0)
    # Bookings a bulk link run works on at once; with Google most of them wait for their Meet
    # conference, which takes no request, so this is well above `google.requests_at_once`: with
    # fewer, the links go in waves that each wait for their conferences (docs/benchmark.md).
    link_concurrency: int = Field(128, ge=1)
    link_lease_seconds: int = Field(300, ge=1)
    booking_horizon_days: int = Field(365, ge=1)
    # The hours of an expert who has stored none, written as an availability file (JSON, the format
    # of `python -m lib availability --set`, docs/availability.md); keys left out keep the built-in
    # default (Monday to Friday 09:00-17:00, timezone and booking_horizon_days above). Empty: that default.
    default_availability: str = ""
    # An expert's Google Calendar busy time is asked at most once per expert and range in this
    # many seconds (and asked again at once after one of their bookings changes); 0: every time.
    busy_cache_seconds: int = Field(60, ge=0)
    # The background worker (`python -m lib worker`): seconds between two runs of each job, and
    # the longest wait before a job that keeps failing is tried again (it backs off, doubling).
    worker_links_seconds: WorkerSeconds = 60
    worker_emails_seconds: WorkerSeconds = 30
    worker_reminders_seconds: WorkerSeconds = 60
    worker_expire_seconds: WorkerSeconds = 60
    worker_payments_seconds: WorkerSeconds = 300
    worker_complete_seconds: WorkerSeconds = 300
    worker_attendance_seconds: WorkerSeconds = 300
    # Calendar work (Google only): a reschedule's or a cancel's calendar change is retried by the
    # worker this often until Google agrees; the calendar is reconciled with the bookings once
    # per `worker_reconcile_seconds` (daily), over the coming `reconcile_days` days.
    worker_calendar_seconds: WorkerSeconds = 30
    worker_reconcile_seconds: WorkerSeconds = 86400
    reconcile_days: int = Field(60, ge=1, le=366)
    # The Ops page lists calendar work still waiting this long after the change that needed it.
    calendar_alert_minutes: Minutes = 15
    # Attendance (Google Meet only): first asked this long after a session ends (Google writes
    # its records some minutes after), then again with a doubling wait up to the maximum, and
    # given up as "no data" this long after the end (Google keeps records 30 days).
    attendance_first_check_minutes: Minutes = 10
    attendance_backoff_max_minutes: Minutes = 360
    attendance_give_up_hours: int = Field(48, ge=1)
    worker_backoff_max_seconds: WorkerSeconds = 900
    # A booking still awaiting payment this long after it was made becomes `expired` and frees
    # its slot (`python -m lib expire-pending`, and before a booking finds its slot taken).
    pending_expiry_minutes: Minutes = 30
    # Sign-in: these emails (comma-separated, or a TOML list) are ops; an email that matches an
    # expert row is that expert. Sign-in itself is on when secrets.toml has an [auth] table.
    ops_emails: CommaList = ""
    # Only an address the identity provider marks `email_verified` gets a role. A provider that
    # never sends that claim is refused too, unless this says its addresses can be trusted.
    trust_email_without_verified_claim: bool = False
    # Demo mode (no [auth]) makes everyone ops: with any production adapter (Supabase, Midtrans,
    # SMTP, Google meetings) it is refused at start unless this is set on purpose.
    allow_demo_mode: bool = False
    # Where `python -m lib serve-notifications` listens for Midtrans's notifications: plain HTTP,
    # on the loopback address behind an HTTPS reverse proxy (docs/midtrans.md).
    notifications_host: Annotated[str, AfterValidator(check_listen_host)] = "127.0.0.1"
    notifications_port: int = Field(8502, ge=1, le=65535)
    # The public https:// address the notification endpoint is reached at (its reverse proxy),
    # e.g. "https://console.example.com/notify". When set, the Join links in emails go through
    # `<public_base_url>/j/<token>`, which counts the click; empty: emails carry the meeting link.
    public_base_url: Annotated[str, AfterValidator(check_public_base_url)] = ""
    # Customer self-service (docs/self-service.md; only with public_base_url): the customer may
    # reschedule or cancel from their emails until this many hours before the start, and move a
    # booking at most this many times (0: only cancel); after that the pages name the support
    # address. Empty support address: the pages say to reply to the booking email.
    self_service_deadline_hours: int = Field(24, ge=0)
    self_service_max_reschedules: int = Field(2, ge=0)
    support_email: Annotated[str, AfterValidator(check_support_email)] = ""
    # The endpoint's access log gives each request's method, route (never a Join token), status and
    # time. True: the client's address too (behind the proxy, the address it forwarded).
    log_client_addresses: bool = False
    sign_in: bool = False  # derived from [auth] in the secrets file, not set by hand
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    midtrans: MidtransSettings = Field(default_factory=MidtransSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **others: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword construction reads nothing else; ``load_settings`` reads the file and environment."""
        return (init_settings,)

    @model_validator(mode="wrap")
    @classmethod
    def _in_words(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return check_words(cls, "", data, handler)

    def with_changes(self, **changes: Any) -> Self:
        """A copy with ``changes``, checked like the original (``ConfigError`` for a bad value)."""
        return type(self)(**{**current_values(self), **changes})

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


# -- reading ------------------------------------------------------------------------------------------

def validate(settings: Settings) -> None:
    """Refuse settings the console cannot start with: an adapter chosen without what it needs.

    Each value alone was checked when the settings were made; ``load_settings`` calls this too.
    """
    if settings.email_backend == "smtp":
        _validate_smtp(settings)
    _validate_default_availability(settings.default_availability)
    _validate_midtrans(settings)
    if settings.backend == "supabase" and not (settings.supabase_url.strip()
                                               and settings.supabase_service_role_key.get_secret_value().strip()):
        raise ConfigError("backend is 'supabase' but `supabase_url` or `supabase_service_role_key` is empty: add both "
                          "to .streamlit/secrets.toml "
                          "(or CALLEXPERT_SUPABASE_URL / CALLEXPERT_SUPABASE_SERVICE_ROLE_KEY).")
    if settings.meeting_provider == "google" and not (settings.google.credentials_file
                                                      or settings.google.credentials_json.get_secret_value()):
        raise ConfigError(
            "meeting_provider is 'google' but no Google credentials are set: add "
            "`credentials_file` (or `credentials_json`) under [google] in .streamlit/secrets.toml."
        )


def _validate_midtrans(settings: Settings) -> None:
    """The [midtrans] keys; the keys themselves never appear in a message."""
    midtrans = settings.midtrans
    if settings.payment_gateway != "midtrans":
        return
    server_key = midtrans.server_key.get_secret_value().strip()
    missing = [k for k in ("server_key", "client_key") if not getattr(midtrans, k).get_secret_value().strip()]
    if missing:
        raise ConfigError(
            f"payment_gateway is 'midtrans' but {' and '.join(f'`midtrans.{k}`' for k in missing)} "
            f"{'is' if len(missing) == 1 else 'are'} empty: copy the keys from the Midtrans dashboard "
            "(Settings > Access Keys) into [midtrans] in .streamlit/secrets.toml, or set "
            "CALLEXPERT_MIDTRANS_SERVER_KEY / CALLEXPERT_MIDTRANS_CLIENT_KEY."
        )
    # Sandbox keys carry an "SB-" prefix; a key of the other environment fails every call with 401.
    if midtrans.is_production and server_key.startswith("SB-"):
        raise ConfigError("`midtrans.is_production` is true but `midtrans.server_key` is a sandbox key (SB-...): "
                          "use the production keys, or set is_production = false.")
    if not midtrans.is_production and server_key.startswith("Mid-server-"):
        raise ConfigError("`midtrans.is_production` is false (sandbox) but `midtrans.server_key` is a production "
                          "key: use the sandbox keys (SB-Mid-server-...), or set is_production = true.")


def _validate_smtp(settings: Settings) -> None:
    smtp = settings.smtp
    if not smtp.host.strip():
        raise ConfigError("email_backend is 'smtp' but no mail server is set: add `host` under [smtp].")
    if not smtp.from_address.strip():
        raise ConfigError("email_backend is 'smtp' but `from_address` under [smtp] is empty; "
                          "set the address emails are sent from, e.g. bookings@your-domain.co.id.")
    if smtp.ca_file and not Path(smtp.ca_file).is_file():
        raise ConfigError(f"Setting `smtp.ca_file` is {smtp.ca_file!r}, which is not a file.")
    if smtp.max_send_seconds >= settings.email_lease_seconds:
        raise ConfigError(
            f"One email may take up to {smtp.max_send_seconds:.0f} s with the [smtp] timeout, attempts and "
            f"backoff, but `email_lease_seconds` is {settings.email_lease_seconds}: raise it or lower those."
        )


def _validate_default_availability(text: str) -> None:
    """Refuse default hours that an availability file could not hold, with the reason in words."""
    if not text.strip():
        return
    from lib.scheduling.parse import from_json  # the availability rules load only when the setting is used

    try:
        from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Setting `default_availability` is not JSON: {exc.msg} (line {exc.lineno}, column "
                          f"{exc.colno}); write it as an availability file (docs/availability.md).") from None
    except InvalidInput as exc:
        raise ConfigError(f"Setting `default_availability`: {exc}") from None


def load_settings(
    secrets_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the secrets file and the environment (``os.environ`` unless given), environment first,
    and validate; raise ``ConfigError`` naming the bad setting. Reads afresh on every call: a running
    console keeps one reading, ``current_settings()``."""
    env = os.environ if environ is None else environ
    path = (Path(secrets_path) if secrets_path is not None
            else Path(env.get(f"{ENV_PREFIX}SECRETS_FILE", DEFAULT_SECRETS_PATH)))
    file = _read_file(path)
    values = _known(Settings, _env_over_file(file, _read_environment(env)))
    # Streamlit's own OIDC sign-in reads [auth] from the same file (its client secret stays there and
    # never enters these settings); the table's presence switches demo mode off.
    values["sign_in"] = isinstance(file.get("auth"), Mapping) and bool(file["auth"])
    try:
        settings = Settings(**values)
    except BadSetting as exc:
        names = {key.lower() for key in env}
        from_env = [env_name(n) for n in exc.names if env_name(n).lower() in names]
        if not from_env:
            raise
        raise BadSetting(f"{exc} (Read from the environment: {', '.join(from_env)}.)", exc.names) from None
    validate(settings)
    return settings


@functools.cache
def current_settings() -> Settings:
    """This process's settings: read and validated on the first call, the same object after, so a
    page run, a command or the worker never reads the file again (a change needs a restart). A
    refused reading is not kept. Tests start afresh with ``current_settings.cache_clear()``."""
    return load_settings()


def _read_file(path: Path) -> dict[str, Any]:
    """The secrets file as pydantic-settings' TOML source reads it; no file, no values."""
    try:
        return TomlConfigSettingsSource(Settings, path)()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}).") from None


def _read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``CALLEXPERT_*`` variables of ``environ``, a table's keys under the table's name."""
    source = EnvSettingsSource(Settings)
    if environ is not os.environ:
        source.env_vars = {key.lower(): value for key, value in environ.items()}  # names match in any case
    try:
        return source()
    except SettingsError:
        # A table given whole, e.g. CALLEXPERT_GOOGLE, is read as JSON; its text is not repeated here.
        tables = [name for name in ("google", "smtp", "midtrans") if env_name(name).lower() in source.env_vars]
        raise ConfigError(f"{', '.join(env_name(t) for t in tables) or 'A CALLEXPERT_ variable'} is not a JSON "
                          "table; set one key per variable instead, e.g. CALLEXPERT_SMTP_HOST.") from None


def _env_over_file(file: Mapping[str, Any], env: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(file)
    for key, value in env.items():
        both_tables = isinstance(value, Mapping) and isinstance(merged.get(key), Mapping)
        merged[key] = {**merged[key], **value} if both_tables else value
    return merged


def _known(model: type[Settings], values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the keys that are settings: the secrets file holds Streamlit's own tables too, and a name
    the console does not know is passed over, at the top level and in its tables alike."""
    tables = {"google": GoogleSettings, "smtp": SmtpSettings, "midtrans": MidtransSettings}
    known: dict[str, Any] = {}
    for key, value in values.items():
        if key in tables and isinstance(value, Mapping):
            known[key] = {k: v for k, v in value.items() if k in tables[key].model_fields}
        elif key in model.model_fields:
            known[key] = value
    return known
