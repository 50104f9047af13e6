"""The argument types of ``python -m lib``: days and whole numbers within the bounds a command can
handle, refused with argparse's own ``error: ...`` and exit 2 otherwise."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, timedelta

# Bounds of the numbers the commands take: beyond them a run would only tie up the machine (a
# thread per booking) or the store (one read of every queued email).
MAX_CONCURRENCY = 1000
MAX_EMAILS = 100_000

# The days ``--from`` may name. A day's slots are looked up from the day before to the day after
# (in the expert's zone), and up to MAX_DAYS days are listed: past these bounds Python's dates run
# out. Zone data before 1900 is guesswork anyway, so the range starts there.
FIRST_DAYS = (date(1900, 1, 1), date(9998, 12, 31))
# reconcile-calendar's ``--since``: up to RECONCILE_MAX_DAYS days from it must still be dates.
RECONCILE_MAX_DAYS = 366
RECONCILE_DAYS = (FIRST_DAYS[0], date.max - timedelta(days=RECONCILE_MAX_DAYS))


def day_within(low: date, high: date) -> Callable[[str], date]:
    """An argparse type: a YYYY-MM-DD day from ``low`` to ``high`` (else ``error: ...``, exit 2)."""

    def day(text: str) -> date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None
        if not low <= day <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside the days this command can list: use a day from "
                                             f"{low.isoformat()} to {high.isoformat()}")
        return day

    day.__name__ = "day"  # what argparse calls the type in its own messages
    return day


# ``slots --from``: a day within ``FIRST_DAYS``.
day = day_within(*FIRST_DAYS)


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (else ``error: ...``, exit 2)."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return value

    whole.__name__ = "whole number"  # what argparse calls the type in its own messages
    return whole
