"""Demo data: four experts with their hours, a dozen customers and 90 days of bookings with the
coming two weeks, so a fresh `make run` has a story to show (``lib.demo_story`` plans it).

The story is played through the booking service with a clock set to each step's moment, on a
store that stamps its own times (creation, history lines) with the same clock, so every booking
reads as it would have happened: made weeks ago, paid minutes later, linked, emailed, joined
(or not), completed. Demo rows are written with the embedded adapters (Jitsi rooms, the demo
gateway, the outbox), whatever the settings name: seeding never makes a calendar event, takes a
payment or sends an email. Only into SQLite: a production database is never seeded.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from lib.access import DEMO_OPS, JOIN_REDIRECT, Actor, Role
from lib.demo_story import HISTORY_DAYS, Fate, Joins, PlannedBooking, plan
from lib.domain import Attendance, BookingRequest, Customer, EmailStatus, Expert, NewCustomer, SessionType
from lib.errors import CallExpertError, ConfigError
from lib.meetings.jitsi import JitsiProvider
from lib.notify import SIDES
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService, history
from lib.service.attendance import no_show_line, together_minutes
from lib.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

EXPERTS = (
    ("Dr. Sari Wulandari", "sari.wulandari@example.com", 250_000, "Career & HR"),
    ("Budi Santoso", "budi.santoso@example.com", 400_000, "Business strategy"),
    ("Rina Kusuma", "rina.kusuma@example.com", 300_000, "Software architecture"),
    ("Agus Prasetyo, S.H.", "agus.prasetyo@example.com", 500_000, "Legal"),
)
SEEDER = Actor(Role.SYSTEM, email="demo-seed")


def _type(en: str, id_: str, durations: tuple[int, ...], per_hour: int | None = None,
          fixed: tuple[int, ...] = (), description: str = "") -> SessionType:
    return SessionType(id="", expert_id="", names={"en": en, "id": id_}, durations=durations, hourly_rate=per_hour,
                       fixed_prices=dict(zip(durations, fixed, strict=True)) if fixed else {},
                       description=description)


# What each expert offers, in EXPERTS order: their own names (English, Indonesian), lengths and
# prices; Sari's CV review is a short session at a fixed price, Agus's contract review two.
SESSION_TYPES: tuple[tuple[SessionType, ...], ...] = (
    (_type("Career mentoring", "Mentoring karier", (45, 60, 90), 250_000),
     _type("CV review", "Tinjauan CV", (30,), fixed=(150_000,), description="Your CV read and marked up, live"),
     _type("Interview practice", "Latihan wawancara", (60, 90), 300_000)),
    (_type("Business review", "Tinjauan bisnis", (60, 90, 120), 400_000),
     _type("Pricing workshop", "Lokakarya penetapan harga", (90, 120), 450_000)),
    (_type("Technical review", "Tinjauan teknis", (60, 90), 300_000),
     _type("Architecture consultation", "Konsultasi arsitektur", (90, 120), 350_000),
     _type("Code review", "Tinjauan kode", (30, 45, 60), 300_000)),
    (_type("Legal consultation", "Konsultasi hukum", (30, 60, 90), 500_000),
     _type("Contract review", "Tinjauan kontrak", (60, 120), fixed=(600_000, 1_100_000),
           description="One contract of up to 20 pages")),
)
CUSTOMERS = (
    ("Andi Wijaya", "andi.wijaya@example.com"),
    ("Dewi Lestari", "dewi.lestari@example.com"),
    ("Fajar Nugroho", "fajar.nugroho@example.com"),
    ("Putri Maharani", "putri.maharani@example.com"),
    ("Yusuf Hidayat", "yusuf.hidayat@example.com"),
    ("Siti Rahmawati", "siti.rahmawati@example.com"),
    ("Bayu Saputra", "bayu.saputra@example.com"),
    ("Intan Permata", "intan.permata@example.com"),
    ("Rizky Ramadhan", "rizky.ramadhan@example.com"),
    ("Mega Puspita", "mega.puspita@example.com"),
    ("Hendra Gunawan", "hendra.gunawan@example.com"),
    ("Nadia Safitri", "nadia.safitri@example.com"),
)


def _hours(start: str, end: str) -> tuple[TimeRange, ...]:
    def minutes(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])
    return (TimeRange(minutes(start), minutes(end)),)


def demo_hours(today: date, base: Availability) -> tuple[Availability, ...]:
    """Each demo expert's hours, in ``EXPERTS`` order: not all the same, one with a lunch break,
    one with a day off this week (the third weekday after ``today``). What each leaves as it is
    comes from ``base``, the service's default (the app's timezone and booking horizon)."""
    nine_to_five_with_lunch = (TimeRange(9 * 60, 12 * 60), TimeRange(13 * 60, 17 * 60))
    off = today + timedelta(days=3)
    while off.weekday() > 4:
        off += timedelta(days=1)
    none = ()
    return (
        replace(base, weekly=(nine_to_five_with_lunch,) * 5 + (none, none), buffer_after=15),
        replace(base, weekly=(_hours("10:00", "18:00"),) * 4 + (none, _hours("09:00", "13:00"), none), max_per_day=4),
        replace(base, weekly=(_hours("08:00", "16:00"),) * 5 + (none, none), overrides=((off, none),),
                slot_step_minutes=60),
        replace(base, weekly=(none,) + (_hours("13:00", "20:00"),) * 5 + (none,), min_notice_minutes=120,
                buffer_before=10, buffer_after=10),
    )


# Who does what in the story, as the bookings' histories name them.
OPS = DEMO_OPS
WORKER = Actor(Role.SYSTEM, email="worker")
_LINK_ERRORS = ("Jitsi did not answer within 10 s; asked again later.",
                "Jitsi had a server error (HTTP 503); asked again later.")
_EMAIL_ERROR = "The mail server refused the recipient: 452 mailbox full, try again later."


class StoryClock:
    """The seeding's clock: it stands at the moment of the step being played."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed_demo(service: BookingService) -> int:
    """Add the demo experts, customers and hours (once) and play the story's bookings up to now;
    return how many bookings were made. Deterministic for a given day; a day whose bookings were
    made by an earlier seeding is left as it is, so seeding again adds nothing twice (on a later
    day it adds the days since). ``ConfigError`` for a store other than SQLite."""
    return _cast(service).run()


