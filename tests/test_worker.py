"""The background worker (`python -m lib worker`): each job, `--once` and its exit code, a job that
fails (logged, recorded, backed off, never fatal), two workers against PostgreSQL doing nothing
twice, SIGTERM mid-run leaving nothing half done, JSON logs, and the ops page's table of runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingStatus, EmailStatus, JobOutcome
from lib.entrypoints.worker import JOBS, Done, Job, Worker, create_links, run
from lib.errors import StoreUnavailable
from lib.payments import PaymentResult, PaymentState
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.bookings import paid_bookings
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender


class PendingGateway(DemoGateway):
    """A gateway with a payment page: a started payment waits; ``status`` is ``answer``'s word."""

    name = "pending"

    def __init__(self, answer: Callable[[str], PaymentResult]) -> None:
        self.answer = answer

    def start(self, booking, order_id, *, expires_at=None):  # noqa: ANN001, ANN201
        return PaymentResult(PaymentState.PENDING, reference="", token="t", redirect_url="https://pay.example/x")

    def status(self, order_id: str) -> PaymentResult:
        return self.answer(order_id)

ROOT = Path(__file__).resolve().parents[1]


def sqlite_service(tmp_path: Path, provider: FlakyProvider | None = None, sender: RecordingSender | None = None,
                   **settings: object) -> BookingService:
    # Reminders off: these tests count the confirmation emails (reminders: tests/test_reminders.py).
    base = Settings(sqlite_path=str(tmp_path / "worker.db"), seed_demo_data=False, link_backoff_seconds=0.0,
                    link_backoff_max_seconds=0.0, reminder_offsets=())
    return BookingService(SQLiteStore(base.sqlite_path), provider or FlakyProvider(), DemoGateway(),
                          sender or RecordingSender(), base.with_changes(**settings), sleep=lambda _: None)


def runs_by_job(svc: BookingService) -> dict[str, object]:
    return {r.job: r for r in svc.job_runs(actor=SYSTEM)}


# -- each job, once --------------------------------------------------------------------------------

def test_once_runs_every_job_links_emails_expiry_and_completion(tmp_path):
    sender = RecordingSender()
    svc = sqlite_service(tmp_path, sender=sender)
    waiting, finished = paid_bookings(svc, 2)
    svc.create_link(finished, actor=SYSTEM)
    unpaid = svc.book(replace(_request_like(svc, waiting), scheduled_time=_hour(svc, waiting, 3)), actor=SYSTEM)
    sender.sent.clear()
    svc.clock = FixedClock(datetime.now(UTC) + timedelta(days=3))  # every session has ended; unpaid is stale

    assert Worker(svc, name="host:1").run_once() is True

    assert svc.get_booking(unpaid.id, actor=SYSTEM).status is BookingStatus.EXPIRED
    linked = svc.get_booking(waiting, actor=SYSTEM)
    assert linked.meeting_link and linked.status is BookingStatus.COMPLETED  # linked, then completed
    assert svc.get_booking(finished, actor=SYSTEM).status is BookingStatus.COMPLETED
    assert Counter(e.booking_id for e in sender.sent) == {waiting: 2}  # its two confirmations went out
    runs = runs_by_job(svc)
    # No "check-payments": the demo gateway settles at once.
    assert sorted(runs) == ["complete-sessions", "create-links", "expire-unpaid", "queue-reminders", "send-emails"]
    assert {r.outcome for r in runs.values()} == {JobOutcome.OK}
    assert runs["create-links"].counts["confirmed"] == 1 and runs["send-emails"].counts["sent"] == 2
    assert runs["expire-unpaid"].counts == {"expired": 1} and runs["complete-sessions"].counts == {"completed": 2}
    assert {r.worker for r in runs.values()} == {"host:1"}


def _request_like(svc: BookingService, booking_id: str):
    from lib.domain import BookingRequest

    b = svc.get_booking(booking_id, actor=SYSTEM)
    return BookingRequest(expert_id=b.expert_id, session_type=b.session_type, scheduled_date=b.scheduled_date,
                          scheduled_time=b.scheduled_time, duration=b.duration, customer_id=b.user_id)


def _hour(svc: BookingService, booking_id: str, later: int):
    b = svc.get_booking(booking_id, actor=SYSTEM)
    return b.scheduled_time.replace(hour=(b.scheduled_time.hour + later) % 24)


