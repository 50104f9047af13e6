"""The checks on settings beyond one value's type and range: the link hosts and public address a
value must be, and ``validate``, which refuses combinations the console cannot start with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lib.config_base import refuse
from lib.errors import ConfigError, InvalidInput
from lib.validation import HOST_NAME

if TYPE_CHECKING:
    from lib.config import Settings


def check_jitsi_base_url(value: str) -> str:
    """``jitsi_base_url``: the https:// address of a Jitsi server."""
    jitsi = urlsplit(value.strip())
    if jitsi.scheme != "https" or not jitsi.hostname or not HOST_NAME.match(jitsi.hostname):
        raise refuse(f" is {value!r}; use the https:// address of the Jitsi server, e.g. https://meet.jit.si.")
    return value


def check_link_hosts(value: str) -> str:
    """``allowed_link_hosts``: host names only, separated by commas."""
    for host in (h.strip() for h in value.split(",")):
        if host and not HOST_NAME.match(host.lower()):
            raise refuse(f" lists {host!r}, which is not a host name: write names only, such as zoom.us "
                         "(no https://, path or port), separated by commas.")
    return value


def check_public_base_url(value: str) -> str:
    """``public_base_url``: empty, or an https:// address with a host and no user, query or fragment
    (it is put in front of ``/j/<token>`` in every email)."""
    if not value:
        return value
    url = urlsplit(value)
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    if (url.scheme != "https" or not url.hostname or not HOST_NAME.match(url.hostname) or not port_ok
            or "@" in url.netloc or url.query or url.fragment or "?" in value or "#" in value
            or value != value.strip()):
        raise refuse(f" is {value!r}; use the https:// address the notification endpoint is reached at, without "
                     "a user, query or fragment, e.g. https://console.example.com/notify (or leave it empty).")
    return value


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
