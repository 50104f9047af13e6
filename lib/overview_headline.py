"""The Overview's headline row: bookings, revenue, the share that reached confirmed and the
no-show share of a range, each with its change against the period of the same length just
before (``lib.overview_readings.Overview.previous``)."""

from __future__ import annotations

from dataclasses import dataclass

from lib.overview_readings import Overview, PeriodTotals
from lib.timefmt import number, rupiah, short_date


@dataclass(frozen=True)
class Totals:
    """The headline's four numbers of one period: bookings made, their revenue, the share that
    reached confirmed and the share of recorded sessions with a no-show (``None``: nothing to share)."""

    bookings: int
    revenue: int
    confirmed_share: float | None
    no_show_share: float | None


def totals(period: PeriodTotals) -> Totals:
    """The headline's numbers of a period (see ``Totals``) from its totals."""
    made, sessions = period.made, period.sessions
    return Totals(bookings=made, revenue=period.revenue,
                  confirmed_share=period.confirmed / made if made else None,
                  no_show_share=(sessions - period.both_joined) / sessions if sessions else None)


@dataclass(frozen=True)
class Headline:
    """One figure of the headline row: its value and its change against the previous period.

    ``delta`` is ``None`` when there is nothing to compare with; ``delta_color`` is Streamlit's
    ("normal": a rise is good, "inverse": a rise is bad, "off": no change)."""

    label: str
    value: str
    delta: str | None
    delta_color: str
    help: str


def _signed(diff: float, text: str) -> str:
    return ("+" if diff > 0 else "-" if diff < 0 else "±") + text


def _share(value: float | None) -> str:
    return "–" if value is None else f"{number(round(100 * value))}%"


def _points(now: float | None, before: float | None) -> tuple[str | None, float]:
    """The change of a share in percentage points, as text, and its sign."""
    if now is None or before is None:
        return None, 0.0
    diff = round(100 * now) - round(100 * before)
    return _signed(diff, f"{number(abs(diff))} point{'s' * (abs(diff) != 1)}"), diff


def _color(diff: float, rising_is_good: bool) -> str:
    return "off" if diff == 0 else "normal" if rising_is_good else "inverse"


def headline(overview: Overview) -> list[Headline]:
    """Bookings, revenue, share confirmed and no-show share of the range, each with its change
    against the period of the same length just before (``overview.previous``)."""
    now = totals(PeriodTotals.of(overview.stats))
    before = totals(overview.previous) if overview.previous is not None else None
    first, last = overview.previous_days
    against = f"against the {number(overview.days)} day{'s' * (overview.days != 1)} before " \
              f"({short_date(first)} to {short_date(last)})"
    if before is None:
        bookings_delta = revenue_delta = None
        bookings_diff = revenue_diff = 0.0
    else:
        bookings_diff = now.bookings - before.bookings
        relative = f" ({_signed(bookings_diff, _share(abs(bookings_diff) / before.bookings))})" \
            if before.bookings and bookings_diff else ""
        bookings_delta = _signed(bookings_diff, number(abs(bookings_diff))) + relative
        revenue_diff = now.revenue - before.revenue
        revenue_delta = _signed(revenue_diff, rupiah(abs(revenue_diff)))
    confirmed_delta, confirmed_diff = _points(now.confirmed_share, before and before.confirmed_share)
    no_show_delta, no_show_diff = _points(now.no_show_share, before and before.no_show_share)
    return [
        Headline("Bookings", number(now.bookings), bookings_delta, _color(bookings_diff, True),
                 f"Bookings made in these days; the change is {against}."),
        Headline("Revenue", rupiah(now.revenue), revenue_delta, _color(revenue_diff, True),
                 f"The price of the bookings made in these days that are paid, confirmed or completed; "
                 f"the change is {against}."),
        Headline("Reached confirmed", _share(now.confirmed_share), confirmed_delta, _color(confirmed_diff, True),
                 f"The share of these days' bookings that got a meeting link; the change, in percentage points, "
                 f"is {against}."),
        Headline("No-show share", _share(now.no_show_share), no_show_delta, _color(no_show_diff, False),
                 f"The share of the sessions with recorded attendance that one side or both did not join; "
                 f"the change, in percentage points, is {against}."),
    ]
