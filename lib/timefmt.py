"""Dates and money the way people in Indonesia read them."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
              "Agustus", "September", "Oktober", "November", "Desember")


def rupiah(amount: int) -> str:
    """``250000`` -> ``Rp 250.000`` (dots group thousands in Indonesian)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


def zone_abbreviation(tz: ZoneInfo, on: date) -> str:
    """``WIB`` for Asia/Jakarta; whatever the zone database calls other zones."""
    return datetime.combine(on, time(12), tz).tzname() or str(tz)


def long_date(day: date) -> str:
    """``Senin, 24 November 2026``."""
    return f"{_DAYS_ID[day.weekday()]}, {day.day} {_MONTHS_ID[day.month - 1]} {day.year}"


def when(day: date, at: time, tz: ZoneInfo) -> str:
    """``Senin, 24 November 2026, 14:00 WIB``."""
    return f"{long_date(day)}, {at:%H:%M} {zone_abbreviation(tz, day)}"
