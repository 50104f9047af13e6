"""The background worker: ``python -m lib worker`` runs every background job on its own interval.

Each job is one entry of ``JOBS``: a name, the setting that spaces its runs, and a function that
does one run through the booking service. Several workers (on one machine or many) may run
against one store at once: every item a job works on (a booking's link, an email) is leased in
the database, so none is done twice. A job that fails is logged and tried again later, its wait
doubling per failure up to ``worker_backoff_max_seconds``; the worker itself carries on. A run
that did not fail but found the outside service it needs down (Google, Midtrans, the mail
server: ``Done.back_off``) is recorded as having left work and backs off the same way. SIGTERM
and SIGINT let the item in hand finish, start no other, and end the process with code 0.
Every run is recorded in the store (``job_runs``), which the ops page reads.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType

from lib.access import Actor, Role
from lib.config import Settings
from lib.domain import BookingStatus, JobOutcome, JobRun
from lib.errors import CallExpertError, InvalidTransition, describe_unexpected
from lib.service import BookingService

log = logging.getLogger("lib.entrypoints.worker")

# Who the worker is in each booking's history.
WORKER = Actor(Role.SYSTEM, email="worker")
# The most emails one run of the email job sends; the rest wait for the next run.
EMAILS_PER_RUN = 500


@dataclass(frozen=True)
class Done:
    """What one run of a job did (``counts``) and, when it could not do everything, what is left.

    ``back_off``: the outside service the job needs (Google, Midtrans, the mail server) did not
    do any of it, so running again at the plain interval would only ask it again for nothing;
    the worker waits longer before the next run, as after a failed one.
    """

    counts: dict[str, int] = field(default_factory=dict)
    left: str | None = None
    back_off: bool = False


JobRunner = Callable[[BookingService, threading.Event], Done]


def _always(settings: Settings) -> bool:
    return True


@dataclass(frozen=True)
class Job:
    """One background job: ``run`` does one round (checking ``stop`` between items)."""

    name: str
    interval: Callable[[Settings], int]
    run: JobRunner
    enabled: Callable[[Settings], bool] = _always


# -- the jobs ----------------------------------------------------------------------------------

def create_links(svc: BookingService, stop: threading.Event) -> Done:
    """Create the link of every paid booking without one, ``link_concurrency`` at a time.

    Each booking is leased while its link is made, so another worker skips it. Once ``stop`` is
    set no new booking is started; those in hand finish.
    """
    todo = svc.missing_links(actor=WORKER)
    if not todo:
        return Done({"confirmed": 0})

    def one(booking_id: str) -> bool | None:
        if stop.is_set():
            return None  # not started: the next run (or another worker) takes it
        # Only a confirmation this run made counts: the list was read before another worker
        # may have linked some of it. The email job sends what it queued.
        return svc.make_link(booking_id, actor=WORKER, dispatch=False).confirmed_here

    confirmed = held = failed = 0
    workers = max(1, min(svc.settings.link_concurrency, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker-links") as pool:
        futures = [pool.submit(one, b.id) for b in todo]
        for future in as_completed(futures):
            try:
                here = future.result()
            except InvalidTransition:
                held += 1  # another worker has it, or it was cancelled meanwhile
            except CallExpertError:
                failed += 1  # recorded on the booking (attempts, last error) for the ops page
            else:
                confirmed += here is True
                held += here is False  # another worker confirmed it first
    waiting = len(svc.missing_links(actor=WORKER))
    counts = {"confirmed": confirmed, "failed": failed, "held elsewhere": held, "still waiting": waiting}
    # Not one link made and some refused: the provider is down (or refusing everything) for now.
    return Done(counts, f"{waiting} paid booking(s) still without a link" if waiting else None,
                back_off=failed > 0 and confirmed == 0)


def send_emails(svc: BookingService, stop: threading.Event) -> Done:
    """Send queued emails one at a time until the queue is empty, ``stop`` is set, or the mail
    server turns one away for now (it stays queued for the next run)."""
    sent = failed = later = 0
    stopped: str | None = None
    while not stop.is_set() and sent + failed + later < EMAILS_PER_RUN:
        result = svc.dispatch_emails(limit=1, actor=WORKER)
        sent, failed, later = sent + result.sent, failed + result.failed, later + result.retry_later
        if result.stopped:
            stopped = result.stopped
            break
        if result.sent + result.failed == 0:
            break  # the queue is empty, or the one email must wait
    counts = {"sent": sent, "failed": failed, "retry later": later}
    if stopped:  # unreachable, a refused login, a TLS failure: the next email would fare the same
        return Done(counts, f"the mail server stopped the run: {stopped}", back_off=True)
    if failed or later:
        return Done(counts, f"{failed} email(s) failed for good, {later} to retry later")
    return Done(counts)


def queue_reminders(svc: BookingService, stop: threading.Event) -> Done:
    """Queue the reminder emails whose moment has come; the email job sends them. A session whose
    reminders could not be prepared (logged with its booking) leaves the others queued."""
    run = svc.queue_reminders_run(actor=WORKER)
    return Done({"queued": run.queued, "failed": run.failed},
                f"the reminders of {run.failed} session(s) could not be prepared; the log says why"
                if run.failed else None)


def expire_unpaid(svc: BookingService, stop: threading.Event) -> Done:
    """Expire bookings still awaiting payment after ``pending_expiry_minutes``."""
    return Done({"expired": len(svc.expire_unpaid(actor=WORKER))})


def check_payments(svc: BookingService, stop: threading.Event) -> Done:
    """Ask the gateway about each booking awaiting payment for too long, and apply its answer."""
    paid = review = unanswered = asked = 0
    stuck = svc.stuck_pending(actor=WORKER)
    for booking in stuck:
        if stop.is_set():
            break
        asked += 1
        try:
            result = svc.check_payment(booking.id, actor=WORKER)
        except CallExpertError:
            unanswered += 1
            continue
        # Paid by this check only: another worker (or a notification) may have paid it first.
        paid += result.changed and result.booking.status in (BookingStatus.PAID, BookingStatus.CONFIRMED)
        review += result.needs_review  # the history says why; ops look in the gateway's dashboard
    counts = {"checked": len(stuck), "paid": paid, "needs review": review, "unanswered": unanswered}
    return Done(counts, f"the gateway did not answer for {unanswered} booking(s)" if unanswered else None,
                back_off=unanswered > 0 and unanswered == asked)


def complete_sessions(svc: BookingService, stop: threading.Event) -> Done:
    """Mark confirmed sessions that have ended as completed."""
    return Done({"completed": svc.complete_finished(actor=WORKER)})


def record_attendance(svc: BookingService, stop: threading.Event) -> Done:
    """Read from Google Meet who joined the sessions that ended, and store it."""
    counts = svc.record_attendance(actor=WORKER)
    failed = counts.get("failed", 0)
    return Done(counts, f"Google Meet could not be read for {failed} session(s); asked again later"
                if failed else None, back_off=failed > 0 and failed == counts.get("checked", 0))


def calendar_changes(svc: BookingService, stop: threading.Event) -> Done:
    """Bring Google Calendar to each booking whose calendar change is due (a reschedule, a
    cancel, a link attempt's leftover event), each leased while it runs; what fails is tried
    again later with a doubling wait."""
    run = svc.run_calendar_work(actor=WORKER, stop=stop)
    counts = {"done": run.done, "failed": run.failed, "held": run.held}
    return Done(counts, f"{run.failed} calendar change(s) to retry" if run.failed else None,
                back_off=run.failed > 0 and run.done == 0)


def reconcile_calendar(svc: BookingService, stop: threading.Event) -> Done:
    """Compare the coming ``reconcile_days`` days of bookings with the calendar's events and
    queue the work that makes each disagreement agree."""
    today = datetime.now(svc.settings.tz).date()
    report = svc.reconcile_calendar(today - timedelta(days=1), svc.settings.reconcile_days + 1, fix=True,
                                    actor=WORKER)
    counts = {"events": report.events, "bookings": report.checked, "divergences": report.divergences,
              "queued": report.queued}
    return Done(counts, f"{report.divergences} divergence(s) found; their calendar changes are queued"
                if report.divergences else None)


def _with_calendar(settings: Settings) -> bool:
    return settings.meeting_provider == "google"


JOBS: tuple[Job, ...] = (
    Job("create-links", lambda s: s.worker_links_seconds, create_links),
    Job("queue-reminders", lambda s: s.worker_reminders_seconds, queue_reminders),
    Job("send-emails", lambda s: s.worker_emails_seconds, send_emails),
    Job("expire-unpaid", lambda s: s.worker_expire_seconds, expire_unpaid),
    # The demo gateway settles at once: nothing is ever stuck with it.
    Job("check-payments", lambda s: s.worker_payments_seconds, check_payments,
        enabled=lambda s: s.payment_gateway != "demo"),
    Job("complete-sessions", lambda s: s.worker_complete_seconds, complete_sessions),
    # Only Google Meet keeps records of who joined.
    Job("attendance", lambda s: s.worker_attendance_seconds, record_attendance,
        enabled=lambda s: s.meeting_provider == "google"),
    # Jitsi keeps no calendar: no calendar change is ever queued, nothing to reconcile.
    Job("calendar-changes", lambda s: s.worker_calendar_seconds, calendar_changes, enabled=_with_calendar),
    Job("reconcile-calendar", lambda s: s.worker_reconcile_seconds, reconcile_calendar, enabled=_with_calendar),
)


# -- the loop ----------------------------------------------------------------------------------

def worker_id() -> str:
    """``host:pid``: which worker recorded a run."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _where(exc: BaseException) -> str:
    """The innermost frame of an exception, ``file:line``: where to look, with nothing it said."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""


class Worker:
    """Runs ``jobs`` through ``service``; ``stop`` ends the loop (set by the signal handlers)."""

    def __init__(self, service: BookingService, jobs: Sequence[Job] = JOBS, *,
                 name: str | None = None, stop: threading.Event | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.name = name or worker_id()
        self.stop = stop or threading.Event()
        self.jobs = [job for job in jobs if job.enabled(service.settings)]
        self._monotonic = monotonic
        self.due = {job.name: 0.0 for job in self.jobs}  # monotonic seconds
        self.failures = {job.name: 0 for job in self.jobs}

    def delay(self, job: Job) -> float:
        """Seconds until the job's next run: its interval, doubled per failure in a row up to
        ``worker_backoff_max_seconds`` (never less than the interval)."""
        interval = float(job.interval(self.service.settings))
        failures = self.failures[job.name]
        if not failures:
            return interval
        cap = max(interval, float(self.service.settings.worker_backoff_max_seconds))
        return min(interval * 2 ** (failures - 1), cap)

    def run_job(self, job: Job, *, schedule: bool = True) -> JobRun:
        """One run of ``job``: never raises; logs one line and records the run in the store.

        A run that failed, or whose outside service was down (``Done.back_off``, recorded as
        ``left work`` with its detail), adds one to the job's failures in a row, which lengthen
        its wait (``delay``); any other run resets them. With ``schedule`` the job's next run is
        set (``due``) and the log line says when it is.
        """
        started, clock = datetime.now(UTC), self._monotonic()
        back_off = False
        try:
            done = job.run(self.service, self.stop)
        except CallExpertError as exc:  # the console's own wording: safe to store and show
            outcome, message, counts, extra = JobOutcome.FAILED, str(exc), {}, {"error": type(exc).__name__}
        except Exception as exc:  # noqa: BLE001 - a job must never end the worker
            outcome, message, counts = JobOutcome.FAILED, f"Unexpected error: {describe_unexpected(exc)}", {}
            extra = {"error": type(exc).__name__, "where": _where(exc)}
        else:
            back_off = done.back_off
            outcome = JobOutcome.LEFT_WORK if done.left or back_off else JobOutcome.OK
            message = done.left or ("the outside service did not answer" if back_off else "")
            counts, extra = dict(done.counts), {}
        failed = outcome is JobOutcome.FAILED or back_off
        self.failures[job.name] = self.failures[job.name] + 1 if failed else 0
        seconds = self._monotonic() - clock
        run = JobRun(job.name, self.name, started, datetime.now(UTC), outcome, message, counts)
        wait = self.delay(job) if schedule else None
        self._log(run, seconds, extra, wait, self.failures[job.name])
        try:
            self.service.record_job_run(run, actor=WORKER)
        except Exception as exc:  # noqa: BLE001 - the store may be what is down; the log has the run
            log.warning("could not record the run of %s: %s", job.name,
                        str(exc) if isinstance(exc, CallExpertError) else describe_unexpected(exc),
                        extra={"fields": {"event": "record failed", "job": job.name}})
        if wait is not None:
            self.due[job.name] = self._monotonic() + wait
        return run

    def _log(self, run: JobRun, seconds: float, extra: dict[str, str], wait: float | None, failures: int) -> None:
        said = ", ".join(f"{k} {v}" for k, v in run.counts.items())
        text = f"{run.job}: {run.outcome.value} in {seconds:.1f} s" + (f"; {said}" if said else "") + \
            (f"; {run.message}" if run.message else "")
        fields: dict[str, object] = {
            "event": "job run", "job": run.job, "worker": run.worker, "outcome": run.outcome.value,
            "seconds": round(seconds, 3), "counts": run.counts, "detail": run.message, **extra}
        if wait is not None:
            at = run.finished_at + timedelta(seconds=wait)
            text += f"; next try in {wait:.0f} s, at {at:%H:%M:%S} UTC" + \
                (f" (backing off: {failures} run(s) in a row got nothing done)" if failures else "")
            fields.update({"next_try": at.isoformat(timespec="seconds"), "next_try_seconds": wait,
                           "failures_in_a_row": failures})
        level = {JobOutcome.OK: logging.INFO, JobOutcome.LEFT_WORK: logging.WARNING}.get(run.outcome, logging.ERROR)
        log.log(level, "%s", text, extra={"fields": fields})

    def run_once(self) -> bool:
        """Run each job once (in order, until ``stop``); True when every run was ``ok``."""
        runs = []
        for job in self.jobs:
            if self.stop.is_set():
                break
            runs.append(self.run_job(job, schedule=False))  # cron (or the caller) says when next
        return all(r.outcome is JobOutcome.OK for r in runs)

    def tick(self) -> float:
        """Run the jobs that are due; the seconds until the next one is."""
        for job in self.jobs:
            if self.stop.is_set():
                break
            if self._monotonic() >= self.due[job.name]:
                self.run_job(job)  # sets its next due time
        return max(0.0, min(self.due.values(), default=60.0) - self._monotonic())

    def run_forever(self) -> None:
        """Run due jobs until ``stop`` is set; the wait between them ends at once on ``stop``."""
        log.info("worker %s started: %s", self.name, ", ".join(j.name for j in self.jobs),
                 extra={"fields": {"event": "started", "worker": self.name, "jobs": [j.name for j in self.jobs]}})
        while not self.stop.is_set():
            self.stop.wait(self.tick())
        log.info("worker %s stopped", self.name, extra={"fields": {"event": "stopped", "worker": self.name}})


# -- logging and the process -------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``fields``.

    A record with an exception carries its type only, never its message (it may quote a secret).
    """

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[1] is not None:
            data["error"] = describe_unexpected(record.exc_info[1])
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Log INFO and up to stderr, one line per event: plain text, or JSON (``"json"``)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # Client libraries log each HTTP request at INFO; one line per job run is what operators want.
    for noisy in ("httpx", "googleapiclient.discovery", "googleapiclient.discovery_cache"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(service: BookingService, *, once: bool) -> int:
    """Run the worker in this process until SIGTERM or SIGINT (or each job once, ``once``).

    Exit code: 0; with ``once``, 1 when a job failed or left work.
    """
    worker = Worker(service)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not worker.stop.is_set():
            log.info("%s received: finishing the item in hand, then stopping", signal.Signals(signum).name,
                     extra={"fields": {"event": "stopping", "signal": signal.Signals(signum).name}})
        worker.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if once:
        return 0 if worker.run_once() else 1
    worker.run_forever()
    return 0
