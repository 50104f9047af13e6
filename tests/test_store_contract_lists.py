"""The ``BookingListStore`` contract (the lists the pages and jobs read, the ops counts and the Overview's figures),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.domain import (
    BookingStatus,
    EmailStatus,
    HistoryLine,
    NewCustomer,
)
from lib.service import history
from lib.store import BookingListStore
from lib.store.sqlite import SQLiteStore
from tests.support.postgres import psycopg
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    CREATED,
    DAY,
    NOW,
    TZ,
    confirmed,
    new,
    paid,
    people,
    pg_db,
    store,
)

CONTRACT = (BookingListStore,)  # the protocols whose every method this module exercises


def test_pending_since_lists_old_pending_bookings_oldest_first(store, people):
    first = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    second = store.create_booking(new(people.sari, people.andi, at=time(11, 0)), "ops", line=CREATED)
    paid(store, people, at=time(13, 0))
    gone = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    later = datetime.now(UTC) + timedelta(minutes=5)
    listed = store.pending_since(later)
    assert {b.id for b in listed} == {first.id, second.id}
    assert [b.created_at for b in listed] == sorted(b.created_at for b in listed)
    assert all(b.status is BookingStatus.PENDING and b.customer_name == "Andi Pratama" for b in listed)
    assert len(store.pending_since(later, limit=1)) == 1
    assert store.pending_since(datetime.now(UTC) - timedelta(hours=1)) == []



def test_upcoming_lists_confirmed_sessions_not_yet_ended_by_date_and_time(store, people):
    ended = confirmed(store, people, at=time(9, 0))  # 09:00-10:00
    running = confirmed(store, people, at=time(10, 30))  # 10:30-11:30, now is 11:00
    afternoon = confirmed(store, people, at=time(15, 0))
    tomorrow = confirmed(store, people, day=DAY + timedelta(days=1), at=time(8, 0))
    store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)  # pending: not listed
    cancelled = confirmed(store, people, at=time(17, 0))
    store.cancel(cancelled.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    other = store.create_booking(new(people.budi, people.andi, at=time(15, 0)), "ops", line=CREATED)
    store.mark_paid(other.id, "p", NOW, "ops", line=history.paid("p"))
    store.confirm(other.id, "https://meet.example.com/o", None, 0, NOW, [], "ops", line=HistoryLine("confirmed", "x"))

    now_local = datetime.combine(DAY, time(11, 0))
    listed = store.upcoming_for_expert(people.sari, now_local)
    assert [b.id for b in listed] == [running.id, afternoon.id, tomorrow.id]
    assert ended.id not in {b.id for b in listed}
    assert listed[0].customer_name == "Andi Pratama" and listed[0].meeting_link
    assert [b.id for b in store.upcoming_for_expert(people.sari, now_local, limit=2)] == [running.id, afternoon.id]
    assert store.upcoming_for_expert(str(uuid.uuid4()), now_local) == []



def test_upcoming_keeps_a_session_that_started_yesterday_and_runs_past_midnight(store, people):
    late = confirmed(store, people, at=time(23, 30), minutes=90)  # until 01:00 the next day
    after_midnight = datetime.combine(DAY + timedelta(days=1), time(0, 30))
    assert [b.id for b in store.upcoming_for_expert(people.sari, after_midnight)] == [late.id]
    assert store.upcoming_for_expert(people.sari, datetime.combine(DAY + timedelta(days=1), time(1, 0))) == []



def test_bookings_between_lists_the_chosen_states_overlapping_a_range_by_date_and_time(store, people):
    done = confirmed(store, people, day=DAY - timedelta(days=1), at=time(23, 30))  # runs into DAY
    store.complete_ended(datetime.combine(DAY, time(8, 0)), NOW, "cli", line=history.completed())
    morning = confirmed(store, people, at=time(9, 0))
    waiting = paid(store, people, at=time(11, 0))
    pending = store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)
    cancelled = confirmed(store, people, at=time(15, 0))
    store.cancel(cancelled.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    other = store.create_booking(new(people.budi, people.andi, at=time(8, 0)), "ops", line=CREATED)
    later = confirmed(store, people, day=DAY + timedelta(days=1), at=time(9, 0))  # after the range
    start, end = datetime.combine(DAY, time(0)), datetime.combine(DAY + timedelta(days=1), time(0))
    held = (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)

    found = store.bookings_between(start, end, held, people.sari)
    assert [b.id for b in found] == [done.id, morning.id, waiting.id]
    assert found[0].status is BookingStatus.COMPLETED and found[1].customer_name == "Andi Pratama"
    everyone = store.bookings_between(start, end, (BookingStatus.PENDING,))
    assert [b.id for b in everyone] == [other.id, pending.id]  # every expert's without one named
    assert [b.id for b in store.bookings_between(start, end, held, people.sari, limit=1)] == [done.id]
    assert later.id not in {b.id for b in store.bookings_between(start, end, held)}
    assert store.bookings_between(start, end, ()) == []
    assert store.bookings_between(start, end, held, str(uuid.uuid4())) == []



def test_missing_links_are_the_paid_bookings_without_a_link(store, people):
    first = paid(store, people, at=time(9, 0))
    second = paid(store, people, at=time(11, 0))
    confirmed(store, people, at=time(13, 0))
    store.create_booking(new(people.sari, people.andi, at=time(15, 0)), "ops", line=CREATED)
    missing = store.missing_links()
    assert {b.id for b in missing} == {first.id, second.id}
    assert all(b.status is BookingStatus.PAID and b.expert_name for b in missing)
    assert len(store.missing_links(limit=1)) == 1



def test_recent_bookings_filter_by_status_and_limit(store, people):
    a = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    b = paid(store, people, at=time(11, 0))
    c = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    assert {x.id for x in store.recent_bookings()} == {a.id, b.id, c.id}
    assert {x.id for x in store.recent_bookings(status=BookingStatus.PENDING)} == {a.id, c.id}
    assert [x.id for x in store.recent_bookings(status=BookingStatus.PAID)] == [b.id]
    assert len(store.recent_bookings(limit=2)) == 2



def test_counts_for_the_ops_page(store, people):
    confirmed(store, people, at=time(9, 0))
    paid(store, people, at=time(11, 0))
    store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)
    gone = store.create_booking(new(people.sari, people.andi, at=time(15, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    confirmed(store, people, day=DAY + timedelta(days=1), at=time(9, 0))
    counts = store.counts(DAY)
    assert (counts.today, counts.awaiting_payment, counts.awaiting_link, counts.emails_not_sent) == (2, 1, 1, 4)
    first = store.list_emails()[-1]
    store.mark_email(first.id, EmailStatus.SENT, None, NOW)
    assert store.counts(DAY).emails_not_sent == 3
    assert store.counts(DAY + timedelta(days=5)).today == 0



def test_confirmed_starting_lists_confirmed_sessions_in_the_window_by_start(store, people):
    late = confirmed(store, people, at=time(16, 0))
    early = confirmed(store, people, at=time(9, 0))
    confirmed(store, people, day=DAY + timedelta(days=2), at=time(9, 0))  # beyond the window
    paid(store, people, at=time(11, 0))  # not confirmed
    gone = confirmed(store, people, at=time(13, 0))
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    window = (datetime.combine(DAY, time(9, 0)), datetime.combine(DAY + timedelta(days=1), time(16, 0)))
    # The start is after the first bound (a session starting then has started) and at or before the second.
    assert [b.id for b in store.confirmed_starting(*window)] == [late.id]
    earlier = (datetime.combine(DAY, time(8, 59)), datetime.combine(DAY, time(16, 0)))
    assert [b.id for b in store.confirmed_starting(*earlier)] == [early.id, late.id]
    assert [b.id for b in store.confirmed_starting(*earlier, limit=1)] == [early.id]
    assert store.confirmed_starting(datetime.combine(DAY, time(16, 0)), datetime.combine(DAY, time(23, 0))) == []



@pytest.fixture
def stamp(store, request: pytest.FixtureRequest):
    """Set a booking's created_at, paid_at and confirmed_at (the stores stamp "now" themselves)."""
    from tests.support.overview import sqlite_stamp

    if isinstance(store, SQLiteStore):
        return sqlite_stamp(store)

    def on_postgres(booking_id: str, created: datetime, paid: datetime | None, confirmed: datetime | None) -> None:
        with psycopg.connect(request.getfixturevalue("pg_db"), autocommit=True) as conn:
            conn.execute("update bookings set created_at = %s, paid_at = coalesce(%s, paid_at),"
                         " confirmed_at = coalesce(%s, confirmed_at) where id = %s",
                         [created, paid, confirmed, booking_id])
    return on_postgres



