"""The Overview page: its figures from known bookings, counted by hand, on the page and in the
service; staff only."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM, expert_actor
from lib.errors import InvalidInput, PermissionDenied
from lib.overview_readings import (
    Funnel,
    Overview,
    OverviewStats,
    PeriodTotals,
    failure_cause,
    failure_causes,
    funnel_reading,
    percentile,
)
from pages.ui.registry import pages_for
from tests.support import overview as known
from tests.support.apptest import APP, no_exception, open_page, shown

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

# What the page must say about tests.support.overview's bookings, worked out by hand there.
READINGS = [
    # 3 on Tue 5 March, 3 on Wed 6 March, 2 on Mon 11 March: the tie goes to the earlier day.
    "8 bookings made, busiest day Tue 05/03 (3); 3 confirmed or completed now.",
    # Three paid in the week from 4 March (3 x Rp 250.000), one in the week from 11 March.
    "Rp 1.000.000 from 4 paid bookings; best week from Mon 04/03 (Rp 750.000).",
    # 3 of 8 reached confirmed (37.5%); the three kinds of stop are one each, expired comes first.
    "8 bookings, 38% reached confirmed; most stops: expired unpaid (1).",
    # 30, 90, 150 s: median 90 s = 1.5 min, 95th percentile 144 s = 2.4 min.
    "Links for 3 paid bookings; busiest day's median 1.5 min after payment; worst 95th percentile 2.4 min "
    "(Tue 05/03).",
    # One success, three failures of which two were the rate limit.
    "4 link attempts, 3 failed (75%); most: Google Calendar rate limit reached (2).",
    "6 emails: 1 sent, 1 failed, 4 waiting.",
    # b1 both joined, b2 only the expert, b3 only the customer; expert joins -2 and +4 min
    # (median 1 min), customer joins +2 and +10 min (median 6 min).
    "3 sessions recorded: both joined in 1 (33%); 1 customer no-show, 1 expert no-show; median lateness: "
    "experts 1 min, customers 6 min.",
    # 95th percentiles: experts 222 s = 3.7 min (4), customers 576 s = 9.6 min (10).
    "Median join after the start: experts 1 min (95th percentile 4 min); customers 6 min (95th percentile 10 min).",
]
# The headline's changes are against the nine days before the range (none of the known bookings).
CHANGES = "Changes are against the 9 days before, Sat 23/02 to Sun 03/03."


@pytest.fixture
def filled(service, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_TIMEZONE", "Asia/Jakarta")
    known.fill_overview(service.store, known.sqlite_stamp(service.store))
    return service


def test_the_overview_page_shows_the_hand_counted_figures(filled):
    at = open_page("pages/views/overview_view.py")
    no_exception(at)
    assert [t.value for t in at.title] == ["Overview"]
    at.date_input(key="overview-range").set_value((known.FIRST, known.LAST)).run()
    no_exception(at)
    assert [shown(c.value) for c in at.caption] == [CHANGES, *READINGS]
    assert [s.value for s in at.subheader] == [
        "Bookings per day", "Revenue per week", "Funnel: pending → paid → confirmed → completed",
        "Time from payment to link", "Link failures by cause", "Emails", "Attendance per expert",
        "How late people join"]
    assert len(at.get("download_button")) == 8  # each chart's data as CSV
    assert len(at.get("vega_lite_chart")) == 8


def test_the_overview_downloads_hold_the_hand_counted_figures(filled, monkeypatch):
    """The bytes behind the per-day, revenue and funnel downloads, as the buttons hand them over."""
    import streamlit as st

    handed: list[bytes] = []
    button = st.download_button

    def keep(label, data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        handed.append(data() if callable(data) else data)  # what a click downloads
        return button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    at = open_page("pages/views/overview_view.py", **{"from": known.FIRST.isoformat(), "to": known.LAST.isoformat()})
    no_exception(at)
    assert len(handed) == len(at.get("download_button")) == 8
    csv = [data.decode("utf-8").splitlines() for data in handed]
    assert csv[0] == ["day,status,bookings"] + [f"{d},{s},{n}" for d, s, n in known.EXPECTED_PER_DAY]
    assert csv[1] == ["week,revenue,bookings"] + [f"{w},{r},{n}" for w, r, n in known.EXPECTED_REVENUE]
    made, paid, confirmed, completed, expired, unpaid, refunded, after_link, pending, waiting, coming = (
        known.EXPECTED_FUNNEL)
    assert csv[2] == ["step,bookings,kind", f"made,{made},reached", f"paid,{paid},reached",
                      f"confirmed,{confirmed},reached", f"completed,{completed},reached",
                      # where bookings stopped, largest first (ties in the funnel's order)
                      f"expired unpaid,{expired},stopped", f"cancelled before payment,{unpaid},stopped",
                      f"cancelled after payment,{refunded},stopped",
                      f"cancelled after confirmation,{after_link},stopped",
                      f"awaiting payment,{pending},on the way", f"awaiting a link,{waiting},on the way",
                      f"session to come,{coming},on the way"]
    assert csv[3] == ["day,bookings,median seconds,95th percentile seconds"] + [
        f"{d},{n},{float(m)},{float(p)}" for d, n, m, p in known.EXPECTED_DELAY]
    assert csv[5] == ["status,emails"] + [f"{s},{n}" for s, n in (("sent", 1), ("failed", 1), ("waiting", 4))]


def test_the_sqlite_store_brings_back_the_overviews_aggregates_not_a_row_per_booking(service, monkeypatch):
    """Forty bookings linked on one day, with forty join delays: the store answers with the day's
    few aggregated rows (its percentiles taken in SQL), not with forty durations to sort in Python."""
    from datetime import datetime, time

    from lib.domain import Attendance

    store = service.store
    monkeypatch.setenv("CALLEXPERT_TIMEZONE", "Asia/Jakarta")
    stamp = known.sqlite_stamp(store)
    expert = store.add_expert("Sari Wulandari", "sari@example.com", known.PRICE, "Career").id
    customer = store.add_customer(known.NewCustomer("Andi Pratama", "andi@example.com")).id
    for n in range(40):
        day, at = known.SESSION_DAY + timedelta(days=n // 10), time(8 + n % 10)
        booking = known.book_linked(store, expert, customer, day, at)
        created = known.local(known.FIRST, 9)
        stamp(booking, created, created, created + timedelta(seconds=n * n))
        start = known.local(day, at.hour)
        assert store.save_attendance(Attendance(booking, "recorded", expert_joined=True, customer_joined=False,
                                                expert_joined_at=start + timedelta(seconds=7 * n)), [], "worker")
    rows: list[int] = []
    connect = store._conn

    class Counting:
        def __init__(self, conn) -> None:  # noqa: ANN001
            self.conn = conn

        def execute(self, *args):  # noqa: ANN002, ANN202
            cursor = self.conn.execute(*args)
            fetched = cursor.fetchall()
            rows.append(len(fetched))
            return _Fetched(fetched)

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(self.conn, name)

    class _Fetched(list):
        def fetchall(self):  # noqa: ANN202
            return list(self)

        def fetchone(self):  # noqa: ANN202
            return self[0] if self else None

    monkeypatch.setattr(store, "_conn", lambda: Counting(connect()))
    stats = store.overview_stats(datetime.combine(known.FIRST, time(0), known.TZ),
                                 datetime.combine(known.FIRST + timedelta(days=1), time(0), known.TZ), "Asia/Jakarta")
    delays = [float(n * n) for n in range(40)]
    joins = [7.0 * n for n in range(40)]
    assert [(d.bookings, d.median_s, d.p95_s) for d in stats.link_delay] == [
        (40, percentile(delays, 0.5), percentile(delays, 0.95))]
    assert [(f.side, f.joins, f.median_min, f.p95_min) for f in stats.lateness] == [
        ("expert", 40, percentile(joins, 0.5) / 60, percentile(joins, 0.95) / 60)]
    assert sum(rows) < 10, rows  # a day's counts, one delay row, one email row, one expert, one side


def test_the_sqlite_overview_reads_only_the_ranges_rows_of_every_table(filled):
    """The statement's plan: bookings are found through their creation index and every other
    table is searched by the range's booking ids, so a two-day Overview costs the same at 1,000
    and at 100,000 bookings (no table is walked whole)."""
    from datetime import datetime, time

    store = filled.store
    statements: list[str] = []
    conn = store._conn()
    conn.set_trace_callback(statements.append)
    try:
        store.overview_stats(datetime.combine(known.FIRST, time(0), known.TZ),
                             datetime.combine(known.LAST + timedelta(days=1), time(0), known.TZ), "Asia/Jakarta")
    finally:
        conn.set_trace_callback(None)
    (overview,) = [s for s in statements if "MATERIALIZED" in s]
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + overview)]
    tables = ("bookings", "email_outbox", "booking_history", "booking_attendance", "experts")
    aliases = {"o", "h", "a", "e"}
    walked = [line for line in plan if line.startswith("SCAN ")
              and (line.split()[1] in tables or line.split()[1] in aliases)]
    assert not walked, plan
    assert any(line.startswith("SEARCH bookings USING") for line in plan), plan


def test_the_sqlite_totals_of_the_period_before_read_its_rows_through_the_indexes(filled):
    """One statement: the period's bookings through their creation index, each one's attendance by its key."""
    from datetime import datetime, time

    store = filled.store
    statements: list[str] = []
    conn = store._conn()
    conn.set_trace_callback(statements.append)
    try:
        store.overview_totals(datetime.combine(known.FIRST, time(0), known.TZ),
                              datetime.combine(known.LAST + timedelta(days=1), time(0), known.TZ))
    finally:
        conn.set_trace_callback(None)
    (totals,) = [s for s in statements if "booking_attendance" in s]
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + totals)]
    assert [line.split(" USING ")[0] for line in plan] == ["SEARCH b", "SEARCH a"], plan
    assert "created_at" in plan[0] and "booking_id=?" in plan[1], plan


def test_a_range_in_the_address_is_the_pages_range(filled):
    at = open_page("pages/views/overview_view.py", **{"from": known.FIRST.isoformat(), "to": known.LAST.isoformat()})
    no_exception(at)
    assert at.date_input(key="overview-range").value == (known.FIRST, known.LAST)
    assert [shown(c.value) for c in at.caption] == [CHANGES, *READINGS]


def test_the_overview_page_by_default_covers_the_last_30_days_and_says_when_there_is_nothing(service):
    at = open_page("pages/views/overview_view.py")
    no_exception(at)
    first, last = at.date_input(key="overview-range").value
    assert (last, last - first) == (service.today(), timedelta(days=29))
    assert shown(at.caption[1].value) == "No bookings were made in these days."
    # Nothing recorded (as with Jitsi, whose meetings report no attendance): the page says so.
    assert [shown(c.value) for c in at.caption][-2:] == [
        "Attendance is read from Google Meet; none recorded for these days' bookings.",
        "No joins recorded for these days' bookings."]
    assert len(at.get("download_button")) == 8 and not at.get("vega_lite_chart")


def test_the_service_gives_the_same_figures_and_refuses_experts_and_bad_ranges(filled):
    overview = filled.overview(known.FIRST, known.LAST, actor=SYSTEM)
    assert overview.stats.funnel == Funnel(*known.EXPECTED_FUNNEL)
    assert overview.failures_by_cause == {"Google Calendar rate limit reached": 2,
                                          "Google Calendar had a server error": 1}
    assert overview.emails == {"sent": 1, "failed": 1, "waiting": 4}
    # One day fewer at the end: the two made on 11 March drop out.
    assert filled.overview(known.FIRST, date(2030, 3, 10), actor=SYSTEM).stats.funnel.made == 6
    expert = expert_actor(filled.experts(actor=SYSTEM)[0])
    with pytest.raises(PermissionDenied, match="Only ops"):
        filled.overview(known.FIRST, known.LAST, actor=expert)
    with pytest.raises(InvalidInput, match="before it starts"):
        filled.overview(known.LAST, known.FIRST, actor=SYSTEM)
    with pytest.raises(InvalidInput, match="at most 366 days"):
        filled.overview(known.FIRST, known.FIRST + timedelta(days=366), actor=SYSTEM)


def test_an_expert_is_not_offered_the_overview_and_cannot_open_it(filled):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/views/availability_view.py").run()
    at.sidebar.selectbox(key="view_as").set_value(filled.experts(actor=SYSTEM)[0].id).run()
    # The navigation the expert's run built has no Overview page to switch to.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/views/overview_view.py")
    assert "overview" not in pages_for(expert_actor(filled.experts(actor=SYSTEM)[0]))


def test_percentile_interpolates_as_postgresql_percentile_cont():
    assert percentile([30, 150, 90], 0.5) == 90
    assert percentile([30, 90, 150], 0.95) == pytest.approx(144)
    assert percentile([10, 20], 0.5) == 15 and percentile([7], 0.95) == 7
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_a_failures_cause_is_its_errors_first_words():
    assert failure_cause(known.RATE_LIMIT) == "Google Calendar rate limit reached"
    assert failure_cause("Unexpected error: TimeoutError") == "Unexpected error"
    assert failure_cause("  ") == "unknown"
    assert len(failure_cause("x" * 200)) == 60
    assert failure_causes([("B failed. x", 1), ("A failed; y", 1), ("B failed (2)", 1)]) == {"B failed": 2,
                                                                                                  "A failed": 1}


def test_the_funnel_reading_without_stops_says_so():
    stats = OverviewStats(funnel=Funnel(made=4, paid=4, confirmed=4, completed=2, session_to_come=2))
    reading = funnel_reading(Overview(known.FIRST, known.LAST, stats))
    assert reading == "4 bookings, 100% reached confirmed; none stopped."


def test_the_attendance_table_puts_each_session_in_one_outcome_and_the_reading_counts_early_joins():
    from lib.overview_readings import ExpertAttendance, Lateness, attendance_reading, lateness_reading
    from lib.overview_tables import attendance_frame

    # 5 sessions: 2 both joined, 1 neither, 1 only the customer, 1 only the expert.
    stats = OverviewStats(attendance=(ExpertAttendance("Sari", 5, 2, 2, 2),),
                          lateness=(Lateness("expert", 3, -1.4, 0.2),))
    overview = Overview(known.FIRST, known.LAST, stats)
    assert attendance_frame(overview).values.tolist() == [
        ["Sari", "both joined", 2], ["Sari", "expert no-show", 1], ["Sari", "customer no-show", 1],
        ["Sari", "neither joined", 1]]
    assert attendance_reading(overview) == ("5 sessions recorded: both joined in 2 (40%); 2 customer no-shows, "
                                            "2 expert no-shows; median lateness: experts 1 min early.")
    assert lateness_reading(overview) == "Median join after the start: experts 1 min early (95th percentile on time)."


def test_the_headline_gives_each_figure_with_its_change_against_the_period_before():
    from lib.overview_headline import headline
    from lib.overview_readings import ExpertAttendance, WeekRevenue

    week = known.FIRST
    now = OverviewStats(funnel=Funnel(made=12, paid=10, confirmed=9), revenue=(WeekRevenue(week, 3_387_500, 9),),
                        attendance=(ExpertAttendance("Sari", 8, 6, 1, 2),))  # 2 of 8 sessions with a no-show
    before = OverviewStats(funnel=Funnel(made=8, paid=8, confirmed=7), revenue=(WeekRevenue(week, 3_500_000, 7),),
                           attendance=(ExpertAttendance("Sari", 10, 9, 0, 1),))  # 1 of 10
    figures = headline(Overview(date(2030, 3, 11), date(2030, 3, 17), now, previous=PeriodTotals.of(before)))
    assert [(h.label, h.value, h.delta, h.delta_color) for h in figures] == [
        ("Bookings", "12", "+4 (+50%)", "normal"),
        ("Revenue", "Rp 3.387.500", "-Rp 112.500", "normal"),  # a fall: Streamlit shows it red
        ("Reached confirmed", "75%", "-13 points", "normal"),  # 75% against 88% (7 of 8)
        ("No-show share", "25%", "+15 points", "inverse"),  # 25% against 10%: a rise is bad
    ]
    assert all("against the 7 days before (Mon 04/03 to Sun 10/03)" in h.help for h in figures)
    # Nothing before to compare with: no share changes, and counts rise from zero.
    empty = headline(Overview(date(2030, 3, 11), date(2030, 3, 17), now, previous=PeriodTotals()))
    assert [h.delta for h in empty] == ["+12", "+Rp 3.387.500", None, None]
    same = headline(Overview(date(2030, 3, 11), date(2030, 3, 17), now, previous=PeriodTotals.of(now)))
    assert [(h.delta, h.delta_color) for h in same] == [("±0", "off"), ("±Rp 0", "off"), ("±0 points", "off"),
                                                        ("±0 points", "off")]


def test_the_page_shows_the_headline_row_with_the_service_s_previous_period(filled):
    overview = filled.overview(known.FIRST, known.LAST, actor=SYSTEM)
    # The one made just before, confirmed (Rp 250.000), its session attended by both.
    assert overview.previous == PeriodTotals(made=1, revenue=known.PRICE, confirmed=1, sessions=1, both_joined=1)
    later = filled.overview(known.LAST + timedelta(days=1), known.LAST + timedelta(days=9), actor=SYSTEM)
    assert later.previous == PeriodTotals.of(overview.stats)  # the same 9 days, as the period before
    assert later.previous.made == 8
    at = open_page("pages/views/overview_view.py", **{"from": known.FIRST.isoformat(), "to": known.LAST.isoformat()})
    no_exception(at)
    # Before: one booking, confirmed (Rp 250.000), its session attended by both.
    assert [(m.label, m.value, m.proto.delta) for m in at.metric] == [
        ("Bookings", "8", "+7 (+700%)"), ("Revenue", "Rp 1.000.000", "+Rp 750.000"),
        ("Reached confirmed", "38%", "-62 points"), ("No-show share", "67%", "+67 points")]


def test_the_service_reads_the_ranges_figures_once_and_only_the_totals_of_the_period_before(filled, monkeypatch):
    store, calls = filled.store, []
    for name in ("overview_stats", "overview_totals"):
        read = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *args, _name=name, _read=read: calls.append((_name, args)) or
                            _read(*args))
    filled.overview(known.FIRST, known.LAST, actor=SYSTEM)
    start, end = known.local(known.FIRST, 0), known.local(known.LAST + timedelta(days=1), 0)
    assert calls == [("overview_stats", (start, end, "Asia/Jakarta")),
                     ("overview_totals", (start - timedelta(days=9), start))]


def test_the_downloads_hold_seconds_and_minutes_to_a_tenth_and_the_charts_name_their_figures_in_words():
    from lib.overview_chart_data import lateness_chart, link_delay_chart
    from lib.overview_readings import Lateness, LinkDelay
    from lib.overview_tables import lateness_frame, link_delay_frame

    stats = OverviewStats(link_delay=(LinkDelay(known.FIRST, 4, 351.4499999999993, 2000.0500000000002),),
                          lateness=(Lateness("customer", 5, 1.3333333333333333, 11.649999999999999),))
    overview = Overview(known.FIRST, known.LAST, stats)
    assert link_delay_frame(overview).to_csv(index=False).splitlines() == [
        "day,bookings,median seconds,95th percentile seconds", "2030-03-04,4,351.4,2000.1"]
    assert lateness_frame(overview).to_csv(index=False).splitlines() == [
        "side,joins,median minutes,95th percentile minutes", "customer,5,1.3,11.6"]
    assert link_delay_chart(overview).values.tolist() == [["Mon 04/03", "median", 351.4, "5.9 min", 4],
                                                          ["Mon 04/03", "95th percentile", 2000.1, "33.3 min", 4]]
    assert lateness_chart(overview).values.tolist() == [["customers", "median", 1.3, "1 min", 5],
                                                        ["customers", "95th percentile", 11.6, "12 min", 5]]


def test_every_charts_legend_and_word_labels_are_whole_and_in_words(filled):
    """Vega-Lite cuts a label at 180 px by default ("cancelled after co…"): every legend and every
    axis of words says it is never cut, and what a legend names is words, not a column's name."""
    import json

    at = open_page("pages/views/overview_view.py", **{"from": known.FIRST.isoformat(), "to": known.LAST.isoformat()})
    no_exception(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 8
    legends = words_axes = 0
    for spec in specs:
        for channel, encoding in spec["encoding"].items():
            if "legend" in encoding:
                legends += 1
                assert encoding["legend"]["labelLimit"] == 0, (channel, encoding)
                assert all("_" not in str(v) for v in encoding["scale"]["domain"]), encoding
            if channel == "y" and encoding["type"] == "nominal":  # the funnel's steps, causes, experts, sides
                words_axes += 1
                assert encoding["axis"]["labelLimit"] == 0, encoding
    assert (legends, words_axes) == (5, 4)
    # A count is ticked in whole numbers: 2 failed attempts never read "0,5" and "1,5".
    counts = {"Bookings", "Failed attempts", "Emails", "Sessions recorded"}
    ticked = {e["axis"]["title"]: e["axis"]["values"] for spec in specs for e in spec["encoding"].values()
              if isinstance(e, dict) and e.get("type") == "quantitative" and e.get("axis", {}).get("title") in counts}
    assert set(ticked) == counts and ticked["Failed attempts"] == [0, 1, 2]
    assert all(float(v).is_integer() for values in ticked.values() for v in values), ticked
    # Level value axes keep their end labels inside the chart; upright ones centre them on their
    # ticks (flushing "0" up onto the tick above crowded the two).
    flush = {(channel, e["axis"]["title"]): e["axis"].get("labelFlush") for spec in specs
             for channel, e in spec["encoding"].items() if channel in ("x", "y") and e.get("type") == "quantitative"}
    assert all(flush[key] is (key[0] == "x") for key in flush) and {c for c, _ in flush} == {"x", "y"}, flush


def test_axis_ticks_are_round_and_labelled_as_the_page_writes_numbers():
    from lib.overview_chart_data import axis_labels, nice_ticks
    from lib.timefmt import rupiah

    assert nice_ticks(3_387_500) == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(0.9) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(12, low=-3) == [-5, 0, 5, 10, 15]
    assert nice_ticks(0) == [0]
    assert nice_ticks(2) == [0, 0.5, 1.0, 1.5, 2.0] and nice_ticks(2, whole=True) == [0, 1, 2]  # counts: whole
    assert nice_ticks(0.4, whole=True) == [0, 1]
    assert axis_labels([0, 1_500_000], rupiah) == "datum.value == 0 ? \"Rp 0\" : datum.value == 1500000 ? " \
                                                  "\"Rp 1.500.000\" : ''"


def test_the_overview_on_fresh_demo_data_shows_bookings_on_30_days_and_no_shows(app_env, monkeypatch):
    """The page as `make run` shows it once its demo data is made: the story fills the default 30 days."""
    import streamlit as st

    monkeypatch.setenv("CALLEXPERT_SEED_DEMO_DATA", "true")
    handed: dict[str, bytes] = {}
    button = st.download_button

    def keep(label, data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        handed[kwargs["key"]] = data() if callable(data) else data  # what a click downloads
        return button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    at = open_page("pages/views/overview_view.py")
    no_exception(at)
    # A fresh start shows its first page at once and makes the demo's bookings in the background.
    from lib.wiring import wait_for_demo_data

    assert wait_for_demo_data(120)
    at.run()
    no_exception(at)
    per_day = list(csv.DictReader(io.StringIO(handed["overview-csv-bookings-per-day"].decode())))
    assert len({row["day"] for row in per_day}) >= 30
    attendance = list(csv.DictReader(io.StringIO(handed["overview-csv-attendance"].decode())))
    assert sum(int(row["sessions"]) for row in attendance if row["outcome"] != "both joined") >= 1
    assert len(at.get("vega_lite_chart")) == 8  # every chart has something to draw
    metrics = {m.label: m for m in at.metric}
    assert int(metrics["Bookings"].value.replace(".", "")) >= 60 and metrics["Bookings"].proto.delta
    assert metrics["No-show share"].value != "0%"
