"""Domain values: experts, customers, bookings and what happens to them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

# The lengths a session type may offer, in minutes (the database checks bookings against them too).
ALLOWED_DURATIONS: tuple[int, ...] = (30, 45, 60, 90, 120)
DEFAULT_DURATION = 60
MAX_DAYS = 92  # one free-slots request (the picker's, the command line's) covers at most about three months
# The languages a session type is named in: those an email can be written in (console: ``en``).
TYPE_LANGUAGES: tuple[str, ...] = ("en", "id")
# The types every expert offered before types were each expert's own: a new expert starts with
# them at their hourly rate, every duration, and ops edit them from there. (English, Indonesian.)
STANDARD_SESSION_TYPES: tuple[tuple[str, str], ...] = (
    ("General consultation", "Konsultasi umum"),
    ("Career mentoring", "Mentoring karier"),
    ("Business review", "Tinjauan bisnis"),
    ("Technical review", "Tinjauan teknis"),
    ("Legal consultation", "Konsultasi hukum"),
)


class BookingStatus(str, enum.Enum):
    PENDING = "pending"  # created, awaiting payment
    PAID = "paid"  # payment settled, awaiting a meeting link
    CONFIRMED = "confirmed"  # link stored, emails queued
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    EXPIRED = "expired"  # was still pending after `pending_expiry_minutes`: its slot is free again

    @property
    def label(self) -> str:
        return {
            "pending": "Awaiting payment",
            "paid": "Paid, awaiting link",
            "confirmed": "Confirmed",
            "cancelled": "Cancelled",
            "completed": "Completed",
            "expired": "Expired (not paid)",
        }[self.value]


# Statuses that hold the expert's time: no two of these may overlap.
ACTIVE_STATUSES: tuple[BookingStatus, ...] = (
    BookingStatus.PENDING,
    BookingStatus.PAID,
    BookingStatus.CONFIRMED,
)


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    email: str
    hourly_rate: int  # rupiah per hour
    expertise: str = ""
    # The Google calendar whose busy time blocks the expert's slots; empty means their email.
    calendar_id: str = ""

    def __post_init__(self) -> None:
        if not self.calendar_id:
            object.__setattr__(self, "calendar_id", self.email)


@dataclass(frozen=True)
class SessionType:
    """What an expert offers: a name per language (``TYPE_LANGUAGES``), the durations, and the
    price: ``hourly_rate`` rupiah per hour, or with ``hourly_rate`` ``None`` a fixed price per
    duration (``fixed_prices``). A retired type (``active`` false) is kept for the bookings
    that name it but is no longer offered."""

    id: str
    expert_id: str
    names: Mapping[str, str]
    durations: tuple[int, ...]
    hourly_rate: int | None = None
    fixed_prices: Mapping[int, int] = field(default_factory=dict)
    description: str = ""
    active: bool = True
    position: int = 0  # the order the expert's types are listed in

    def name(self, language: str = "en") -> str:
        """The name in ``language``, else the English one."""
        return self.names.get(language) or self.names.get("en") or next(iter(self.names.values()), "")

    def price(self, duration: int) -> int:
        """Whole rupiah for ``duration`` minutes: the fixed price, or the hourly rate pro rata
        (rounded half up, as the database computes it)."""
        if self.hourly_rate is None:
            return self.fixed_prices[duration]
        return (self.hourly_rate * duration + 30) // 60


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class NewCustomer:
    """A customer typed into the booking form, not yet stored."""

    name: str
    email: str


@dataclass(frozen=True)
class BookingRequest:
    """What the booking form (or the CLI) asks for, before validation."""

    expert_id: str
    session_type: str
    scheduled_date: date
    scheduled_time: time
    duration: int = DEFAULT_DURATION
    customer_id: str | None = None
    new_customer: NewCustomer | None = None
    # Same key twice (double click, rerun) returns the first booking instead of a second one.
    request_key: str | None = None
    # Ops only: book a start that is not a free slot, for this reason (kept in the history).
    override_reason: str | None = None
    # The expert's session type; without it ``session_type`` is matched against their types' names.
    session_type_id: str | None = None


class _Slot:
    """Start and end of a session, from the fields ``scheduled_date``, ``scheduled_time``, ``duration``."""

    scheduled_date: date
    scheduled_time: time
    duration: int

    @property
    def starts_at(self) -> datetime:
        """Wall-clock start in the app timezone (naive)."""
        return datetime.combine(self.scheduled_date, self.scheduled_time)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration)


@dataclass(frozen=True)
class Booking(_Slot):
    """A booking with the names and emails of both sides, as every page shows it."""

    id: str
    user_id: str
    expert_id: str
    session_type: str
    scheduled_date: date
    scheduled_time: time
    duration: int
    status: BookingStatus
    price: int
    customer_name: str
    customer_email: str
    expert_name: str
    expert_email: str
    meeting_link: str | None = None
    google_event_id: str | None = None
    event_version: int = 0
    revision: int = 0  # grows with each reschedule; keys the emails it causes
    link_attempts: int = 0
    last_error: str | None = None
    payment_ref: str | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # The gateway payment (Midtrans Snap) of the current attempt: its order id, token and the
    # page the customer pays on; ``payment_attempts`` counts the order ids handed out so far.
    payment_order_id: str | None = None
    payment_token: str | None = None
    payment_url: str | None = None
    payment_attempts: int = 0
    payment_started_at: datetime | None = None
    # The session type booked, and its names as they were when booked (language -> name):
    # ``session_type`` is the English one, or the text of a booking made before types had names.
    # (language, name) pairs, a tuple so that a booking stays hashable (cached renderings key on it).
    session_type_id: str | None = None
    session_names: tuple[tuple[str, str], ...] = ()

    def type_name(self, language: str = "en") -> str:
        """The session type's name in ``language`` as booked (the stored text when it has none)."""
        return dict(self.session_names).get(language) or self.session_type