def _cast(service: BookingService) -> _Play:
    """The demo's people made (``_people``) and the story ready to play on ``service``'s file."""
    store = service.store
    if not isinstance(store, SQLiteStore) or store.path == ":memory:":
        raise ConfigError("Demo data goes only into an embedded SQLite database file (backend = \"sqlite\").")
    now = service.clock()
    clock = StoryClock(now - timedelta(days=HISTORY_DAYS + 1))
    settings = service.settings
    story = BookingService(SQLiteStore(store.path, clock=clock, durable=False), JitsiProvider(settings.jitsi_base_url),
                           DemoGateway(), OutboxOnlySender(), settings, clock=clock, sleep=lambda seconds: None)
    experts, customers = _people(story, service.today())
    return _Play(story, clock, now, experts, customers)


class DemoSeeding:
    """The demo data of a fresh console made while its first page already shows: the experts,
    their hours and the customers at once (``start_demo_seeding``), the story's bookings in a
    thread of its own, each step committed as it is played, as ``seed_demo`` does. ``running``
    until the story is played; ``made`` then says how many bookings it made."""

    def __init__(self, play: _Play) -> None:
        self.made: int | None = None
        self._thread = threading.Thread(target=self._play, args=(play,), name="demo-seeding", daemon=True)
        self._thread.start()

    def _play(self, play: _Play) -> None:
        try:
            self.made = play.run()
        except Exception:  # noqa: BLE001 - demo data is best effort; the console runs without it
            log.exception("The demo bookings could not all be made")

    @property
    def running(self) -> bool:
        """Whether the story's bookings are still being made."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the story is played (or ``timeout`` seconds); whether it is."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def start_demo_seeding(service: BookingService) -> DemoSeeding:
    """``seed_demo`` for a console's start: the people now, the bookings in the background."""
    return DemoSeeding(_cast(service))


def _people(story: BookingService, today: date) -> tuple[list[Expert], list[Customer]]:
    """The demo experts (with their hours unless they keep their own) and customers, made once."""
    store = story.store
    known = {e.email for e in store.list_experts()}
    for (name, email, rate, expertise), offered in zip(EXPERTS, SESSION_TYPES, strict=True):
        if email not in known:  # their own types once; ops' later edits survive a second seeding
            expert = store.add_expert(name, email, rate, expertise)
            store.replace_session_types(expert.id, [
                replace(t, id=str(uuid.uuid4()), expert_id=expert.id, position=n) for n, t in enumerate(offered)])
    by_email = {e.email: e for e in store.list_experts()}
    experts = [by_email[email] for _, email, _, _ in EXPERTS]
    hours_of = demo_hours(today, story.default_availability(actor=SEEDER))
    for expert, hours in zip(experts, hours_of, strict=True):
        if store.get_availability(expert.id) is None:  # an expert's own edits survive a second seeding
            store.set_availability(expert.id, hours)
    customers = [store.add_customer(NewCustomer(name, email)) for name, email in CUSTOMERS]
    return experts, customers


