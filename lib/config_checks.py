"""The checks on one setting's value beyond its type and range: the link hosts and public address a
value must be, the reminder offsets, the zone, the listening host and the support address. The checks
across settings (``validate``) are in ``lib.config``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.config_base import refuse
from lib.errors import InvalidInput
from lib.validation import HOST_NAME, clean_email


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


# A reminder at most this long before a session: a week (a longer one is a typo, e.g. hours as minutes).
MAX_REMINDER_MINUTES = 7 * 24 * 60
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


def parse_reminder_offsets(raw: Any) -> tuple[int, ...]:
    """Reminder offsets as minutes, largest first: a list (or comma-separated text) of whole
    minutes or of ``<n>m``, ``<n>h``, ``<n>d`` (``["24h", "1h"]`` -> ``(1440, 60)``)."""
    items = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).split(",") if p.strip()]
    minutes: list[int] = []
    for item in items:
        text = str(item).strip().lower()
        unit = _UNITS.get(text[-1:], 0) if text else 0
        number = text[:-1] if unit else text
        if isinstance(item, bool) or not number.isdigit():
            raise refuse(f" must list minutes or times such as \"24h\", \"90m\", \"1d\"; got {item!r}.")
        value = int(number) * (unit or 1)
        if not 0 < value <= MAX_REMINDER_MINUTES:
            raise refuse(f": {item!r} must be more than 0 and at most 7 days before the session.")
        minutes.append(value)
    if len(set(minutes)) != len(minutes):
        raise refuse(f" lists the same time twice: {list(items)!r}.")
    return tuple(sorted(minutes, reverse=True))


def parse_ics_choice(raw: Any) -> Any:
    """A TOML boolean or "yes"/"off" for ``attach_ics`` reads as the choice it means."""
    text = str(raw).strip().lower()
    return "true" if text in _YES else "false" if text in _NO else text


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(f" is {value!r}, which is not an IANA zone such as 'Asia/Jakarta'.") from None
    return value


def check_listen_host(value: str) -> str:
    if not value.strip():
        raise refuse(" is empty; use the address to listen on, e.g. 127.0.0.1.")
    return value


def check_support_email(value: str) -> str:
    if value:
        try:
            clean_email(value)
        except InvalidInput:
            raise refuse(f" is {value!r}; use one address such as support@example.com (or leave it empty).") from None
    return value