def test_once_exits_1_when_links_are_left_and_0_when_the_next_run_makes_them(tmp_path):
    provider = FlakyProvider(failures=3, permanent=True)
    svc = sqlite_service(tmp_path, provider)
    [booking] = paid_bookings(svc, 1)[:1]

    assert run(svc, once=True) == 1
    left = runs_by_job(svc)["create-links"]
    assert left.outcome is JobOutcome.LEFT_WORK and left.message == "1 paid booking(s) still without a link"
    assert left.counts["failed"] == 1
    assert svc.get_booking(booking, actor=SYSTEM).status is BookingStatus.PAID

    provider.failures = 0
    assert run(svc, once=True) == 0
    assert svc.get_booking(booking, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert runs_by_job(svc)["create-links"].outcome is JobOutcome.OK


def test_once_exits_1_when_an_email_failed(tmp_path):
    sender = RecordingSender(failures=1, permanent=True)
    svc = sqlite_service(tmp_path, sender=sender)
    svc.create_link(paid_bookings(svc, 1)[0], actor=SYSTEM, dispatch=False)

    assert run(svc, once=True) == 1
    emails = runs_by_job(svc)["send-emails"]
    assert emails.outcome is JobOutcome.LEFT_WORK and emails.counts == {"sent": 1, "failed": 1, "retry later": 0}


def test_payment_checks_run_only_with_a_real_gateway(tmp_path):
    svc = sqlite_service(tmp_path)
    assert "check-payments" not in [j.name for j in Worker(svc).jobs]
    svc.settings = svc.settings.with_changes(payment_gateway="midtrans")
    assert "check-payments" in [j.name for j in Worker(svc).jobs]


def test_payment_check_job_applies_the_gateways_answer(tmp_path):
    """A booking stuck awaiting payment is asked about; the gateway says it settled: paid, then linked."""
    svc = sqlite_service(tmp_path, midtrans=Settings().midtrans.with_changes(pending_alert_minutes=1))
    svc.payments = PendingGateway(lambda order_id: PaymentResult(PaymentState.PAID, reference=order_id,
                                                                 amount=Decimal(250_000)))
    booking_id = paid_bookings(svc, 1)[0]
    assert svc.get_booking(booking_id, actor=SYSTEM).status is BookingStatus.PENDING
    svc.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=5))
    check = next(j for j in JOBS if j.name == "check-payments")

    run_ = Worker(svc, [check]).run_job(check)

    assert run_.outcome is JobOutcome.OK
    assert run_.counts == {"checked": 1, "paid": 1, "needs review": 0, "unanswered": 0}
    assert svc.get_booking(booking_id, actor=SYSTEM).status in (BookingStatus.PAID, BookingStatus.CONFIRMED)


# -- a job that fails ----------------------------------------------------------------------------

class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_failing_job_is_logged_recorded_backed_off_and_never_ends_the_worker(tmp_path, caplog):
    svc = sqlite_service(tmp_path, worker_backoff_max_seconds=50)
    calls = []

    def flaky(service: BookingService, stop: threading.Event) -> Done:
        calls.append(1)
        if len(calls) <= 4:
            raise RuntimeError("password=hunter2 in a library's message")
        return Done({"done": 1})

    def steady(service: BookingService, stop: threading.Event) -> Done:
        return Done({"done": 1})

    ticks = Ticks()
    worker = Worker(svc, [Job("flaky", lambda s: 10, flaky), Job("steady", lambda s: 10, steady)],
                    name="host:2", monotonic=ticks)
    due = []
    for _ in range(6):
        ticks.now = worker.due["flaky"]
        worker.tick()
        due.append(worker.due["flaky"] - ticks.now)
    # Failures 1-4 wait 10, 20, 40, then 50 (the cap); a success goes back to the interval.
    assert due == [10, 20, 40, 50, 10, 10]
    assert len(calls) == 6
    runs = runs_by_job(svc)
    assert runs["flaky"].outcome is JobOutcome.OK and runs["steady"].outcome is JobOutcome.OK
    failed = [r for r in caplog.records if r.name == "lib.entrypoints.worker" and r.levelname == "ERROR"]
    assert len(failed) == 4 and "Unexpected error: RuntimeError" in failed[0].getMessage()
    assert "hunter2" not in caplog.text


def test_a_job_whose_store_is_down_fails_and_the_run_is_still_logged(tmp_path, caplog, monkeypatch):
    svc = sqlite_service(tmp_path)

    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("Supabase did not answer within 10 s while listing; refresh.")

    monkeypatch.setattr(svc.store, "missing_links", down)
    monkeypatch.setattr(svc.store, "record_job_run", down)
    links = next(j for j in JOBS if j.name == "create-links")
    worker = Worker(svc, [links])

    assert worker.run_once() is False
    assert worker.failures["create-links"] == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "lib.entrypoints.worker"]
    assert any(line.startswith("create-links: failed") and "Supabase did not answer" in line for line in lines)
    assert any(line.startswith("could not record the run of create-links") for line in lines)


