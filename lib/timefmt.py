"""Dates, times and money as text, through Babel (CLDR) rather than hand-written tables.

The console speaks English with Indonesian number conventions: its locale is ``en_ID``
("Thursday, 3 December 2026, 14:00 WIB", "Rp 250.000"). Emails pass the locale of their
language (``id`` for Indonesian: "Kamis, 3 Desember 2026, 14:00 WIB").

Every date a person reads is written here, in one family: the weekday first, the day before
the month, then the time as 24-hour ``HH:MM`` (after a comma in the long and medium lengths)
and the zone. Three lengths:

- long, ``long_date``/``when``/``local_when``: "Thursday, 3 December 2026, 14:00 WIB", where
  one booking's time stands on its own (its card, the emails, the picker's chosen day);
- medium, ``medium_date``/``medium_when``/``local_medium_when``: "Thu 3 Dec 2026, 14:00 WIB",
  in tables, a booking's history, lists and messages (``local_medium_span``: "Thu 3 Dec 2026,
  14:00–15:00 WIB");
- short, ``short_date``: "Thu 03/12" ("Thu 03/12 14:00" with a time), in a narrow column, a chart
  axis or a pick list.

Machine formats stay ISO 8601 and are not written here: CSV exports, ``--json``, addresses.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

# English words, Indonesian numbers: the rupiah reads "Rp 250.000" as people here write it.
CONSOLE_LOCALE = "en_ID"
# The pattern of a rupiah amount: the symbol, a space, whole rupiah grouped by the locale.
_RUPIAH = "¤ #,##0"


@lru_cache(maxsize=1024)  # tables repeat the same few prices and days thousands of times
def rupiah(amount: int, locale: str = CONSOLE_LOCALE) -> str:
    """``250000`` -> ``Rp 250.000`` (in ``en_ID`` and ``id``; ``en`` would say ``IDR 250,000``)."""
    return format_currency(amount, "IDR", format=_RUPIAH, currency_digits=False, locale=locale)


def number(value: int | float, locale: str = CONSOLE_LOCALE) -> str:
    """``1234567.5`` -> ``1.234.567,5`` in ``en_ID``/``id``, ``1,234,567.5`` in ``en``."""
    return format_decimal(value, locale=locale)


def zone_abbreviation(tz: ZoneInfo, on: date) -> str:
    """``WIB``/``WITA``/``WIT`` for the Indonesian zones; what the zone database calls others
    (``CET``, ``+04``). The same in every language, as Indonesians write it."""
    return datetime.combine(on, time(12), tz).tzname() or str(tz)


@lru_cache(maxsize=1024)
def long_date(day: date, locale: str = CONSOLE_LOCALE) -> str:
    """``Thursday, 3 December 2026`` (``Kamis, 3 Desember 2026`` in ``id``)."""
    return format_date(day, "EEEE, d MMMM y", locale=locale)


def short_date(day: date, locale: str = CONSOLE_LOCALE) -> str:
    """``Thu 03/12``: a day in a narrow column or a chart axis (``Kam 03/12`` in ``id``)."""
    return format_date(day, "EEE dd/MM", locale=locale)


@lru_cache(maxsize=1024)
def medium_date(day: date, locale: str = CONSOLE_LOCALE) -> str:
    """``Thu 3 Dec 2026``: a day in a table, a history line or a message (``Kam 3 Des 2026`` in ``id``)."""
    return format_date(day, "EEE d MMM y", locale=locale)


def medium_when(day: date, at: time, tz: ZoneInfo | None = None, locale: str = CONSOLE_LOCALE) -> str:
    """``Thu 3 Dec 2026, 14:00 WIB``: a wall-clock time in ``tz`` with its zone; without ``tz``
    (a store that knows no zone) ``Thu 3 Dec 2026, 14:00``, in the console's zone."""
    zone = f" {zone_abbreviation(tz, day)}" if tz is not None else ""
    return f"{medium_date(day, locale)}, {at:%H:%M}{zone}"


def local_medium_when(instant: datetime, tz: ZoneInfo, locale: str = CONSOLE_LOCALE) -> str:
    """An aware instant as a table's or history's time in ``tz``: ``Thu 3 Dec 2026, 14:00 WIB``."""
    local = instant.astimezone(tz)
    return medium_when(local.date(), local.time(), tz, locale)


def local_medium_span(start: datetime, end: datetime, tz: ZoneInfo, locale: str = CONSOLE_LOCALE) -> str:
    """Two aware instants as one span in ``tz``: ``Thu 3 Dec 2026, 14:00–15:00 WIB``; the end's
    day is written too when it is another (``Thu 3 Dec 2026, 23:30 WIB – Fri 4 Dec 2026, 00:30 WIB``)."""
    first, last = start.astimezone(tz), end.astimezone(tz)
    if first.date() != last.date():
        return f"{local_medium_when(first, tz, locale)} – {local_medium_when(last, tz, locale)}"
    return f"{medium_date(first.date(), locale)}, {first:%H:%M}–{last:%H:%M} {zone_abbreviation(tz, first.date())}"


def when(day: date, at: time, tz: ZoneInfo, locale: str = CONSOLE_LOCALE) -> str:
    """``Thursday, 3 December 2026, 14:00 WIB``: a wall-clock time in ``tz`` with its zone."""
    return f"{long_date(day, locale)}, {at:%H:%M} {zone_abbreviation(tz, day)}"


def local_when(instant: datetime, tz: ZoneInfo, locale: str = CONSOLE_LOCALE) -> str:
    """An aware instant as wall-clock text in ``tz``: ``Thursday, 3 December 2026, 14:00 WIB``."""
    local = instant.astimezone(tz)
    return when(local.date(), local.time(), tz, locale)
