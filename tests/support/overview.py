"""Known bookings for the Overview's figures, written through a store's own transitions and then
given chosen creation, payment and link times (the stores stamp "now" themselves).

The figures they must give, counted by hand, are spelled out beside each booking and in
``EXPECTED``; the range is ``FIRST`` to ``LAST`` in Asia/Jakarta (UTC+7).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lib.domain import Attendance, EmailStatus, HistoryLine, NewBooking, NewCustomer
from lib.notify.templates import emails_for
from lib.service import history

TZ = ZoneInfo("Asia/Jakarta")
FIRST, LAST = date(2030, 3, 4), date(2030, 3, 12)  # Monday to the next week's Tuesday
SESSION_DAY = date(2030, 3, 11)
PRICE = 250_000
RATE_LIMIT = "Google Calendar rate limit reached (rateLimitExceeded); try again shortly."
SERVER = "Google Calendar had a server error (HTTP 503); try again shortly."

# Stamp(booking_id, created, paid, confirmed): set those instants (None leaves a column as it is).
Stamp = Callable[[str, datetime, datetime | None, datetime | None], None]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Jakarta as an instant."""
    return datetime.combine(day, time(hour, minute), TZ)


def sqlite_stamp(store) -> Stamp:  # noqa: ANN001 - a SQLiteStore
    def stamp(booking_id: str, created: datetime, paid: datetime | None, confirmed: datetime | None) -> None:
        utc = {"created_at": created, "paid_at": paid, "confirmed_at": confirmed}
        for column, value in utc.items():
            if value is not None:
                store._conn().execute(f"UPDATE bookings SET {column} = ? WHERE id = ?",
                                      (value.astimezone(UTC).isoformat(timespec="seconds"), booking_id))
    return stamp


def book_linked(store, expert: str, customer: str, day: date, at: time) -> str:  # noqa: ANN001 - any BookingStore
    """An hour's booking of ``expert`` by ``customer`` at ``at`` on ``day``, paid and confirmed now."""
    new = NewBooking(id=str(uuid.uuid4()), expert_id=expert, session_type="Career mentoring",
                     scheduled_date=day, scheduled_time=at, duration=60, price=PRICE, customer_id=customer,
                     new_customer=None, request_key=None)
    booking_id = store.create_booking(new, "ops", line=history.created(PRICE)).id
    store.mark_paid(booking_id, "pay", datetime.now(UTC), "ops", line=history.paid("pay"))
    booking = store.get_booking(booking_id)
    store.confirm(booking_id, f"https://meet.example.com/{booking_id[:8]}", None, 0, datetime.now(UTC),
                  emails_for(booking, "confirmed", TZ), "ops", line=HistoryLine("confirmed", "link created"))
    return booking_id