def _tick_until_due(worker: Worker, ticks: Ticks, name: str, rounds: int) -> list[float]:
    """Run ``name`` ``rounds`` times, each when it falls due; the wait set after each run."""
    waits = []
    for _ in range(rounds):
        ticks.now = worker.due[name]
        worker.tick()
        waits.append(worker.due[name] - ticks.now)
    return waits


def test_links_back_off_while_the_meeting_provider_refuses_every_one(tmp_path, caplog):
    """Google down: each booking's error is caught, so the run does not fail, yet nothing was made.
    The job waits longer each time (not its plain interval forever); one good run resets it."""
    provider = FlakyProvider(failures=10**6)
    svc = sqlite_service(tmp_path, provider, worker_links_seconds=60, worker_backoff_max_seconds=300)
    paid_bookings(svc, 3)
    links = next(j for j in JOBS if j.name == "create-links")
    ticks = Ticks()
    worker = Worker(svc, [links], name="host:3", monotonic=ticks)

    assert _tick_until_due(worker, ticks, "create-links", 5) == [60, 120, 240, 300, 300]
    run_ = runs_by_job(svc)["create-links"]
    assert run_.outcome is JobOutcome.LEFT_WORK and run_.message == "3 paid booking(s) still without a link"
    assert run_.counts["failed"] == 3 and run_.counts["confirmed"] == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "lib.entrypoints.worker"]
    assert "next try in 120 s, at " in lines[1] and "backing off: 2 run(s) in a row" in lines[1]
    assert all(r.fields["outcome"] == "left work" for r in caplog.records if r.name == "lib.entrypoints.worker")

    provider.failures = 0  # Google is back
    assert _tick_until_due(worker, ticks, "create-links", 2) == [60, 60]
    assert runs_by_job(svc)["create-links"].outcome is JobOutcome.OK


def test_a_run_that_made_some_links_does_not_back_off(tmp_path):
    provider = FlakyProvider(failures=1, permanent=True)  # one booking refused, the others made
    svc = sqlite_service(tmp_path, provider, worker_links_seconds=60)
    paid_bookings(svc, 3)
    links = next(j for j in JOBS if j.name == "create-links")
    ticks = Ticks()
    worker = Worker(svc, [links], monotonic=ticks)

    assert _tick_until_due(worker, ticks, "create-links", 1) == [60]
    assert runs_by_job(svc)["create-links"].outcome is JobOutcome.LEFT_WORK  # the refused one waits
    assert worker.failures["create-links"] == 0  # Google answered: no backoff


def test_emails_back_off_while_the_mail_server_is_unreachable(tmp_path, caplog):
    import socket

    from lib.config import SmtpSettings
    from lib.notify.smtp import SmtpSender

    with socket.socket() as s:  # a port nothing listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", from_address="desk@example.com",
                        timeout_seconds=2, send_attempts=1)
    svc = sqlite_service(tmp_path, worker_emails_seconds=30, worker_backoff_max_seconds=900)
    svc.create_link(paid_bookings(svc, 1)[0], actor=SYSTEM, dispatch=False)
    svc.sender = SmtpSender(smtp, sleep=lambda _: None)
    emails = next(j for j in JOBS if j.name == "send-emails")
    ticks = Ticks()
    worker = Worker(svc, [emails], monotonic=ticks)

    assert _tick_until_due(worker, ticks, "send-emails", 4) == [30, 60, 120, 240]
    run_ = runs_by_job(svc)["send-emails"]
    assert run_.outcome is JobOutcome.LEFT_WORK and run_.message.startswith("the mail server stopped the run: ")
    assert "Could not reach the SMTP server" in run_.message
    assert all(e.status is EmailStatus.QUEUED for e in svc.emails(limit=10, actor=SYSTEM))
    assert "next try in 240 s" in caplog.records[-1].getMessage()

    svc.sender = RecordingSender()  # the server is back
    assert _tick_until_due(worker, ticks, "send-emails", 1) == [30]
    assert runs_by_job(svc)["send-emails"].counts["sent"] == 2