class _Play:
    """The story's steps in time order: each runs with the clock at its moment; steps after now
    are not played (a session still to come stays confirmed)."""

    def __init__(self, story: BookingService, clock: StoryClock, now: datetime, experts: list[Expert],
                 customers: list[Customer]) -> None:
        self.story, self.store, self.clock, self.now = story, story.store, clock, now
        self.experts, self.customers = experts, customers
        self.tz = story.tz
        self.steps: list[tuple[datetime, int, Callable[[], object]]] = []
        self.order = itertools.count()
        self.tokens: dict[str, dict[str, str]] = {}
        self.made = 0
        self.types = [[t for t in self.store.session_types(e.id) if t.active] for e in experts]

    def at(self, moment: datetime, step: Callable[[], object]) -> None:
        if moment <= self.now:
            heapq.heappush(self.steps, (moment, next(self.order), step))

    def run(self) -> int:
        today = self.now.astimezone(self.tz).date()
        for _, plans in itertools.groupby(plan(today, self.now, self.tz, len(self.customers)),
                                          key=lambda p: p.key[:13]):
            day = list(plans)
            if any(self.store.find_by_request_key(p.key) for p in day):
                continue  # made by an earlier seeding
            for p in day:
                self.at(p.made_at, lambda p=p: self.book(p))
        while self.steps:
            moment, _, step = heapq.heappop(self.steps)
            self.clock.now = moment
            try:
                step()
            except CallExpertError as exc:  # demo data is best effort: a step the rules refuse is left out
                log.info("Demo step at %s left out: %s", moment, exc)
        self.clock.now = self.now
        self.story.expire_unpaid(actor=WORKER)
        self.story.complete_finished(actor=WORKER)
        return self.made

    # -- the steps -------------------------------------------------------------------------
    def book(self, p: PlannedBooking) -> None:
        """Make the booking at a free start of its day (or of the next days), then plan its life.
        Its type by ``pick``; its length the planned one when the type offers it, else the
        type's nearest."""
        expert, types = self.experts[p.expert], self.types[p.expert]
        if not types:
            return
        kind = types[int(p.pick * 100) % len(types)]
        p = replace(p, duration=min(kind.durations, key=lambda m: (abs(m - p.duration), m)))
        first = p.made_at.astimezone(self.tz).date() + timedelta(days=p.lead_days)
        slots = self.story.free_slots(expert.id, p.duration, first, 4, actor=OPS).slots
        if not slots:
            return
        day = [s for s in slots if s.start.date() == slots[0].start.date()]
        start = day[min(int(p.pick * len(day)), len(day) - 1)].start.astimezone(self.tz)
        booking = self.story.book(BookingRequest(
            expert_id=expert.id, customer_id=self.customers[p.customer].id,
            session_type=kind.name(), session_type_id=kind.id,
            scheduled_date=start.date(), scheduled_time=time(start.hour, start.minute), duration=p.duration,
            request_key=p.key), actor=OPS)
        self.made += 1
        self.life(p, booking.id, start)

    def life(self, p: PlannedBooking, booking_id: str, start: datetime) -> None:
        """The rest of the booking's steps, by its fate."""
        story, fate = self.story, p.fate
        if fate is Fate.AWAITING_PAYMENT:
            return
        if fate is Fate.EXPIRED:
            expiry = timedelta(minutes=story.settings.pending_expiry_minutes + 1)
            self.at(p.made_at + expiry, lambda: story.expire_unpaid(actor=WORKER))
            return
        if fate is Fate.CANCELLED_UNPAID:
            self.at(p.made_at + 3 * p.pay_after, lambda: self.cancel(booking_id, "The customer chose another time"))
            return
        paid = p.made_at + p.pay_after
        linked = paid + p.link_after
        self.at(paid, lambda: story.pay(booking_id, actor=OPS))
        if fate is Fate.AWAITING_LINK:
            return
        if fate in (Fate.CANCELLED_PAID, Fate.LINK_RETRIED):
            self.at(paid + timedelta(seconds=5),
                    lambda: self.fail_links(booking_id, p.key, story.settings.link_attempts))
        if fate is Fate.CANCELLED_PAID:
            self.at(paid + timedelta(minutes=20),
                    lambda: self.cancel(booking_id, "No meeting link could be made in time; the customer was refunded"))
            return
        if fate is Fate.LINK_FLAKY:
            self.at(linked - p.link_after / 2, lambda: self.fail_links(booking_id, p.key, 1))
        if fate in (Fate.EMAIL_RESENT, Fate.EMAIL_FAILED):
            self.at(linked, lambda: self.link_failing_email(booking_id))
            if fate is Fate.EMAIL_RESENT:
                self.at(linked + timedelta(minutes=35), lambda: self.resend(booking_id))
        else:
            self.at(linked, lambda: self.link(booking_id))
        if fate is Fate.CANCELLED_CONFIRMED:
            self.at(linked + (start - linked) / 2,
                    lambda: self.cancel(booking_id, "The customer has a conflicting trip; refunded"))
            return
        end = start + timedelta(minutes=p.duration)
        for side, minutes in (("expert", p.joins.expert), ("customer", p.joins.customer)):
            if minutes is not None:
                self.at(start + timedelta(minutes=minutes, seconds=-40),
                        lambda side=side: self.click(booking_id, side))
        self.at(end + timedelta(minutes=1), lambda: story.complete_finished(actor=WORKER))
        self.at(end + timedelta(minutes=20), lambda: self.attendance(booking_id, start, end, p.joins))

    def cancel(self, booking_id: str, reason: str) -> None:
        self.story.cancel(booking_id, reason, actor=OPS)

    def fail_links(self, booking_id: str, key: str, attempts: int) -> None:
        """Link attempts that failed, recorded as the link step records them (the embedded Jitsi
        provider never fails on its own); which error, by the booking's key."""
        for n in range(attempts):
            error = _LINK_ERRORS[(sum(map(ord, key)) + n) % 2]
            self.store.record_link_attempt(booking_id, error, OPS.label, line=history.link_attempt(error))

    def link(self, booking_id: str, *, dispatch: bool = True) -> None:
        """The link made (the emails sent), and each person's Join link for the click count."""
        self.story.create_link(booking_id, actor=OPS, dispatch=dispatch)
        fresh = {side: secrets.token_urlsafe(32) for side in SIDES}
        self.tokens[booking_id] = self.store.issue_join_tokens(booking_id, fresh, self.clock.now)

    def link_failing_email(self, booking_id: str) -> None:
        """The link made, but the mail server refuses the customer's confirmation."""
        self.link(booking_id, dispatch=False)
        for email in self.store.list_emails(booking_id=booking_id):
            if email.status is EmailStatus.QUEUED and email.recipient != self.expert_email(booking_id):
                self.store.mark_email(email.id, EmailStatus.FAILED, _EMAIL_ERROR, self.clock.now)
        self.story.dispatch_emails(actor=WORKER)

    def expert_email(self, booking_id: str) -> str:
        booking = self.store.get_booking(booking_id)
        return booking.expert_email if booking else ""

    def resend(self, booking_id: str) -> None:
        for email in self.store.list_emails(booking_id=booking_id):
            if email.status is EmailStatus.FAILED:
                self.story.resend_email(email.id, actor=OPS)

    def click(self, booking_id: str, side: str) -> None:
        token = self.tokens.get(booking_id, {}).get(side)
        if token:
            self.story.follow_join_link(token, actor=JOIN_REDIRECT)

    def attendance(self, booking_id: str, start: datetime, end: datetime, joins: Joins) -> None:
        """What Google Meet would have recorded of the session (the demo's Jitsi rooms record nothing)."""
        def span(minutes: int | None) -> tuple[datetime, datetime] | None:
            return None if minutes is None else (start + timedelta(minutes=minutes), end + timedelta(minutes=1))

        expert, customer = span(joins.expert), span(joins.customer)
        line = no_show_line(expert is not None, customer is not None)
        self.store.save_attendance(Attendance(
            booking_id, "recorded", expert_joined=expert is not None, customer_joined=customer is not None,
            expert_joined_at=expert[0] if expert else None, expert_left_at=expert[1] if expert else None,
            customer_joined_at=customer[0] if customer else None, customer_left_at=customer[1] if customer else None,
            together_minutes=together_minutes((expert,) if expert else (), (customer,) if customer else ()),
            expert_match="email" if expert else "none", customer_match="email" if customer else "none",
            attempts=1, checked_at=self.clock.now), [line] if line else [], WORKER.label)
