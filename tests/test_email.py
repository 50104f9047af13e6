"""Email end to end: the booking service, the SQLite outbox and the SMTP sender against a real
SMTP server on loopback (aiosmtpd), which records what it accepted and can misbehave on cue."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from icalendar import Calendar

from lib.access import DEMO_OPS, SYSTEM
from lib.config import Settings, SmtpSettings, load_settings
from lib.domain import BookingRequest, BookingStatus, EmailStatus, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.errors import ConfigError, InvalidTransition, MeetingFailed, NotFound
from lib.notify import LINK_PENDING
from lib.notify.in_app_sender import OutboxOnlySender
from lib.notify.smtp import SmtpSender
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from lib.wiring import build_sender
from tests.support.env import free_port
from tests.support.fakes import FixedClock, FlakyProvider
from tests.support.hours import default_hours
from tests.support.smtp import Mailbox, SmtpServer, smtp_server

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

# 18:00 UTC on the 24th is 01:00 WIB on the 25th.
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)  # a Thursday: "Kamis, 26 November 2026" in the default Indonesian emails
FROM = "bookings@callexpert.test"
EVIL = "<b>Evil</b> & Co"


# -- the SMTP stand-in (tests/support/smtp.py) and a certificate for its TLS -----------------------

@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (and the server's TLS context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    """The SMTP stand-in as a mail relay offers itself: 8BITMIME, no TLS, no login."""
    with smtp_server() as srv:
        yield srv


# -- the service under test ----------------------------------------------------------------------

@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def smtp_settings(port: int, **changes: Any) -> SmtpSettings:
    base = SmtpSettings(host="127.0.0.1", port=port, security="none", from_address=FROM, from_name="CallExpert",
                        timeout_seconds=5, send_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05)
    return base.with_changes(**changes)


@dataclass
class World:
    svc: BookingService
    provider: FlakyProvider
    store: SQLiteStore
    db: Path


@pytest.fixture
def make(tmp_path: Path, clock: FixedClock, sleeps: list[float]):
    """``make(port, **settings)``: a service over a fresh SQLite file that mails through SMTP."""

    def build(port: int, *, smtp: dict[str, Any] | None = None, db: Path | None = None, seed: bool = True,
              **settings: Any) -> World:
        db = db or tmp_path / "email.db"
        store = SQLiteStore(db)
        config = Settings(sqlite_path=str(db), email_backend="smtp", smtp=smtp_settings(port, **(smtp or {})),
                          default_availability=default_hours(),
                          link_backoff_seconds=0.01, **settings)
        provider = FlakyProvider()
        svc = BookingService(store, provider, DemoGateway(), SmtpSender(config.smtp, sleep=sleeps.append), config,
                             clock=clock, sleep=sleeps.append)
        if seed:
            store.add_expert("Sari", "sari@example.com", 250_000, "Career")
            store.add_customer(NewCustomer("Andi", "andi@example.com"))
        return World(svc, provider, store, db)

    return build


def request(svc: BookingService, *, at: time = time(14, 0), day: date = DAY, customer: NewCustomer | None = None,
            ) -> BookingRequest:
    expert_id = next(e.id for e in svc.experts(actor=SYSTEM) if e.name == "Sari")
    if customer is not None:
        return BookingRequest(expert_id=expert_id, session_type="Career mentoring", scheduled_date=day,
                              scheduled_time=at, new_customer=customer)
    customer_id = next(c.id for c in svc.customers(actor=SYSTEM) if c.email == "andi@example.com")
    return BookingRequest(expert_id=expert_id, session_type="Career mentoring", scheduled_date=day,
                          scheduled_time=at, customer_id=customer_id)


def ics_of(message: EmailMessage) -> tuple[EmailMessage, Any]:
    """The text/calendar part and its parsed VEVENT (with the calendar's METHOD)."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    calendar = Calendar.from_ical(parts[0].get_content())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    return parts[0], (calendar, events[0])


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


# -- what arrives ----------------------------------------------------------------------------------

def test_confirmation_arrives_with_both_parts_and_a_calendar_request(make, server):
    world = make(server.port)
    booking = world.svc.book_and_pay(request(world.svc), actor=SYSTEM).booking
    assert booking.status is BookingStatus.CONFIRMED

    got = server.mailbox.received
    assert sorted(r.rcpt_tos[0] for r in got) == ["andi@example.com", "sari@example.com"]
    assert all(r.mail_from == FROM and len(r.rcpt_tos) == 1 for r in got)
    [customer] = server.mailbox.to("andi@example.com")
    [expert] = server.mailbox.to("sari@example.com")
    assert customer["Subject"] == "Pemesanan terkonfirmasi: Mentoring karier dengan Sari"  # Indonesian by default
    assert expert["Subject"] == "Pemesanan baru: Mentoring karier dengan Andi"
    assert customer["From"].addresses[0].addr_spec == FROM and customer["To"] == "andi@example.com"
    assert customer["Message-ID"] != expert["Message-ID"]

    # Both alternatives, with the session, the other side, the WIB time, the duration and the link.
    assert customer.get_content_type() == "multipart/mixed"
    alternative = next(p for p in customer.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    for body in bodies(customer):
        for needle in ("Mentoring karier", "Sari", "Kamis, 26 November 2026, 14:00 WIB", "60 menit",
                       booking.meeting_link, "Untuk mengubah jadwal atau membatalkan", booking.id):
            assert needle in body, needle
    assert f'href="{booking.meeting_link}"' in bodies(customer)[1]

    # The invitation: METHOD:REQUEST, the booking's UID, SEQUENCE 0, Jakarta times, the link.
    part, (calendar, event) = ics_of(customer)
    assert part.get_param("method") == "REQUEST" and part.get_content_disposition() is None  # inline: a meeting
    [attached] = [p for p in customer.iter_attachments() if p.get_filename() == "invite.ics"]
    assert attached.get_content_type() == "application/ics" and attached.get_content().decode() == part.get_content()
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"booking-{booking.id}@callexpert" and event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert event.decoded("DTSTART") == datetime(2026, 11, 26, 14, 0, tzinfo=world.svc.tz)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert str(event["LOCATION"]) == booking.meeting_link == str(event["URL"])
    assert "BEGIN:VTIMEZONE" in part.get_content() and "TZID:Asia/Jakarta" in part.get_content()
    assert str(ics_of(expert)[1][1]["UID"]) == str(event["UID"])

    rows = world.svc.emails(actor=SYSTEM)
    assert {(e.status, e.attempts) for e in rows} == {(EmailStatus.SENT, 1)}
    assert all(e.ics and "METHOD:REQUEST" in e.ics for e in rows)


def test_reschedule_updates_the_same_event_and_cancel_removes_it(make, server):
    world = make(server.port)
    booking = world.svc.book_and_pay(request(world.svc), actor=SYSTEM).booking
    world.svc.reschedule(booking.id, DAY + timedelta(days=1), time(9, 30), actor=SYSTEM)
    world.svc.cancel(booking.id, "customer asked", actor=SYSTEM)

    mails = server.mailbox.to("andi@example.com")
    assert [m["Subject"].split(":")[0] for m in mails] == ["Pemesanan terkonfirmasi", "Jadwal diubah", "Dibatalkan"]
    seen = [ics_of(m)[1] for m in mails]
    assert [str(c["METHOD"]) for c, _ in seen] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for _, e in seen}) == 1
    sequences = [e["SEQUENCE"] for _, e in seen]
    assert sequences == sorted(sequences) and sequences[1] > sequences[0] and sequences[2] > sequences[1]
    assert seen[1][1].decoded("DTSTART") == datetime(2026, 11, 27, 9, 30, tzinfo=world.svc.tz)
    assert ics_of(mails[2])[0].get_param("method") == "CANCEL"
    assert str(seen[2][1]["STATUS"]) == "CANCELLED"
    assert "Jumat, 27 November 2026, 09:30 WIB" in bodies(mails[1])[0]
    assert len(server.mailbox.to("sari@example.com")) == 3