def test_payment_checks_back_off_while_the_gateway_answers_none(tmp_path):
    from lib.errors import PaymentUnavailable

    def no_answer(order_id: str) -> PaymentResult:
        raise PaymentUnavailable("Midtrans did not answer within 10 s.")

    svc = sqlite_service(tmp_path, payment_gateway="midtrans", worker_payments_seconds=300,
                         worker_backoff_max_seconds=900,
                         midtrans=Settings().midtrans.with_changes(pending_alert_minutes=1))
    svc.payments = PendingGateway(no_answer)
    paid_bookings(svc, 2)
    svc.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=5))
    check = next(j for j in JOBS if j.name == "check-payments")
    ticks = Ticks()
    worker = Worker(svc, [check], monotonic=ticks)

    assert _tick_until_due(worker, ticks, "check-payments", 3) == [300, 600, 900]
    assert runs_by_job(svc)["check-payments"].counts["unanswered"] == 2


# -- two workers count only what each changed ------------------------------------------------------

def test_a_worker_counts_only_the_links_it_made_when_another_made_them_after_it_read_the_list(tmp_path,
                                                                                               monkeypatch):
    provider = FlakyProvider()
    first, second = sqlite_service(tmp_path, provider), sqlite_service(tmp_path, provider)  # one SQLite file
    ids = paid_bookings(first, 30)
    reads, first_run = [], []
    read_list = second.missing_links

    def read_then_the_other_worker_links_them_all(*args: object, **kwargs: object) -> object:
        listed = read_list(*args, **kwargs)
        if not reads:  # between the second worker's read and its first claim
            first_run.append(create_links(first, threading.Event()))
        reads.append(len(listed))
        return listed

    monkeypatch.setattr(second, "missing_links", read_then_the_other_worker_links_them_all)
    second_run = create_links(second, threading.Event())

    assert reads == [30, 0]  # the second worker did see all 30 waiting
    assert first_run[0].counts["confirmed"] == 30
    assert second_run.counts == {"confirmed": 0, "failed": 0, "held elsewhere": 30, "still waiting": 0}
    assert provider.duplicates == 0 and len(provider.events) == 30
    assert all(first.get_booking(i, actor=SYSTEM).status is BookingStatus.CONFIRMED for i in ids)


class SlowProvider(FlakyProvider):
    """Takes a moment per meeting, as a calendar does, so two racing workers overlap."""

    def create(self, booking):  # noqa: ANN001, ANN201
        time.sleep(0.005)
        return super().create(booking)


def _race_create_links(services: list[BookingService]) -> list[Done]:
    barrier, done = threading.Barrier(len(services)), [Done()] * len(services)

    def work(i: int) -> None:
        barrier.wait()
        done[i] = create_links(services[i], threading.Event())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(services))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    return done


def _assert_each_confirmed_once_and_counted_once(svc: BookingService, ids: list[str], runs: list[Done],
                                                 provider: FlakyProvider) -> None:
    assert sum(r.counts["confirmed"] for r in runs) == len(ids), [r.counts for r in runs]
    assert all(r.counts["failed"] == 0 for r in runs)
    assert provider.duplicates == 0 and len(provider.events) == len(ids)
    for booking_id in ids:
        assert [h.event for h in svc.history(booking_id, actor=SYSTEM)].count("confirmed") == 1


def test_two_workers_racing_on_one_sqlite_file_count_30_confirmations_for_30_bookings(tmp_path):
    provider = SlowProvider()
    services = [sqlite_service(tmp_path, provider, link_concurrency=4) for _ in range(2)]
    ids = paid_bookings(services[0], 30)
    runs = _race_create_links(services)
    _assert_each_confirmed_once_and_counted_once(services[0], ids, runs, provider)


def test_two_workers_racing_on_postgres_count_30_confirmations_for_30_bookings(tmp_path):
    from lib.notify.in_app_sender import OutboxOnlySender
    from lib.store.supabase import SupabaseStore
    from tests.support.postgres import apply_migrations, fresh_database
    from tests.support.postgrest import KEY, URL, supabase_over_postgres

    provider = SlowProvider()
    settings = Settings(seed_demo_data=False, link_backoff_seconds=0.0, link_backoff_max_seconds=0.0,
                        reminder_offsets=(), link_concurrency=4)
    with fresh_database("count_links") as dsn:
        apply_migrations(dsn)
        with supabase_over_postgres(dsn) as (first_store, _):
            second_store = SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)  # its own connections
            try:
                services = [BookingService(store, provider, DemoGateway(), OutboxOnlySender(), settings,
                                           sleep=lambda _: None) for store in (first_store, second_store)]
                ids = paid_bookings(services[0], 30)
                runs = _race_create_links(services)
                _assert_each_confirmed_once_and_counted_once(services[0], ids, runs, provider)
            finally:
                second_store.close()