def test_overview_stats_count_the_bookings_made_in_the_range_by_the_app_timezones_day(store, stamp):
    from lib.overview_readings import Funnel
    from tests.support import overview as known

    known.fill_overview(store, stamp)
    start = datetime.combine(known.FIRST, time(0), known.TZ)
    end = datetime.combine(known.LAST + timedelta(days=1), time(0), known.TZ)
    stats = store.overview_stats(start, end, "Asia/Jakarta")

    assert [(r.day, r.status, r.bookings) for r in stats.per_day] == known.EXPECTED_PER_DAY
    assert [(w.week, w.revenue, w.bookings) for w in stats.revenue] == known.EXPECTED_REVENUE
    assert stats.funnel == Funnel(*known.EXPECTED_FUNNEL)
    assert [(d.day, d.bookings, d.median_s, d.p95_s) for d in stats.link_delay] == known.EXPECTED_DELAY
    assert stats.link_attempts == known.EXPECTED_ATTEMPTS
    assert sorted(stats.link_errors) == sorted(known.EXPECTED_ERRORS)
    assert dict(stats.emails) == known.EXPECTED_EMAILS
    assert [(a.expert, a.sessions, a.both_joined, a.expert_no_shows, a.customer_no_shows)
            for a in stats.attendance] == known.EXPECTED_ATTENDANCE
    assert [(f.side, f.joins, pytest.approx(f.median_min), pytest.approx(f.p95_min))
            for f in stats.lateness] == known.EXPECTED_LATENESS

    # The same instants read in UTC: the booking made at 06:00 Jakarta on 5 March falls on the
    # 4th, and the one made at 00:30 Jakarta on 13 March on the 12th.
    utc = store.overview_stats(start, end + timedelta(hours=7), "UTC")
    assert (date(2030, 3, 4), "completed", 1) in [(r.day, r.status, r.bookings) for r in utc.per_day]
    assert utc.funnel.made == 9
    # A zone that changes its offset within the range (Berlin, 31 March 2030): 00:00 Berlin on
    # 5 March is 23:00 UTC on the 4th, when the first booking was made.
    berlin = ZoneInfo("Europe/Berlin")
    summer = store.overview_stats(datetime.combine(known.FIRST, time(0), berlin),
                                  datetime.combine(date(2030, 4, 3), time(0), berlin), "Europe/Berlin")
    assert (date(2030, 3, 5), "completed", 1) in [(r.day, r.status, r.bookings) for r in summer.per_day]
    assert summer.funnel.made == 9  # the one made late on 12 March (UTC) is in; 3 March's is not
    # Sessions start on Berlin's wall clock then (UTC+1, 6 hours before Jakarta's): the joins are
    # some 6 hours early. Experts -21720 and -21360 s, customers -21480 and -21000 s.
    assert [(f.side, f.joins, f.median_min) for f in summer.lateness] == [("expert", 2, -359.0),
                                                                          ("customer", 2, -354.0)]
    # An empty range: nothing, and no error.
    empty = store.overview_stats(start - timedelta(days=30), start - timedelta(days=20), "Asia/Jakarta")
    assert empty.per_day == () and empty.funnel == Funnel() and empty.link_attempts == 0 and empty.emails == ()
    assert empty.attendance == () and empty.lateness == ()