def test_html_in_a_customer_name_arrives_escaped(make, server):
    world = make(server.port)
    world.svc.book_and_pay(request(world.svc, customer=NewCustomer(EVIL, "evil@example.com")), actor=SYSTEM)
    [to_expert] = server.mailbox.to("sari@example.com")
    text, html = bodies(to_expert)
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    assert "<b>Evil</b>" not in html and "& Co" not in html
    assert EVIL in text  # plain text is not HTML: the name reads as typed
    assert to_expert["Subject"] == f"Pemesanan baru: Mentoring karier dengan {EVIL}"
    [to_customer] = server.mailbox.to("evil@example.com")
    assert "Halo &lt;b&gt;Evil&lt;/b&gt; &amp; Co," in bodies(to_customer)[1]


# -- failures ----------------------------------------------------------------------------------------

def test_server_failing_transiently_then_recovering_delivers_each_message_once(make, server, sleeps):
    server.mailbox.transient = 2  # 421 then 451, then the server is fine again
    world = make(server.port)
    world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
    assert server.mailbox.refused_data == 2
    ids = [r.message["Message-ID"] for r in server.mailbox.received]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert len(sleeps) == 2  # backoff before each retry
    assert {(e.status, e.attempts, e.last_error)
            for e in world.svc.emails(actor=SYSTEM)} == {(EmailStatus.SENT, 1, None)}
    assert world.svc.dispatch_emails(actor=SYSTEM).sent == 0  # a rerun sends nothing again
    assert len(server.mailbox.received) == 2


