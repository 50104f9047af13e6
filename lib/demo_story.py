"""The demo's story, planned: which bookings are made on each day and how each one goes.

Pure: a day's plan depends only on that date (a random generator seeded with it) and, for the
story's fixed beats and the weekly growth, on how many days before today it lies; ``lib.demo_data``
plays the plans through the booking service. The rhythm is a week's: most bookings are made on
Tuesdays and the fewest on Sundays (at least one a day), a little more each week, each for a
session one day to two weeks later (most days one of them a week or two ahead). Most sessions
are paid, linked, held and completed; a few bookings expire unpaid or are cancelled (before
payment, after it, after the link), some links fail and are tried again, some emails fail and
are resent, and some people join late or not at all.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

HISTORY_DAYS = 90  # days of bookings made before today

# Bookings made on each weekday (Monday first), before the weekly growth and the day's jitter.
WEEKLY_RHYTHM = (4, 5, 4, 4, 3, 2, 1)
# Who is booked how often (in ``lib.demo_data.EXPERTS`` order) and for how long.
EXPERT_WEIGHTS = (30, 25, 25, 20)
DURATIONS = ((30, 2), (45, 2), (60, 8), (90, 3), (120, 1))
# Days from the booking to its session, by weight.
LEADS = ((1, 10), (2, 10), (3, 10), (4, 9), (5, 9), (6, 8), (7, 9), (8, 6), (9, 6), (10, 6), (11, 5), (12, 5),
         (13, 4), (14, 4))


class Fate(str, enum.Enum):
    """How a booking's life goes (``lib.demo_data`` plays each one)."""

    HELD = "held"  # paid, linked within seconds, held and completed
    LINK_FLAKY = "link flaky"  # the first link attempt fails, the next one makes it
    LINK_RETRIED = "link retried"  # every attempt fails; ops create the link later
    EMAIL_RESENT = "email resent"  # the customer's confirmation fails; ops resend it
    EMAIL_FAILED = "email failed"  # the customer's confirmation fails and waits on the Ops page
    EXPIRED = "expired"  # never paid
    CANCELLED_UNPAID = "cancelled unpaid"  # cancelled before payment
    CANCELLED_PAID = "cancelled paid"  # paid, no link could be made, cancelled
    CANCELLED_CONFIRMED = "cancelled confirmed"  # cancelled after the link, before the session
    AWAITING_PAYMENT = "awaiting payment"  # made minutes ago, not paid yet
    AWAITING_LINK = "awaiting link"  # paid today, its link still to be made on the Ops page


# The rarer fates, by weight out of 1,000 (the rest are held).
FATES = ((Fate.EXPIRED, 50), (Fate.CANCELLED_UNPAID, 30), (Fate.CANCELLED_PAID, 10),
         (Fate.CANCELLED_CONFIRMED, 40), (Fate.LINK_FLAKY, 30), (Fate.LINK_RETRIED, 10), (Fate.EMAIL_RESENT, 15))


@dataclass(frozen=True)
class Joins:
    """Minutes after the session's start each side joined (negative: early); ``None``: did not join."""

    expert: int | None = -2
    customer: int | None = 0


@dataclass(frozen=True)
class PlannedBooking:
    """One booking of the story: made at ``made_at`` (an instant) for a session ``lead_days`` later,
    at the ``pick`` (0 to 1) share of that day's free starts."""

    key: str  # the request key: seeding again finds the booking by it
    made_at: datetime
    expert: int  # index in lib.demo_data.EXPERTS
    customer: int  # index in lib.demo_data.CUSTOMERS
    duration: int
    lead_days: int
    pick: float
    fate: Fate = Fate.HELD
    pay_after: timedelta = timedelta(minutes=3)  # from making to paying
    link_after: timedelta = timedelta(seconds=8)  # from paying to the link
    joins: Joins = Joins()


# The beats every fresh seeding has, whatever the dice say: (days before today, what booking
# number 0 of that day is made to do). A session with attendance is made at least its lead plus
# four days before today, so it is over even when its day is full and it moves up to three days.
BEATS: dict[int, dict[str, object]] = {
    1: {"fate": Fate.EMAIL_FAILED, "lead_days": 3},
    4: {"fate": Fate.EXPIRED, "lead_days": 5},
    5: {"fate": Fate.HELD, "lead_days": 1, "joins": Joins(expert=-3, customer=None)},
    6: {"fate": Fate.LINK_RETRIED, "lead_days": 3, "link_after": timedelta(minutes=38)},
    7: {"fate": Fate.CANCELLED_UNPAID, "lead_days": 4},
    8: {"fate": Fate.EMAIL_RESENT, "lead_days": 2},
    9: {"fate": Fate.HELD, "lead_days": 1, "joins": Joins(expert=None, customer=1)},
    10: {"fate": Fate.CANCELLED_PAID, "lead_days": 6},
    11: {"fate": Fate.LINK_FLAKY, "lead_days": 2},
    12: {"fate": Fate.CANCELLED_CONFIRMED, "lead_days": 9},
    13: {"fate": Fate.HELD, "lead_days": 1, "joins": Joins(expert=-1, customer=14)},
    15: {"fate": Fate.HELD, "lead_days": 2, "joins": Joins(expert=None, customer=None)},
    16: {"fate": Fate.HELD, "lead_days": 1, "joins": Joins(expert=6, customer=9)},
}