def test_overview_stats_percentiles_interpolate_as_percentile_cont_per_day(store, stamp):
    from lib.overview_readings import percentile
    from tests.support import overview as known

    expert = store.add_expert("Sari Wulandari", "sari@example.com", known.PRICE, "Career").id
    customer = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com")).id
    # Made on 4, 5 and 6 March: one delay, two, and seven (unsorted, with a tie).
    delays = {known.FIRST: [42], known.FIRST + timedelta(days=1): [100, 7],
              known.FIRST + timedelta(days=2): [61, 5, 900, 5, 33, 240, 12]}
    for n, (day, seconds) in enumerate((d, s) for d, values in delays.items() for s in values):
        booking = known.book_linked(store, expert, customer, known.SESSION_DAY, time(8 + n))
        created = known.local(day, 9)
        stamp(booking, created, created, created + timedelta(seconds=seconds))
    stats = store.overview_stats(datetime.combine(known.FIRST, time(0), known.TZ),
                                 datetime.combine(known.LAST, time(0), known.TZ), "Asia/Jakarta")
    assert [(d.day, d.bookings, d.median_s, d.p95_s) for d in stats.link_delay] == [
        (day, len(v), percentile(v, 0.5), percentile(v, 0.95)) for day, v in delays.items()]




def test_overview_totals_are_the_headlines_sums_of_overview_stats_over_exactly_the_range(store, stamp):
    from lib.domain import Attendance
    from lib.overview_readings import PeriodTotals
    from tests.support import overview as known

    known.fill_overview(store, stamp)  # every status, recorded sessions with no-shows, one made on each side
    start = datetime.combine(known.FIRST, time(0), known.TZ)
    end = datetime.combine(known.LAST + timedelta(days=1), time(0), known.TZ)
    rina = store.add_expert("Rina Hartono", "rina@example.com", known.PRICE, "Law").id
    dewi = store.add_customer(NewCustomer("Dewi Lestari", "dewi@example.com")).id
    # Made at the range's first instant (in): confirmed, then cancelled, its session recorded with
    # neither side (reached confirmed, no revenue). Made at its end (out): confirmed, both joined.
    first = known.book_linked(store, rina, dewi, known.SESSION_DAY, time(8))
    stamp(first, start, start + timedelta(minutes=1), start + timedelta(minutes=2))
    store.cancel(first, NOW, "x", [], "ops", line=history.cancelled("x"))
    last = known.book_linked(store, rina, dewi, known.SESSION_DAY, time(10))
    stamp(last, end, end + timedelta(minutes=1), end + timedelta(minutes=2))
    for booking, joined in ((first, None), (last, known.local(known.SESSION_DAY, 10))):
        assert store.save_attendance(Attendance(booking, "recorded", expert_joined=joined is not None,
                                                customer_joined=joined is not None, expert_joined_at=joined,
                                                customer_joined_at=joined), [], "worker")

    # 9 made; revenue of the 4 paid, confirmed or completed; 4 reached confirmed (the cancelled
    # one too); 4 sessions recorded (not the waiting or no-data ones), both joined in 1.
    totals = store.overview_totals(start, end)
    assert totals == PeriodTotals(made=9, revenue=4 * known.PRICE, confirmed=4, sessions=4, both_joined=1)
    assert totals == PeriodTotals.of(store.overview_stats(start, end, "Asia/Jakarta"))
    # The same instants whatever zone the figures' days are in; wider ranges take in both sides.
    assert totals == PeriodTotals.of(store.overview_stats(start, end, "UTC"))
    for wider in ((start - timedelta(minutes=1), end), (start, end + timedelta(minutes=1)),
                  (start - timedelta(days=1), end + timedelta(days=1))):
        assert store.overview_totals(*wider) == PeriodTotals.of(store.overview_stats(*wider, "Asia/Jakarta"))
    assert store.overview_totals(start, end + timedelta(minutes=1)).sessions == 5
    # The period before the range: only the booking made at 23:59 the day before, attended by both.
    before = store.overview_totals(start - timedelta(days=9), start)
    assert before == PeriodTotals(made=1, revenue=known.PRICE, confirmed=1, sessions=1, both_joined=1)
    # An empty range: zeros, and no error.
    assert store.overview_totals(start - timedelta(days=30), start - timedelta(days=20)) == PeriodTotals()