# -- two workers at once against PostgreSQL --------------------------------------------------------

def test_two_workers_against_postgres_link_and_email_each_booking_once(monkeypatch, tmp_path):
    from lib.notify.in_app_sender import OutboxOnlySender
    from lib.store.supabase import SupabaseStore
    from lib.wiring import build_meetings
    from tests.support.google import calendar_server, events_by_booking, google_settings, stem_of
    from tests.support.postgres import apply_migrations, fresh_database
    from tests.support.postgrest import KEY, URL, supabase_over_postgres

    count = 16
    with fresh_database("workers") as dsn, calendar_server(monkeypatch, seed=3, latency=0.05) as srv:
        apply_migrations(dsn)
        settings = google_settings(tmp_path / "unused.db", srv, timeout=5.0, link_concurrency=4,
                                   reminder_offsets=())  # the test counts confirmations only
        with supabase_over_postgres(dsn) as (first_store, _):
            second_store = SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)  # its own connections

            def service(store: SupabaseStore) -> BookingService:
                return BookingService(store, build_meetings(settings, store), DemoGateway(), OutboxOnlySender(),
                                      settings)

            one, two = service(first_store), service(second_store)
            ids = paid_bookings(one, count)
            workers = [Worker(one, name="host-a:1"), Worker(two, name="host-b:2")]
            barrier, results = threading.Barrier(2), [None, None]

            def work(i: int) -> None:
                barrier.wait()
                results[i] = workers[i].run_once()

            threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            srv.wait_idle()
            bookings = [one.get_booking(i, actor=SYSTEM) for i in ids]
            emails = one.emails(limit=1000, actor=SYSTEM)
            runs = [r for r in one.job_runs(actor=SYSTEM)]
            histories = {i: [h.event for h in one.history(i, actor=SYSTEM)] for i in ids}
            second_store.close()

    assert all(b.status is BookingStatus.CONFIRMED for b in bookings)
    assert all(events.count("confirmed") == 1 for events in histories.values())
    on_server = events_by_booking(srv)
    assert sorted(on_server) == sorted(stem_of(i) for i in ids)
    assert all(len(events) == 1 for events in on_server.values()), "a booking got two calendar events"
    assert srv.count("events.insert") == count
    assert Counter((e.booking_id, e.kind) for e in emails) == \
        Counter({(i, kind): 1 for i in ids for kind in ("confirmed.customer", "confirmed.expert")})
    assert all(e.status is EmailStatus.SENT and e.attempts == 1 for e in emails), "an email was sent twice"
    # Five jobs, and attendance, calendar changes and reconciliation (Google meetings); the demo
    # gateway has no payment check.
    assert {r.worker for r in runs} <= {"host-a:1", "host-b:2"} and len(runs) == 8


# -- the process: CLI, JSON logs, SIGTERM ----------------------------------------------------------

def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_")}
    env.update({"CALLEXPERT_SQLITE_PATH": str(db), "CALLEXPERT_SEED_DEMO_DATA": "false",
                "CALLEXPERT_SECRETS_FILE": str(db.parent / "no-secrets.toml"), "PYTHONUNBUFFERED": "1",
                "CALLEXPERT_REMINDER_OFFSETS": ""})  # the tests count confirmations only
    env.update(extra)
    return env