def _weighted(rng: random.Random, choices: tuple[tuple[object, int], ...]) -> object:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _joins(rng: random.Random) -> Joins:
    """Who joined and how late: most on time, a few late, a few no-shows of each side."""
    roll = rng.random()  # below 0.015 neither joins, below 0.04 the expert does not, below 0.09 the customer
    expert = rng.choice((-5, -4, -3, -2, -2, -1, -1, 0, 0, 1, 2)) if roll >= 0.04 else None
    customer = rng.choice((-3, -2, -1, 0, 0, 1, 1, 2, 3, 4)) if roll >= 0.09 or 0.015 <= roll < 0.04 else None
    if customer is not None and rng.random() < 0.15:
        customer = rng.randint(6, 15)  # a late join
    if expert is not None and rng.random() < 0.05:
        expert = rng.randint(4, 9)
    return Joins(expert=expert, customer=customer)


def plan_day(day: date, today: date, now: datetime, tz: tzinfo, customers: int) -> list[PlannedBooking]:
    """The bookings made on ``day`` (at most ``HISTORY_DAYS`` before ``today``, never after it),
    in the order they were made. On ``today`` they are made before ``now``, the last two just
    now: one still awaiting payment, one paid and awaiting its link."""
    rng = random.Random(day.toordinal())
    weeks_ago = (today - day).days / 7
    count = WEEKLY_RHYTHM[day.weekday()] + rng.choice((-1, 0, 0, 1)) + (1 if rng.random() > weeks_ago / 13 else 0)
    count = max(count, 1)
    ahead = rng.random() < 0.6  # one more, booked a week or two ahead
    # Made between 07:00 and 22:30 on the day, in the app timezone; today, compressed to before now.
    opening, closing = datetime.combine(day, time(7), tz), datetime.combine(day, time(22, 30), tz)
    moments = sorted(opening + (closing - opening) * rng.random() for _ in range(count + ahead))
    if day == today:
        midnight = datetime.combine(day, time(0), tz)
        until = max(midnight, min(closing, now - timedelta(minutes=40)))
        moments = [midnight + (m - midnight) * ((until - midnight) / (closing - midnight)) for m in moments]
    plans = []
    for n, made_at in enumerate(moments):
        fate = Fate.HELD if rng.random() >= sum(w for _, w in FATES) / 1000 else _weighted(
            rng, tuple((f, w) for f, w in FATES))
        plans.append(PlannedBooking(
            key=f"demo-{day:%Y%m%d}-{n}", made_at=made_at,
            expert=int(_weighted(rng, tuple(enumerate(EXPERT_WEIGHTS)))),  # type: ignore[call-overload]
            customer=rng.randrange(customers), duration=int(_weighted(rng, DURATIONS)),  # type: ignore[call-overload]
            lead_days=int(_weighted(rng, LEADS)), pick=rng.random(), fate=fate,  # type: ignore[call-overload,arg-type]
            pay_after=timedelta(seconds=rng.randint(40, 600)),
            link_after=timedelta(seconds=rng.choice((2, 3, 4, 5, 6, 8, 12, 20, 45, 90))),
            joins=_joins(rng)))
    if ahead:
        n = rng.randrange(len(plans))
        plans[n] = replace(plans[n], lead_days=rng.randint(8, 14))
    beat = BEATS.get((today - day).days)
    if beat and plans:
        plans[0] = replace(plans[0], **beat)  # type: ignore[arg-type]
    if day == today:
        plans += [PlannedBooking(f"demo-{day:%Y%m%d}-{len(plans) + n}", now - ago, expert, customer, 60, lead, 0.5,
                                 fate)
                  for n, (ago, expert, customer, lead, fate) in enumerate((
                      (timedelta(minutes=25), 1, 2, 4, Fate.AWAITING_LINK),
                      (timedelta(minutes=4), 3, 1, 5, Fate.AWAITING_PAYMENT)))]
    return plans


def plan(today: date, now: datetime, tz: tzinfo, customers: int) -> list[PlannedBooking]:
    """Every booking of the story, ``HISTORY_DAYS`` before ``today`` to ``now``, by day made."""
    return [p for back in range(HISTORY_DAYS, -1, -1)
            for p in plan_day(today - timedelta(days=back), today, now, tz, customers)]