def test_transient_failure_outlasting_the_retries_stays_queued_for_the_next_run(make, server, sleeps):
    server.mailbox.transient = 3  # exactly the first email's three attempts
    world = make(server.port)
    world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
    queued = [e for e in world.svc.emails(actor=SYSTEM) if e.status is EmailStatus.QUEUED]
    assert len(queued) == 1 and queued[0].attempts == 1
    assert queued[0].last_error.startswith(("421 4.3.2", "451 4.3.0")) and "after 3 attempts" in queued[0].last_error
    assert len(server.mailbox.received) == 1  # the other email went on

    result = world.svc.dispatch_emails(actor=SYSTEM)  # the next cron run: the server is fine now
    assert (result.sent, result.failed, result.retry_later) == (1, 0, 0)
    assert world.svc.dispatch_emails(actor=SYSTEM).sent == 0
    ids = [r.message["Message-ID"] for r in server.mailbox.received]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert {e.status for e in world.svc.emails(actor=SYSTEM)} == {EmailStatus.SENT}


def test_dropped_connection_is_retried_and_the_message_arrives_once(make, server):
    server.mailbox.drop = 1
    world = make(server.port)
    world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
    assert len(server.mailbox.received) == 2
    assert {e.status for e in world.svc.emails(actor=SYSTEM)} == {EmailStatus.SENT}


def test_permanent_rejection_is_recorded_and_ops_can_resend_the_same_row(make, server):
    server.mailbox.refuse = {"andi@example.com"}
    world = make(server.port)
    booking = world.svc.book_and_pay(request(world.svc), actor=SYSTEM).booking
    failed = [e for e in world.svc.emails(actor=SYSTEM) if e.status is EmailStatus.FAILED]
    assert len(failed) == 1 and failed[0].recipient == "andi@example.com" and failed[0].attempts == 1
    assert failed[0].last_error.startswith("550 5.1.1 <andi@example.com>: Recipient address rejected")
    assert "andi@example.com" in failed[0].last_error
    assert [list(r.rcpt_tos) for r in server.mailbox.received] == [["sari@example.com"]]
    assert world.svc.ops_counts(actor=SYSTEM).emails_not_sent == 1

    server.mailbox.refuse = set()  # the customer fixed their mailbox
    rows_before = len(world.svc.emails(actor=SYSTEM))
    resent = world.svc.resend_email(failed[0].id, actor=DEMO_OPS)
    assert resent.id == failed[0].id and resent.status is EmailStatus.SENT and resent.attempts == 2
    assert len(world.svc.emails(actor=SYSTEM)) == rows_before  # the same row, never a copy
    assert len(server.mailbox.to("andi@example.com")) == 1
    assert ("email resent", DEMO_OPS.label) in [(h.event, h.actor) for h in world.svc.history(booking.id, actor=SYSTEM)]
    with pytest.raises(InvalidTransition, match="not failed"):
        world.svc.resend_email(failed[0].id, actor=DEMO_OPS)  # a second click sends nothing
    with pytest.raises(InvalidTransition):
        world.svc.resend_email(99_999, actor=DEMO_OPS)
    with pytest.raises(NotFound):
        world.svc.resend_email("abc", actor=DEMO_OPS)  # type: ignore[arg-type]
    assert len(server.mailbox.received) == 2


