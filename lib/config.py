"""Settings from `.streamlit/secrets.toml` and the environment, validated once.

Environment variables win over the file: ``CALLEXPERT_<KEY>`` for a top-level key and
``CALLEXPERT_GOOGLE_<KEY>`` for a key of the ``[google]`` table. With neither present every
setting has an embedded default that needs no account.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.errors import ConfigError

ENV_PREFIX = "CALLEXPERT_"
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


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Jakarta"
    backend: str = "sqlite"
    sqlite_path: str = "data/callexpert.db"
    seed_demo_data: bool = True
    meeting_provider: str = "jitsi"
    jitsi_base_url: str = "https://meet.jit.si"
    payment_gateway: str = "demo"
    email_backend: str = "outbox"
    link_attempts: int = 3
    link_backoff_seconds: float = 1.0
    link_backoff_max_seconds: float = 30.0
    link_concurrency: int = 8
    link_lease_seconds: int = 300
    booking_horizon_days: int = 365
    google: GoogleSettings = field(default_factory=GoogleSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_CHOICES = {
    "backend": ("sqlite",),
    "meeting_provider": ("jitsi", "google"),
    "payment_gateway": ("demo",),
    "email_backend": ("outbox",),
}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Turn a TOML or environment value into the type of the default, or say what is wrong."""
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
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


def _section(cls: type, values: Mapping[str, Any], env: Mapping[str, str], prefix: str, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    defaults = cls()
    for f in fields(cls):
        if f.name == "google":
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
    path = Path(secrets_path) if secrets_path is not None else Path(env.get(f"{ENV_PREFIX}SECRETS_FILE", DEFAULT_SECRETS_PATH))
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    top = _section(Settings, data, env, ENV_PREFIX, "")
    google = GoogleSettings(**_section(GoogleSettings, data.get("google", {}), env, f"{ENV_PREFIX}GOOGLE_", "google."))
    settings = Settings(**top, google=google)
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
        raise ConfigError(f"Setting `timezone` is {settings.timezone!r}, which is not an IANA zone such as 'Asia/Jakarta'.") from None
    if settings.link_attempts < 1:
        raise ConfigError("Setting `link_attempts` must be at least 1.")
    if settings.link_concurrency < 1:
        raise ConfigError("Setting `link_concurrency` must be at least 1.")
    if settings.meeting_provider == "google" and not (settings.google.credentials_file or settings.google.credentials_json):
        raise ConfigError(
            "meeting_provider is 'google' but no Google credentials are set: add "
            "`credentials_file` (or `credentials_json`) under [google] in .streamlit/secrets.toml."
        )
