"""Bad input, generated: every form field and CLI argument ends in a clear message or a valid
result, never a traceback, and a refused call writes nothing.

Each property feeds what a person could type (unicode, empty, huge, far past and far future
dates, durations and prices out of range, malformed emails and links, HTML and SQL-looking
text) to the service method behind a form, or to ``python -m lib``, and checks:

* the call either succeeds with a valid result or raises a ``CallExpertError`` with a message;
* any other exception fails the property (hypothesis shrinks it to the smallest input);
* a refused call leaves every table's row count (and the booking it aimed at) as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import ALLOWED_DURATIONS, Booking, BookingRequest, BookingStatus, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.errors import CallExpertError
from lib.service import BookingService
from lib.validation import MAX_LINK, MAX_NAME, MAX_SESSION_TYPE, price_for
from lib.wiring import build_service
from tests.support.env import PROXY_VARS
from tests.support.hours import ALWAYS_OPEN_ENV, ALWAYS_OPEN_SETTING
from tests.support.sqlite_file import row_counts

T = TypeVar("T")
# Modest by default so the file runs in seconds; CALLEXPERT_PROPERTY_EXAMPLES=1000 searches harder.
PROPERTY = settings(max_examples=int(os.environ.get("CALLEXPERT_PROPERTY_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# Hourly rates from free to absurd: the last ones make prices beyond what the stores' integer
# columns hold (PostgreSQL's bookings.price is 32-bit), which must be refused, not overflow.
RATES = (0, 1, 250_000, 12_345_678, 1_000_000_000, 2**62)

# -- what people type -----------------------------------------------------------------------------

SPECIAL_TEXT = (
    "", " ", "\t\n", "\x00", "\u200b", "\u202eevil", "\ufeff", "😀" * 30, "Ünïcødé Ñame", "名前", "اسم", "𝓗𝓲",
    "<script>alert(1)</script>", "<b>Bold</b> & Co", "'; DROP TABLE bookings; --", "Robert'); DELETE FROM users;--",
    "\" OR 1=1 --", "%s %d {0} {name}", "NULL", "None", "\\", "../../etc/passwd", "x" * 10_000,
)
text_input = st.one_of(st.sampled_from(SPECIAL_TEXT), st.text(max_size=120),
                       st.text(min_size=MAX_SESSION_TYPE - 1, max_size=MAX_NAME + 2))
MALFORMED_EMAILS = (
    "dewi", "dewi@", "@example.com", "dewi@@example.com", "dewi@example", "dewi@example.c", "dewi @example.com",
    "<dewi@example.com>", "Dewi <dewi@example.com>", "dewi@example.com\nBcc: all@example.com", "dewi@exa_mple.com",
    "dewi@-example.com", "dewi@example..com", "d" * 250 + "@example.com", "dewi@" + "a" * 64 + ".com", "dewi@例え.jp",
    "DEWI@EXAMPLE.COM", "dewi+tag@example.co.id", "dewi;drop@example.com",
)
email_input = st.one_of(st.emails(), st.sampled_from(MALFORMED_EMAILS), text_input)
date_input = st.one_of(st.dates(), st.dates(min_value=date.today() - timedelta(days=3),
                                            max_value=date.today() + timedelta(days=400)),
                       st.sampled_from([date.min, date.max]), st.datetimes(), st.none(), st.text(max_size=12))
time_input = st.one_of(st.times(), st.sampled_from([time(0, 0), time(23, 59, 59, 999_999), time(10, 0, tzinfo=UTC)]),
                       st.none(), st.integers())
duration_input = st.one_of(st.sampled_from(ALLOWED_DURATIONS), st.integers(min_value=-10**18, max_value=10**18),
                           st.sampled_from([0, -60, 59, 61, 121, 10**6]), st.booleans(), st.none(), st.floats(),
                           st.sampled_from(["60", "sixty"]))
GOOD_LINKS = ("https://meet.google.com/abc-defg-hij", "https://meet.jit.si/CallExpert-room", "https://zoom.us/j/123?pwd=x")
BAD_LINKS = (
    "http://meet.google.com/abc", "javascript:alert(1)", "https://", "https://localhost/room", "meet.google.com/abc",
    "https://meet google.com/x", "https://meet.google.com/a b", "ftp://files.example.com/x", "//evil.example.com/x",
    "data:text/html,<script>alert(1)</script>", "https://" + "a" * MAX_LINK + ".com", "https://exa\u200bmple.com/x",
)
STRAY_BRACKETS = ("https://[meet.google.com/abc-defg-hij", "https://meet.google.com]/abc-defg-hij", "A://[")


link_input = st.one_of(st.sampled_from(GOOD_LINKS + BAD_LINKS), text_input,
                       st.builds(lambda host, path: f"https://{host}.com/{path}", st.text(max_size=20),
                                 st.text(max_size=40)))


# -- the world the properties run in ---------------------------------------------------------------

@dataclass
class World:
    svc: BookingService
    db: Path
    experts: list[str]  # ids, one per rate in RATES
    customers: list[str]

    def fresh_expert(self) -> str:
        """An expert of their own, so a booking made for one example never blocks another's slot."""
        tag = uuid.uuid4().hex[:12]
        return self.svc.store.add_expert(f"Expert {tag}", f"expert-{tag}@example.com", 250_000, "Props").id

    def booking(self, status: BookingStatus) -> Booking:
        """A new ``pending``, ``paid`` or ``confirmed`` booking to aim a call at."""
        request = BookingRequest(expert_id=self.fresh_expert(), session_type="Career mentoring",
                                 scheduled_date=self.svc.today() + timedelta(days=5), scheduled_time=time(10, 0),
                                 duration=60, customer_id=self.customers[0])
        if status is BookingStatus.CONFIRMED:
            return self.svc.book_and_pay(request, actor=SYSTEM).booking
        booking = self.svc.book(request, actor=SYSTEM)
        return self.svc.pay(booking.id, actor=SYSTEM) if status is BookingStatus.PAID else booking


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One SQLite file for the module (the properties add to it, as a live console would); the
    CLI in this process finds it through the environment. Experts are open around the clock."""
    folder = tmp_path_factory.mktemp("properties")
    db = folder / "props.db"
    env = {"CALLEXPERT_SQLITE_PATH": str(db), "CALLEXPERT_SEED_DEMO_DATA": "false",
           "CALLEXPERT_SECRETS_FILE": str(folder / "no-secrets.toml"), **ALWAYS_OPEN_ENV}
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("CALLEXPERT_") or k in PROXY_VARS]:
            mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False,
                                     default_availability=ALWAYS_OPEN_SETTING))
        experts = [svc.store.add_expert(f"Rate {r}", f"rate{r}@example.com", r, "Props").id for r in RATES]
        customers = [svc.store.add_customer(NewCustomer("Andi Wijaya", "andi@example.com")).id]
        yield World(svc, db, experts, customers)


def refused_or_done(world: World, call: Callable[[], T], *, booking_id: str | None = None) -> T | None:
    """Run ``call``; return its result, or ``None`` when it was refused with a clear message and
    wrote nothing. Any other exception propagates and fails the property."""
    before = row_counts(world.db)
    target = world.svc.store.get_booking(booking_id) if booking_id else None
    try:
        return call()
    except CallExpertError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        assert row_counts(world.db) == before, f"refused ({exc}) but wrote"
        if target is not None:
            assert world.svc.store.get_booking(target.id) == target, f"refused ({exc}) but changed the booking"
        return None


# -- Book a session ---------------------------------------------------------------------------------

customer_choice = st.one_of(
    st.builds(lambda name, email: ("new", NewCustomer(name, email)), text_input, email_input),
    st.builds(lambda name: ("new", NewCustomer(name, f"{uuid.uuid4().hex[:10]}@example.com")), text_input),
    st.builds(lambda email: ("new", NewCustomer("Dewi Lestari", email)), email_input),
    st.just(("existing", None)), st.builds(lambda i: ("id", i), text_input), st.just(("none", None)),
)


@PROPERTY
@given(expert=st.one_of(st.integers(0, len(RATES) - 1), text_input), session_type=text_input,
       day=date_input, at=time_input, duration=duration_input, customer=customer_choice,
       key=st.one_of(st.none(), st.text(max_size=40)), pay=st.booleans())
def test_the_booking_form_gets_a_booking_or_a_message(world, expert, session_type, day, at, duration, customer,
                                                      key, pay):
    expert_id = world.experts[expert] if isinstance(expert, int) else expert
    kind, value = customer
    request = BookingRequest(
        expert_id=expert_id, session_type=session_type, scheduled_date=day, scheduled_time=at, duration=duration,
        customer_id={"existing": world.customers[0], "id": value}.get(kind),
        new_customer=value if kind == "new" else None, request_key=key)
    before = row_counts(world.db)
    result = refused_or_done(world, lambda: (world.svc.book_and_pay(request, actor=SYSTEM) if pay
                                             else world.svc.book(request, actor=SYSTEM)))
    if result is None:
        return
    booking = result.booking if pay else result
    if key is not None and row_counts(world.db)["bookings"] == before["bookings"]:
        return  # the same key again: the earlier booking, as a double click gets
    # A valid booking: every field as the form meant it, cleaned.
    assert booking.status is (BookingStatus.CONFIRMED if pay else BookingStatus.PENDING)
    assert booking.duration in ALLOWED_DURATIONS and booking.duration == duration
    assert booking.price == price_for(RATES[world.experts.index(booking.expert_id)], booking.duration)
    assert booking.session_type == unicodedata.normalize("NFC", session_type.strip())
    assert 0 < len(booking.session_type) <= MAX_SESSION_TYPE
    start = datetime.combine(booking.scheduled_date, booking.scheduled_time)
    assert world.svc.now_local() - timedelta(minutes=5) < start <= world.svc.now_local() + timedelta(days=366)
    assert 0 < len(booking.customer_name) <= MAX_NAME and "@" in booking.customer_email
    assert row_counts(world.db)["bookings"] == before["bookings"] + 1
    if pay:
        assert booking.meeting_link and booking.meeting_link.startswith("https://")


@PROPERTY
@given(name=text_input, email=email_input)
def test_a_new_customer_is_stored_clean_or_refused(world, name, email):
    request = BookingRequest(expert_id=world.fresh_expert(), session_type="Career mentoring",
                             scheduled_date=world.svc.today() + timedelta(days=3), scheduled_time=time(9, 0),
                             duration=60, new_customer=NewCustomer(name, email))
    booking = refused_or_done(world, lambda: world.svc.book(request, actor=SYSTEM))
    if booking is not None:
        assert booking.customer_name.strip() == booking.customer_name and 0 < len(booking.customer_name) <= MAX_NAME
        local, _, domain = booking.customer_email.rpartition("@")
        assert local and "." in domain and domain == domain.lower() and not any(c.isspace() for c in domain)


# -- Confirmation and ops: one booking's actions ------------------------------------------------------

@PROPERTY
@given(booking_id=st.one_of(text_input, st.none(), st.builds(lambda: str(uuid.uuid4())),
                            st.sampled_from(["existing", " existing ", "EXISTING"])))
def test_opening_a_booking_by_id_finds_it_or_says_why(world, booking_id):
    if booking_id in ("existing", " existing ", "EXISTING"):
        existing = world.booking(BookingStatus.PENDING).id
        booking_id = {"existing": existing, " existing ": f" {existing} ", "EXISTING": existing.upper()}[booking_id]
    found = refused_or_done(world, lambda: world.svc.get_booking(booking_id, actor=SYSTEM))
    if found is not None:
        assert found.id == str(uuid.UUID(booking_id.strip()))


@PROPERTY
@given(day=date_input, at=time_input)
def test_reschedule_moves_to_a_valid_slot_or_changes_nothing(world, day, at):
    booking = world.booking(BookingStatus.CONFIRMED)
    moved = refused_or_done(world, lambda: world.svc.reschedule(booking.id, day, at, actor=SYSTEM),
                            booking_id=booking.id)
    if moved is not None:
        assert (moved.scheduled_date, moved.scheduled_time) == (day, at.replace(second=0, microsecond=0, tzinfo=None))
        assert moved.revision == booking.revision + 1
        assert moved.meeting_link == booking.meeting_link  # the link stays


@PROPERTY
@given(url=link_input)
def test_a_link_pasted_by_hand_confirms_or_changes_nothing(world, url):
    booking = world.booking(BookingStatus.PAID)
    done = refused_or_done(world, lambda: world.svc.set_link_manually(booking.id, url, actor=SYSTEM),
                           booking_id=booking.id)
    if done is not None:
        assert done.status is BookingStatus.CONFIRMED and done.meeting_link == url.strip()
        assert done.meeting_link.startswith("https://") and " " not in done.meeting_link
    else:
        assert world.svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PAID


@PROPERTY
@given(reason=st.one_of(text_input, st.none()))
def test_cancel_with_any_reason_cancels_or_changes_nothing(world, reason):
    booking = world.booking(BookingStatus.CONFIRMED)
    done = refused_or_done(world, lambda: world.svc.cancel(booking.id, reason, actor=SYSTEM), booking_id=booking.id)
    if done is not None:
        assert done.status is BookingStatus.CANCELLED and done.cancel_reason and len(done.cancel_reason) <= 500


# -- python -m lib ------------------------------------------------------------------------------------

def argv_text() -> st.SearchStrategy[str]:
    """What a shell can pass: any bytes but NUL, decoded as Python decodes argv (surrogateescape)."""
    return st.one_of(text_input.filter(lambda s: "\x00" not in s),
                     st.binary(max_size=30).filter(lambda b: b"\x00" not in b).map(os.fsdecode))


COMMANDS = ("show", "set-link", "cancel", "retry-links", "send-emails", "bogus", "", "--help", "-h")
OPTIONS = ("--reason", "--concurrency", "--limit", "--unknown", "-x")


@PROPERTY
@given(command=st.sampled_from(COMMANDS),
       args=st.lists(st.one_of(argv_text(), st.sampled_from(OPTIONS), st.sampled_from(["paid", "confirmed"]),
                               st.sampled_from(GOOD_LINKS + BAD_LINKS),
                               st.integers(-10**6, 10**6).map(str)), max_size=4))
def test_the_cli_answers_any_arguments_with_an_exit_code_and_words(world, command, args):
    targets = {"paid": lambda: world.booking(BookingStatus.PAID).id,
               "confirmed": lambda: world.booking(BookingStatus.CONFIRMED).id}
    argv = [command, *[targets[a]() if a in targets else a for a in args]]
    before = row_counts(world.db)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse: usage errors (2) and --help (0), each with its words
            code = exc.code
    assert code in (0, 1, 2), (argv, code)
    said = out.getvalue() + err.getvalue()
    assert said.strip(), f"{argv}: exit {code} without a word"
    # stdout is strict UTF-8, so a lone surrogate there would be a traceback; stderr escapes them.
    out.getvalue().encode("utf-8")
    if code == 2:
        assert "error" in err.getvalue()
        assert row_counts(world.db) == before, f"{argv} was refused but wrote"


# -- a price out of range --------------------------------------------------------------------------------

@pytest.mark.parametrize(("rate", "duration"), [(1_000_000_001, 120), (2**62, 120), (2**62, 30)])
def test_a_price_beyond_the_stores_integer_range_is_refused_with_a_message(world, rate, duration):
    rich = world.svc.store.add_expert(f"Very Expensive {rate} {duration}", f"rich-{rate}-{duration}@example.com",
                                      rate, "Props")
    request = BookingRequest(expert_id=rich.id, session_type="Career mentoring",
                             scheduled_date=world.svc.today() + timedelta(days=3), scheduled_time=time(9, 0),
                             duration=duration, customer_id=world.customers[0])
    assert refused_or_done(world, lambda: world.svc.book(request, actor=SYSTEM)) is None
    assert refused_or_done(world, lambda: world.svc.quote(rich.id, duration, actor=SYSTEM)) is None


@pytest.mark.parametrize("url", STRAY_BRACKETS)
def test_a_link_with_a_stray_bracket_is_refused_with_a_message(world, url):
    booking = world.booking(BookingStatus.PAID)
    assert refused_or_done(world, lambda: world.svc.set_link_manually(booking.id, url, actor=SYSTEM),
                           booking_id=booking.id) is None