def test_unreachable_server_leaves_emails_queued_and_stops_the_run(make, server):
    world = make(free_port())  # nothing listens there
    world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
    result = world.svc.dispatch_emails(actor=SYSTEM)
    assert result.sent == 0
    rows = world.svc.emails(actor=SYSTEM)
    assert {e.status for e in rows} == {EmailStatus.QUEUED}
    tried = [e for e in rows if e.attempts]
    assert len(tried) == 1 and "Could not reach the SMTP server" in tried[0].last_error
    # The server is back: the next run (same minute) sends everything, none held by a stale lease.
    back = make(server.port, db=world.db, seed=False)
    assert back.svc.dispatch_emails(actor=SYSTEM).sent == len(rows)
    assert len(server.mailbox.received) == len(rows)


def test_two_dispatchers_at_once_never_send_one_email_twice(make, server, tmp_path):
    world = make(server.port)
    for i in range(15):  # 30 emails, queued without sending
        b = world.svc.book(request(world.svc, day=DAY + timedelta(days=i // 8), at=time(8 + i % 8, 0)), actor=SYSTEM)
        world.svc.pay(b.id, actor=SYSTEM)
        world.svc.create_link(b.id, dispatch=False, actor=SYSTEM)
    assert len([e for e in world.svc.emails(actor=SYSTEM) if e.status is EmailStatus.QUEUED]) == 30
    other = make(server.port, db=world.db, seed=False)  # a second process on the same database

    barrier = threading.Barrier(2)
    results = []

    def run(svc: BookingService) -> None:
        barrier.wait()
        results.append(svc.dispatch_emails(limit=500, actor=SYSTEM))

    threads = [threading.Thread(target=run, args=(svc,)) for svc in (world.svc, other.svc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [r.message["Message-ID"] for r in server.mailbox.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert sum(r.sent for r in results) == 30
    assert {(e.status, e.attempts) for e in world.svc.emails(actor=SYSTEM)} == {(EmailStatus.SENT, 1)}


# -- the link-pending notice -----------------------------------------------------------------------------

def test_paid_booking_without_link_tells_the_customer_once_after_the_grace_period(make, server, clock):
    world = make(server.port, email_language="en")  # English emails, chosen by the setting
    world.provider.failures, world.provider.permanent = 10**6, True
    booking = world.svc.book_and_pay(request(world.svc), actor=SYSTEM).booking
    assert booking.status is BookingStatus.PAID
    [pending] = world.svc.emails(actor=SYSTEM)
    assert (pending.kind, pending.status, pending.ics) == (LINK_PENDING, EmailStatus.QUEUED, None)
    assert world.svc.dispatch_emails(actor=SYSTEM).sent == 0  # a link may still come within minutes

    clock.now = NOW + timedelta(minutes=11)
    with pytest.raises(MeetingFailed):
        world.svc.create_link(booking.id, actor=SYSTEM)  # fails again: no second notice
    assert world.svc.dispatch_emails(actor=SYSTEM).sent == 1
    [notice] = server.mailbox.to("andi@example.com")
    assert notice["Subject"] == "Payment received: Career mentoring with Sari, link coming soon"
    text, html = bodies(notice)
    assert "still being prepared" in text and "still being prepared" in html
    assert "Thursday, 26 November 2026, 14:00 WIB" in text and "To reschedule or cancel" in text
    assert "Rp 250.000" in text and "Hello Andi," in text and "Kamis" not in text and "Halo" not in text
    assert not [p for p in notice.walk() if p.get_content_type() == "text/calendar"]
    assert [e.kind for e in world.svc.emails(actor=SYSTEM)].count(LINK_PENDING) == 1

    world.provider.failures = 0
    world.svc.create_link(booking.id, actor=SYSTEM)  # the link comes: the confirmation follows as usual
    assert [m["Subject"].split(":")[0] for m in server.mailbox.to("andi@example.com")] == \
        ["Payment received", "Booking confirmed"]


def test_a_link_made_within_the_grace_period_spares_the_notice(make, server):
    world = make(server.port)
    world.provider.failures, world.provider.permanent = 1, True
    booking = world.svc.book_and_pay(request(world.svc), actor=SYSTEM).booking
    assert [e.kind for e in world.svc.emails(actor=SYSTEM)] == [LINK_PENDING]
    world.svc.set_link_manually(booking.id, "https://meet.google.com/abc-defg-hij", actor=SYSTEM)
    assert sorted(e.kind for e in world.svc.emails(actor=SYSTEM)) == ["confirmed.customer", "confirmed.expert"]
    assert [m["Subject"].split(":")[0] for m in server.mailbox.to("andi@example.com")] == ["Pemesanan terkonfirmasi"]


# -- TLS and login -------------------------------------------------------------------------------------

def test_starttls_is_used_when_the_server_requires_it(make, tls_files):
    cert, context = tls_files
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=context, require_starttls=True) as srv:
        world = make(srv.port, smtp={"security": "starttls", "ca_file": str(cert)})
        world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
        assert len(mailbox.received) == 2 and all(r.tls for r in mailbox.received)

        # Without STARTTLS the server refuses the sender: a settings problem, so the email stays
        # queued (not failed) with the reply, and the run stops instead of trying the rest.
        plain = make(srv.port, smtp={"security": "none"}, db=world.db.with_name("plain.db"))
        plain.svc.book_and_pay(request(plain.svc), actor=SYSTEM)
        rows = plain.svc.emails(actor=SYSTEM)
        assert {e.status for e in rows} == {EmailStatus.QUEUED}
        assert any("530" in (e.last_error or "") and "STARTTLS" in e.last_error for e in rows)
        assert len(mailbox.received) == 2


def test_an_untrusted_certificate_is_refused(make, tls_files):
    _, context = tls_files
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=context, require_starttls=True) as srv:
        world = make(srv.port, smtp={"security": "starttls"})  # the system CAs do not know it
        world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
        assert mailbox.received == []
        errors = [e.last_error for e in world.svc.emails(actor=SYSTEM) if e.last_error]
        assert len(errors) == 1 and "TLS with the SMTP server failed" in errors[0]


def test_implicit_ssl(make, tls_files):
    cert, context = tls_files
    mailbox = Mailbox()
    with smtp_server(mailbox, ssl_context=context) as srv:
        world = make(srv.port, smtp={"security": "ssl", "ca_file": str(cert)})
        world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
        assert len(mailbox.received) == 2


def test_login_is_used_and_a_refused_one_never_shows_the_password(make, tls_files):
    cert, context = tls_files
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"right-horse-battery", handled=False)

    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=context, require_starttls=True, authenticator=authenticator,
                     auth_required=True) as srv:
        smtp = {"security": "starttls", "ca_file": str(cert), "username": "mailer"}
        good = make(srv.port, smtp={**smtp, "password": "right-horse-battery"})
        good.svc.book_and_pay(request(good.svc), actor=SYSTEM)
        assert len(mailbox.received) == 2 and logins[0] == ("mailer", "right-horse-battery")

        bad = make(srv.port, smtp={**smtp, "password": "wrong-secret-value"}, db=good.db.with_name("bad.db"))
        bad.svc.book_and_pay(request(bad.svc), actor=SYSTEM)
        rows = bad.svc.emails(actor=SYSTEM)
        assert {e.status for e in rows} == {EmailStatus.QUEUED}
        error = next(e.last_error for e in rows if e.last_error)
        assert "refused the login" in error and "wrong-secret-value" not in error
        assert "wrong-secret-value" not in repr(bad.svc.settings)


# -- settings ------------------------------------------------------------------------------------------

def test_ics_is_off_by_default_with_google_and_on_otherwise():
    assert Settings().ics_enabled
    assert not Settings(meeting_provider="google").ics_enabled
    assert Settings(meeting_provider="google", attach_ics="true").ics_enabled
    assert not Settings(attach_ics="false").ics_enabled


def test_with_the_google_provider_emails_carry_no_ics(make, server):
    world = make(server.port, meeting_provider="google")
    world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
    assert len(server.mailbox.received) == 2
    for r in server.mailbox.received:
        assert not [p for p in r.message.walk() if p.get_content_type() == "text/calendar"]
        assert r.message.get_body(("html",)) is not None
    assert all(e.ics is None for e in world.svc.emails(actor=SYSTEM))


def test_smtp_settings_from_the_environment_and_the_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('email_backend = "smtp"\nattach_ics = false\n[smtp]\nhost = "mail.example.co.id"\n'
                       'from_address = "bookings@example.co.id"\npassword = "from-file"\n'
                       'port = 465\nsecurity = "ssl"\n')
    env = {"CALLEXPERT_SMTP_PASSWORD": "from-env", "CALLEXPERT_SMTP_USERNAME": "mailer",
           "CALLEXPERT_SMTP_SEND_ATTEMPTS": "5"}
    settings = load_settings(secrets, env)
    smtp = settings.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.send_attempts) == \
        ("mail.example.co.id", 465, "ssl", "mailer", 5)
    assert smtp.password.get_secret_value() == "from-env" and "from-env" not in repr(settings)
    assert settings.attach_ics == "false" and not settings.ics_enabled
    assert isinstance(build_sender(settings), SmtpSender)
    assert isinstance(build_sender(Settings()), OutboxOnlySender)
    assert load_settings(tmp_path / "none.toml", {"CALLEXPERT_ATTACH_ICS": "yes"}).attach_ics == "true"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CALLEXPERT_EMAIL_BACKEND": "smtp", "CALLEXPERT_SMTP_FROM_ADDRESS": FROM}, "no mail server"),
        ({"CALLEXPERT_EMAIL_BACKEND": "smtp", "CALLEXPERT_SMTP_HOST": "mail"}, "from_address"),
        ({"CALLEXPERT_EMAIL_BACKEND": "smtp", "CALLEXPERT_SMTP_HOST": "mail", "CALLEXPERT_SMTP_FROM_ADDRESS": "nope"},
         "not an email address"),
        ({"CALLEXPERT_EMAIL_BACKEND": "smtp", "CALLEXPERT_SMTP_HOST": "mail", "CALLEXPERT_SMTP_FROM_ADDRESS": FROM,
          "CALLEXPERT_SMTP_SECURITY": "tls"}, "starttls, ssl, none"),
        ({"CALLEXPERT_EMAIL_BACKEND": "smtp", "CALLEXPERT_SMTP_HOST": "mail", "CALLEXPERT_SMTP_FROM_ADDRESS": FROM,
          "CALLEXPERT_SMTP_TIMEOUT_SECONDS": "600"}, "email_lease_seconds"),
        ({"CALLEXPERT_EMAIL_BACKEND": "sendgrid"}, "outbox, smtp"),
        ({"CALLEXPERT_ATTACH_ICS": "sometimes"}, "auto, true, false"),
    ],
)
def test_bad_smtp_settings_are_refused_with_a_clear_message(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path / "none.toml", env)


