"""Each part of the booking service built alone over its ports, with the in-memory fakes.

The facade (``lib.service.BookingService``) is tested through the other files; these tests show
that a part needs nothing but ``Ports`` and the parts it names, and pin the one payment shape and
the one error vocabulary the parts rely on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import Booking, BookingStatus, Email, EmailStatus, NewBooking, NewCustomer
from lib.errors import (
    CallExpertError,
    ConfigError,
    DeliveryError,
    DeliveryFailed,
    DeliveryUnavailable,
    InvalidInput,
    InvalidTransition,
    MeetingFailed,
    MeetingProviderError,
    MeetingUnavailable,
    NotFound,
    PaymentError,
    PaymentFailed,
    PaymentUnavailable,
    Permanent,
    PermissionDenied,
    Refused,
    SlotTaken,
    StoreError,
    StoreFailed,
    StoreUnavailable,
    Transient,
)
from lib.notify import LINK_PENDING
from lib.payments import PaymentState
from lib.payments.demo_gateway import DemoGateway
from lib.service import history
from lib.service.links import Links
from lib.service.outbox import Outbox, replaced_by
from lib.service.payments import Payments
from lib.service.ports import Ports
from lib.service.queries import Queries
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)


@pytest.fixture
def ports(tmp_path) -> Ports:
    settings = Settings(sqlite_path=str(tmp_path / "parts.db"), link_backoff_seconds=0.01, link_backoff_max_seconds=5)
    return Ports(SQLiteStore(tmp_path / "parts.db"), FlakyProvider(), DemoGateway(), RecordingSender(), settings,
                 clock=FixedClock(NOW), sleep=lambda seconds: None)


def pending(ports: Ports, at: time = time(10, 0)) -> Booking:
    expert = ports.store.add_expert(f"Sari {at}", f"sari{at.hour}@example.com", 250_000, "Career")
    new = NewBooking(id=str(uuid.uuid4()), expert_id=expert.id, session_type="Career mentoring", scheduled_date=DAY,
                     scheduled_time=at, duration=60, price=250_000, customer_id=None,
                     new_customer=NewCustomer("Andi", "andi@example.com"), request_key=None)
    return ports.store.create_booking(new, "ops", line=history.created(250_000))


def test_payments_alone_settle_a_demo_payment_at_once_through_start(ports):
    payments = Payments(ports, Links(ports, Outbox(ports)))
    booking = pending(ports)
    paid = payments.start_payment(booking.id, actor=SYSTEM)
    assert paid.status is BookingStatus.PAID and paid.payment_ref == f"DEMO-{booking.id[:8]}"
    assert paid.payment_attempts == 1 and paid.payment_url is None  # no page: nothing to pay on
    assert [h.event for h in ports.store.history(booking.id)] == ["created", "paid"]
    assert payments.pay(booking.id, actor=SYSTEM) == ports.load(booking.id)  # paid already: nothing charged


def test_the_demo_gateway_has_the_one_gateway_shape():
    gateway = DemoGateway()
    assert not hasattr(gateway, "charge") and not hasattr(gateway, "settles_at_once")

    @dataclass
    class Stub:  # only the fields ``start`` reads
        id: str = "12345678-aaaa-bbbb-cccc-1234567890ab"
        price: int = 125_000

    result = gateway.start(Stub(), "CE-x-1")  # type: ignore[arg-type]
    assert (result.state, result.amount, result.redirect_url) == (PaymentState.PAID, Decimal(125_000), None)


def test_links_alone_retry_a_transient_failure_with_its_retry_after(ports):
    waits: list[float] = []
    ports.sleep = waits.append
    ports.meetings = FlakyProvider(failures=1, retry_after=3.0)
    links = Links(ports, Outbox(ports))
    booking = ports.store.mark_paid(pending(ports).id, "ref", NOW, "ops", line=history.paid("ref"))
    done = links.create_link(booking.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and ports.meetings.calls == 2
    assert waits and waits[0] >= 3.0


def test_links_alone_stop_at_a_permanent_failure_and_keep_the_booking_paid(ports):
    ports.meetings = FlakyProvider(failures=5, permanent=True)
    links = Links(ports, Outbox(ports))
    booking = ports.store.mark_paid(pending(ports).id, "ref", NOW, "ops", line=history.paid("ref"))
    with pytest.raises(MeetingFailed, match="Calendar said no"):
        links.create_link(booking.id, actor=SYSTEM)
    kept = ports.load(booking.id)
    assert ports.meetings.calls == 1 and kept.status is BookingStatus.PAID and kept.last_error == "Calendar said no"


@dataclass
class ScriptedSender:
    """Raises the given errors in turn, then sends."""

    errors: list[Exception]
    name: str = "scripted"
    sent: list[Email] = field(default_factory=list)

    def send(self, email: Email) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(email)


def test_outbox_alone_keeps_a_transient_failure_queued_and_marks_a_permanent_one_failed(ports):
    booking = pending(ports)
    customer, expert = Outbox(ports).drafts(booking, "confirmed")
    ports.store.queue_emails([customer, expert], NOW)
    ports.sender = ScriptedSender([DeliveryUnavailable("421 try later"), DeliveryFailed("550 no such user")])
    result = Outbox(ports).dispatch()
    assert (result.sent, result.failed, result.retry_later) == (0, 1, 1)
    statuses = sorted((e.status, e.last_error) for e in ports.store.list_emails(booking_id=booking.id))
    assert statuses == [(EmailStatus.FAILED, "550 no such user"), (EmailStatus.QUEUED, "421 try later")]


def test_outbox_decides_which_emails_replace_the_link_notice(ports):
    booking = pending(ports)
    drafts = {d.kind: d.replaces for d in Outbox(ports).drafts(booking, "cancelled")}
    # A cancellation also drops that side's queued reminders (default offsets 24 h and 1 h).
    assert drafts == {"cancelled.customer": (LINK_PENDING, "reminder_1440.customer", "reminder_60.customer"),
                      "cancelled.expert": ("reminder_1440.expert", "reminder_60.expert")}
    assert replaced_by(LINK_PENDING) == () and replaced_by("rescheduled.customer") == (LINK_PENDING,)
    assert replaced_by("rescheduled.expert", (1440, 60)) == ("reminder_1440.expert", "reminder_60.expert")
    assert replaced_by("reminder_60.expert", (1440, 60)) == ("reminder_1440.expert",)


def test_queries_alone_read_through_the_permission_checks(ports):
    booking = pending(ports)
    queries = Queries(ports)
    assert queries.get_booking(booking.id, actor=SYSTEM).id == booking.id
    with pytest.raises(NotFound, match="is not a booking id"):
        queries.get_booking("nope", actor=SYSTEM)
    assert [b.id for b in queries.recent_bookings(actor=SYSTEM)] == [booking.id]


# -- one error vocabulary ---------------------------------------------------------------------------------

@pytest.mark.parametrize("family, transient, permanent", [
    (MeetingProviderError, MeetingUnavailable, MeetingFailed),
    (PaymentError, PaymentUnavailable, PaymentFailed),
    (DeliveryError, DeliveryUnavailable, DeliveryFailed),
    (StoreError, StoreUnavailable, StoreFailed),
])
def test_each_adapter_family_has_one_transient_and_one_permanent_member(family, transient, permanent):
    soon, never = transient("busy", retry_after=2.0), permanent("refused")
    assert isinstance(soon, family) and isinstance(soon, Transient) and not isinstance(soon, Permanent)
    assert isinstance(never, family) and isinstance(never, Permanent) and not isinstance(never, Transient)
    assert soon.retry_after == 2.0 and str(never) == "refused"


def test_the_five_kinds_hold_the_console_s_own_errors():
    for error, kind in [(InvalidInput, Refused), (SlotTaken, Refused), (InvalidTransition, Refused),
                        (ConfigError, Permanent), (NotFound, CallExpertError), (PermissionDenied, CallExpertError)]:
        assert issubclass(error, kind)
    assert DeliveryUnavailable("down", stop_run=True).stop_run and not DeliveryFailed("550").stop_run