class HeldTime(NamedTuple):
    """The time one booking holds of its expert: what the slot check needs of it, no more."""

    booking_id: str
    starts_at: datetime  # wall clock in the app timezone (naive), as ``Booking.starts_at``
    duration: int  # minutes


@dataclass(frozen=True)
class NewBooking(_Slot):
    """A validated booking ready to be written as ``pending``."""

    id: str
    expert_id: str
    session_type: str
    scheduled_date: date
    scheduled_time: time
    duration: int
    price: int
    customer_id: str | None
    new_customer: NewCustomer | None
    request_key: str | None
    # The store books this type (the expert's, offering ``duration``) and takes price and names
    # from it; without it, the expert's active type named ``session_type``.
    session_type_id: str | None = None


@dataclass(frozen=True)
class Meeting:
    """A meeting a provider created: the link people join and the provider's event id."""

    url: str
    event_id: str
    event_version: int = 0


class EmailStatus(str, enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class EmailDraft:
    """An email to queue; (booking_id, kind, version) is unique, so it is queued once."""

    booking_id: str
    kind: str  # e.g. "confirmed.customer"
    version: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    ics: str | None = None  # RFC 5545 calendar text (METHOD REQUEST or CANCEL), sent as invite.ics
    # Kinds of this booking's emails that this one makes pointless: when it is queued, those still
    # queued and not held by a dispatcher are dropped. The service decides; stores only obey.
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Email:
    id: int
    booking_id: str
    kind: str
    version: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    status: EmailStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    ics: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    """What a transition writes to a booking's history: the event and its detail, worded by
    the service (``lib.service.history``); a store writes it as given, in the transition's
    own transaction."""

    event: str
    detail: str


@dataclass(frozen=True)
class HistoryEntry:
    booking_id: str
    at: datetime
    event: str
    detail: str
    actor: str


@dataclass(frozen=True)
class OpsCounts:
    today: int
    awaiting_payment: int
    awaiting_link: int
    emails_not_sent: int


@dataclass
class LinkRunResult:
    """What a "create all missing links" run did."""

    confirmed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


class JobOutcome(str, enum.Enum):
    """How one run of a background job ended."""

    OK = "ok"
    LEFT_WORK = "left work"  # it ran, but some items still wait (a link not made, an email not sent)
    FAILED = "failed"  # it raised: the store, Google or the gateway did not answer

    @property
    def label(self) -> str:
        return {"ok": "OK", "left work": "Left work", "failed": "Failed"}[self.value]


@dataclass(frozen=True)
class JobRun:
    """One run of a background job by one worker (``host:pid``), as the ops page shows it.

    ``message`` is safe to show: an error of the console's own wording or an exception's type,
    never a library's message. ``counts`` says what the run did, e.g. ``{"confirmed": 3}``.
    """

    job: str
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: JobOutcome
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinClicks:
    """How often one person of a booking (``customer`` or ``expert``) opened the Join link of
    their emails through the click-counting redirect, and when last."""

    person: str
    clicks: int
    last_at: datetime | None


@dataclass(frozen=True)
class Attendance:
    """Who joined a booking's Google Meet session, as read from Meet's conference records.

    ``status`` is "waiting" (no usable record yet, asked again later), "recorded" (final) or
    "no data" (Google had no record within the retry window; final). ``*_match`` says how each
    side was recognised: "email", "display name" or "none". Times are instants (UTC);
    ``together_minutes`` is how long both were in the call at once.
    """

    booking_id: str
    status: str = "waiting"
    expert_joined: bool = False
    customer_joined: bool = False
    expert_joined_at: datetime | None = None
    expert_left_at: datetime | None = None
    customer_joined_at: datetime | None = None
    customer_left_at: datetime | None = None
    together_minutes: int = 0
    expert_match: str = "none"
    customer_match: str = "none"
    attempts: int = 0
    checked_at: datetime | None = None
    next_check_at: datetime | None = None
    last_error: str = ""

    @property
    def final(self) -> bool:
        return self.status in ("recorded", "no data")