def test_cli_once_with_json_logs_gives_one_json_object_per_line(tmp_path):
    db = tmp_path / "cli.db"
    svc = sqlite_service(tmp_path)
    svc.store = SQLiteStore(db)
    from tests.support.bookings import open_all_hours

    paid_bookings(svc, 2)
    open_all_hours(svc.store)
    done = subprocess.run([sys.executable, "-m", "lib", "worker", "--once", "--log-format", "json"], cwd=ROOT,
                          env=_env(db), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    runs = {line["job"]: line for line in lines if line.get("event") == "job run"}
    assert sorted(runs) == ["complete-sessions", "create-links", "expire-unpaid", "queue-reminders", "send-emails"]
    assert runs["create-links"]["counts"]["confirmed"] == 2 and runs["create-links"]["outcome"] == "ok"
    assert runs["send-emails"]["counts"]["sent"] == 4
    assert all(line["level"] == "info" and line["logger"] == "lib.entrypoints.worker" for line in runs.values())


def _leftovers(db: Path) -> tuple[list[str], list[int]]:
    with closing(sqlite3.connect(db)) as conn:
        leased = [r[0] for r in conn.execute("SELECT id FROM bookings WHERE link_lease_until IS NOT NULL")]
        emails = [r[0] for r in conn.execute("SELECT id FROM email_outbox WHERE lease_until IS NOT NULL")]
    return leased, emails


def _confirmed(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM bookings WHERE status = 'confirmed'").fetchone()[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_stops_the_worker_within_seconds_with_nothing_half_done(monkeypatch, tmp_path, signum):
    from lib.wiring import build_service
    from tests.support.bookings import open_all_hours
    from tests.support.google import calendar_server, events_by_booking, google_env, stem_of

    count = 30
    db = tmp_path / "signal.db"
    setup = build_service(Settings(sqlite_path=str(db), seed_demo_data=False))
    ids = paid_bookings(setup, count)
    open_all_hours(setup.store)
    with calendar_server(monkeypatch, seed=5, latency=0.15) as srv:
        env = _env(db, **google_env(srv, db, LINK_CONCURRENCY="2"))
        worker = subprocess.Popen([sys.executable, "-m", "lib", "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while _confirmed(db) < 2 and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.02)
            assert worker.poll() is None, worker.communicate()[1]
            worker.send_signal(signum)
            sent = time.monotonic()
            _, err = worker.communicate(timeout=15)
            took = time.monotonic() - sent
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        srv.wait_idle()

    assert worker.returncode == 0, err
    assert took < 5, f"took {took:.1f} s to stop"
    bookings = [setup.get_booking(i, actor=SYSTEM) for i in ids]
    done = [b for b in bookings if b.status is BookingStatus.CONFIRMED]
    waiting = [b for b in bookings if b.status is BookingStatus.PAID]
    assert len(done) + len(waiting) == count and done and waiting, "the signal did not come mid-run"
    assert _leftovers(db) == ([], []), "a lease was left behind"
    on_server = events_by_booking(srv)
    # Each confirmed booking has its one event; none still waiting has one (no link half made).
    assert sorted(on_server) == sorted(stem_of(b.id) for b in done)
    assert all(len(events) == 1 for events in on_server.values())
    assert all(b.meeting_link is None and b.link_attempts == 0 for b in waiting)
    assert "received: finishing the item in hand" in err and "stopped" in err


# -- the ops page ---------------------------------------------------------------------------------

def test_the_ops_page_shows_each_jobs_latest_run(service):
    from tests.support.apptest import no_exception, open_page

    def broken(svc: BookingService, stop: threading.Event) -> Done:
        raise StoreUnavailable("Supabase is busy or unavailable (503) while listing; try again in a moment.")

    from lib.display_tables import local_medium_when
    from lib.domain import JobRun

    yesterday = datetime.now(UTC) - timedelta(days=1)  # an earlier run: the page shows the latest
    service.record_job_run(JobRun("create-links", "old-host:1", yesterday, yesterday, JobOutcome.OK), actor=SYSTEM)
    worker = Worker(service, [JOBS[0], JOBS[2], Job("analytics", lambda s: 60, broken)], name="ops-host:7")
    latest = {job.name: worker.run_job(job, schedule=False) for job in worker.jobs}
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    table = next(df.value for df in at.dataframe if "Job" in df.value.columns)
    rows = {r["Job"]: r for r in table.to_dict("records")}
    assert sorted(rows) == ["analytics", "create-links", "send-emails"]
    assert {job: row["Last run"] for job, row in rows.items()} == \
        {job: local_medium_when(run.finished_at, service.tz) for job, run in latest.items()}
    assert rows["create-links"]["Last run"] != local_medium_when(yesterday, service.tz)
    assert rows["create-links"]["Outcome"] == "OK" and rows["create-links"]["Worker"] == "ops-host:7"
    assert rows["analytics"]["Outcome"] == "Failed" and "503" in rows["analytics"]["Detail"]


def test_worker_intervals_are_settings_checked_at_start(tmp_path):
    from lib.config import load_settings
    from lib.errors import ConfigError

    env = {"CALLEXPERT_WORKER_EMAILS_SECONDS": "5", "CALLEXPERT_SEED_DEMO_DATA": "false"}
    assert load_settings(tmp_path / "none.toml", env).worker_emails_seconds == 5
    with pytest.raises(ConfigError, match="worker_links_seconds"):
        load_settings(tmp_path / "none.toml", {"CALLEXPERT_WORKER_LINKS_SECONDS": "0"})