def fill_overview(store, stamp: Stamp) -> None:  # noqa: ANN001 - any BookingStore
    """Ten bookings: eight made in the range (by the Jakarta day), one made just before it and one
    made just after it (17:30 UTC on the range's last day is already the next day in Jakarta)."""
    sari = store.add_expert("Sari Wulandari", "sari@example.com", PRICE, "Career").id
    budi = store.add_expert("Budi Santoso", "budi@example.com", PRICE, "Business").id
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com")).id

    def book(expert: str, day: date, at: time) -> str:
        new = NewBooking(id=str(uuid.uuid4()), expert_id=expert, session_type="Career mentoring", scheduled_date=day,
                         scheduled_time=at, duration=60, price=PRICE, customer_id=andi, new_customer=None,
                         request_key=None)
        return store.create_booking(new, "ops", line=history.created(PRICE)).id

    def pay(booking_id: str) -> None:
        store.mark_paid(booking_id, "pay", datetime.now(UTC), "ops", line=history.paid("pay"))

    def confirm(booking_id: str) -> None:
        booking = store.get_booking(booking_id)
        store.confirm(booking_id, f"https://meet.example.com/{booking_id[:8]}", None, 0, datetime.now(UTC),
                      emails_for(booking, "confirmed", TZ), "ops", line=HistoryLine("confirmed", "link created"))

    def linked(expert: str, at: time, created: datetime, delay_s: int) -> str:
        booking_id = book(expert, SESSION_DAY, at)
        pay(booking_id)
        confirm(booking_id)
        paid_at = created + timedelta(minutes=10)
        stamp(booking_id, created, paid_at, paid_at + timedelta(seconds=delay_s))
        return booking_id

    # Tuesday 5 March (Jakarta): three linked, 30 s, 90 s and 150 s after payment. The first was
    # made at 06:00 Jakarta, still 4 March in UTC.
    b1 = linked(sari, time(9), local(date(2030, 3, 5), 6), 30)
    b2 = linked(sari, time(15), local(date(2030, 3, 5), 10), 90)
    b3 = linked(budi, time(13), local(date(2030, 3, 5), 12), 150)
    store.record_link_attempt(b1, None, "worker", line=history.link_attempt(None))
    # b1's session ends first: completed.
    assert store.complete_ended(datetime.combine(SESSION_DAY, time(12)), datetime.now(UTC), "worker",
                                line=history.completed()) == 1

    # Wednesday 6 March: one expired unpaid, one cancelled before payment, one cancelled after payment.
    expired = book(sari, date(2030, 3, 20), time(9))
    stamp(expired, local(date(2030, 3, 6), 9), None, None)
    assert [b.id for b in store.expire_pending(local(date(2030, 3, 7), 0), datetime.now(UTC), "worker",
                                               line=history.expired())] == [expired]
    unpaid = book(sari, date(2030, 3, 20), time(11))
    store.cancel(unpaid, datetime.now(UTC), "x", [], "ops", line=history.cancelled("x"))
    stamp(unpaid, local(date(2030, 3, 6), 10), None, None)
    refunded = book(sari, date(2030, 3, 20), time(13))
    pay(refunded)
    store.cancel(refunded, datetime.now(UTC), "x", [], "ops", line=history.cancelled("x"))
    stamp(refunded, local(date(2030, 3, 6), 11), local(date(2030, 3, 6), 11, 5), None)

    # Monday 11 March: one paid whose link failed three times (twice the rate limit), one pending.
    waiting = book(budi, date(2030, 3, 21), time(9))
    pay(waiting)
    for error in (RATE_LIMIT, SERVER, RATE_LIMIT):
        store.record_link_attempt(waiting, error, "worker", line=history.link_attempt(error))
    stamp(waiting, local(date(2030, 3, 11), 9), local(date(2030, 3, 11), 9, 1), None)
    pending = book(budi, date(2030, 3, 21), time(11))
    stamp(pending, local(date(2030, 3, 11), 10), None, None)

    # Outside the range: made 3 March 23:59 Jakarta, and 13 March 00:30 Jakarta (12 March in UTC).
    before = linked(budi, time(15), local(date(2030, 3, 3), 23, 59), 1000)
    after = linked(budi, time(17), local(date(2030, 3, 13), 0, 30), 2000)
    store.record_link_attempt(after, SERVER, "worker", line=history.link_attempt(SERVER))
    assert before and after

    # Attendance of the three sessions on 11 March (Jakarta), recorded: b1 both joined, the
    # expert 2 min early, the customer 2 min late; b2 only the expert, 4 min late (a customer
    # no-show); b3 only the customer, 10 min late (an expert no-show). Left out: the session made
    # before the range (recorded), one still waiting and one without data.
    def attended(booking_id: str, status: str, expert: datetime | None, customer: datetime | None) -> None:
        assert store.save_attendance(Attendance(booking_id, status, expert_joined=expert is not None,
                                                customer_joined=customer is not None, expert_joined_at=expert,
                                                customer_joined_at=customer), [], "worker")

    attended(b1, "recorded", local(SESSION_DAY, 8, 58), local(SESSION_DAY, 9, 2))
    attended(b2, "recorded", local(SESSION_DAY, 15, 4), None)
    attended(b3, "recorded", None, local(SESSION_DAY, 13, 10))
    attended(before, "recorded", local(SESSION_DAY, 15, 30), local(SESSION_DAY, 15, 30))
    attended(waiting, "waiting", None, None)
    attended(refunded, "no data", None, None)

    # The range's six emails (two per linked booking): one sent, one failed, four waiting.
    in_range = [e for e in store.list_emails() if e.booking_id not in (before, after)]
    assert len(in_range) == 6
    store.mark_email(in_range[0].id, EmailStatus.SENT, None, datetime.now(UTC))
    store.mark_email(in_range[1].id, EmailStatus.FAILED, "mailbox unavailable", datetime.now(UTC))


# Counted by hand from fill_overview.
EXPECTED_PER_DAY = [(date(2030, 3, 5), "completed", 1), (date(2030, 3, 5), "confirmed", 2),
                    (date(2030, 3, 6), "cancelled", 2), (date(2030, 3, 6), "expired", 1),
                    (date(2030, 3, 11), "paid", 1), (date(2030, 3, 11), "pending", 1)]
EXPECTED_REVENUE = [(date(2030, 3, 4), 3 * PRICE, 3), (date(2030, 3, 11), PRICE, 1)]  # Mondays
# made, paid, confirmed, completed, expired unpaid, cancelled before / after payment / after
# confirmation, awaiting payment, awaiting a link, session to come
EXPECTED_FUNNEL = (8, 5, 3, 1, 1, 1, 1, 0, 1, 1, 2)
# 30, 90, 150 s: median 90; 95th percentile at rank 0.95 * 2 = 1.9: 90 + 0.9 * 60 = 144
EXPECTED_DELAY = [(date(2030, 3, 5), 3, 90.0, 144.0)]
EXPECTED_ATTEMPTS = 4  # b1's success and the three failures
EXPECTED_ERRORS = [(RATE_LIMIT, 2), (SERVER, 1)]
EXPECTED_EMAILS = {"failed": 1, "queued": 4, "sent": 1}
# Attendance (expert, sessions, both joined, expert no-shows, customer no-shows), by name.
EXPECTED_ATTENDANCE = [("Budi Santoso", 1, 0, 1, 0), ("Sari Wulandari", 2, 1, 0, 1)]
# Seconds after the start: experts -120 and 240 (median 60 s = 1 min; 95th percentile -120 +
# 0.95 * 360 = 222 s = 3.7 min); customers 120 and 600 (median 360 s = 6 min; 95th percentile
# 120 + 0.95 * 480 = 576 s = 9.6 min).
EXPECTED_LATENESS = [("expert", 2, 1.0, 3.7), ("customer", 2, 6.0, 9.6)]