# -- the outbox --------------------------------------------------------------------------------------

def test_outbox_default_keeps_the_invitation_readable_in_the_app(tmp_path, clock):
    store = SQLiteStore(tmp_path / "outbox.db")
    svc = BookingService(store, FlakyProvider(), DemoGateway(), OutboxOnlySender(),
                         Settings(default_availability=default_hours()), clock=clock)
    store.add_expert("Sari", "sari@example.com", 250_000)
    store.add_customer(NewCustomer("Andi", "andi@example.com"))
    svc.book_and_pay(request(svc), actor=SYSTEM)
    rows = svc.emails(actor=SYSTEM)
    assert {e.status for e in rows} == {EmailStatus.SENT}
    assert all(e.ics and "ORGANIZER;CN=CallExpert:mailto:bookings@callexpert.invalid" in e.ics for e in rows)


def test_an_older_database_gets_the_new_outbox_columns(tmp_path):
    import sqlite3

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE email_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, booking_id TEXT NOT NULL,"
                     " kind TEXT NOT NULL, version INTEGER NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL,"
                     " body_text TEXT NOT NULL, body_html TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued',"
                     " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, lease_until TEXT,"
                     " created_at TEXT NOT NULL, sent_at TEXT, UNIQUE (booking_id, kind, version))")
    SQLiteStore(db)
    SQLiteStore(db)  # twice: adding the columns is idempotent
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(email_outbox)")}
    assert {"ics", "not_before"} <= columns


def test_cli_send_emails_delivers_the_queue(make, server, monkeypatch, capsys):
    world = make(server.port)
    b = world.svc.book(request(world.svc), actor=SYSTEM)
    world.svc.pay(b.id, actor=SYSTEM)
    world.svc.create_link(b.id, dispatch=False, actor=SYSTEM)
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: world.svc)
    assert cli_main(["send-emails"]) == 0
    assert "Sent 2, failed 0" in capsys.readouterr().out
    assert len(server.mailbox.received) == 2
    assert cli_main(["send-emails"]) == 0 and len(server.mailbox.received) == 2


def test_a_non_ascii_password_is_never_stored_shown_printed_or_logged(make, tls_files, app_env, monkeypatch, capsys,
                                                                       caplog):
    """smtplib cannot send a non-ASCII login; its UnicodeEncodeError quotes the login, password
    included. The outbox, the Emails page, the CLI and the log say what to do, without it."""
    from streamlit.testing.v1 import AppTest  # noqa: F401 - AppTest drives the page below

    from tests.support.apptest import markdown_sources, no_exception, open_page

    password = "rahasia-pässwörd-Ωmega"
    cert, context = tls_files

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    mailbox = Mailbox()
    caplog.set_level("DEBUG")
    with smtp_server(mailbox, tls_context=context, require_starttls=True, authenticator=authenticator,
                     auth_required=True) as srv:
        world = make(srv.port, db=app_env,
                     smtp={"security": "starttls", "ca_file": str(cert), "username": "mailer", "password": password})
        world.svc.book_and_pay(request(world.svc), actor=SYSTEM)
        rows = world.svc.emails(actor=SYSTEM)
        assert rows and {e.status for e in rows} == {EmailStatus.QUEUED} and not mailbox.received
        error = next(e.last_error for e in rows if e.last_error)
        assert "characters other than ASCII" in error and "[smtp]" in error

        monkeypatch.setattr("lib.entrypoints.cli._service", lambda: world.svc)
        cli_main(["send-emails"])
        printed = capsys.readouterr()
        assert "characters other than ASCII" in printed.out

        at = open_page("pages/views/emails_view.py")
        no_exception(at)
        shown = markdown_sources(at) + [t.value for t in at.text]
        assert any("characters other than ASCII" in s for s in shown)
    for secret in (password, "pässwörd", "Ωmega", repr(password)[1:-1]):
        assert all(secret not in (e.last_error or "") for e in world.svc.emails(actor=SYSTEM))
        assert all(secret not in h.detail for e in rows for h in world.svc.history(e.booking_id, actor=SYSTEM))
        assert secret not in printed.out + printed.err
        assert all(secret not in s for s in shown)
        assert secret not in caplog.text


def test_an_unexpected_error_is_described_by_its_type_only():
    from lib.errors import describe_unexpected
    try:
        "\0mailer\0pässwörd".encode("ascii")
    except UnicodeEncodeError as exc:
        assert "pässwörd" in repr(exc)  # what leaked before
        assert describe_unexpected(exc) == "UnicodeEncodeError: some text has characters this connection cannot carry"
    assert describe_unexpected(KeyError("server_key=SB-Mid-server-123")) == "KeyError"


@pytest.mark.parametrize("width", [60, 73, 74, 75, 76, 150, 400])
def test_invitation_text_is_icalendars_own_serialisation_whatever_the_line_lengths(width):
    from icalendar import Event, vCalAddress, vText

    from lib.notify.ics import to_text

    cal = Calendar()
    cal.add("prodid", "-//CallExpert//test//ID")
    event = Event()
    # ASCII, multi-byte letters, and escapes (\, \; \n) that must not be split across a fold.
    for name, value in (("summary", "x" * width), ("description", ("Sesi dengan Déwi Ñ 漢字\n" * 9)[:width]),
                        ("location", ("a,b;c\\d " * 60)[:width]), ("url", "https://meet.jit.si/" + "r" * width)):
        event.add(name, value)
    attendee = vCalAddress("mailto:" + "p" * (width // 3) + "@example.com")
    attendee.params["CN"] = vText("Ñame " * (width // 5))
    event.add("attendee", attendee)
    cal.add_component(event)
    assert to_text(cal) == cal.to_ical().decode("utf-8")


@pytest.mark.parametrize("cancel", [False, True])
def test_an_invitation_is_the_calendar_icalendar_would_write_with_its_timezone(cancel):
    from zoneinfo import ZoneInfo

    from lib.notify.ics import IcsOptions, IcsText, _vtimezone, invitation
    from tests.support.google import make_booking

    booking = make_booking(meeting_link="https://meet.jit.si/CallExpert-" + "x" * 60, customer_name="Déwi Ñ 漢字")
    text = IcsText(summary="Career mentoring dengan Sari " * 3, who="Career mentoring: Déwi dengan Sari",
                   when="Kamis, 26 November 2026, 14:00 WIB, 60 menit", join="Gabung: " + booking.meeting_link,
                   booking=f"Pemesanan {booking.id}", language="id")
    options = IcsOptions("bookings@example.com", stamp=datetime(2026, 11, 1, tzinfo=UTC), alarms=(1440, 60))
    made = invitation(booking, ZoneInfo("Asia/Jakarta"), cancel=cancel, text=text, options=options)
    parsed = Calendar.from_ical(made)
    # Rebuilt the plain way: the same calendar with the VTIMEZONE component in it, serialised whole.
    plain = Calendar()
    for name, value in parsed.property_items(recursive=False)[1:-1]:
        plain.add(name, value)
    plain.add_component(_vtimezone("Asia/Jakarta"))
    plain.add_component(next(c for c in parsed.subcomponents if c.name == "VEVENT"))
    assert made == plain.to_ical().decode("utf-8")
    assert [c.name for c in parsed.subcomponents] == ["VTIMEZONE", "VEVENT"]
    # The other side's invitation of the same booking differs in its summary alone, escaped as TEXT.
    other = invitation(booking, ZoneInfo("Asia/Jakarta"), cancel=cancel, options=options,
                       text=replace(text, summary="Sesi; dengan, Déwi\\ " + "panjang " * 12))
    event = next(c for c in Calendar.from_ical(other).subcomponents if c.name == "VEVENT")
    assert str(event["SUMMARY"]) == "Sesi; dengan, Déwi\\ " + "panjang " * 12
    plain.subcomponents[-1] = event
    assert other == plain.to_ical().decode("utf-8")
