"""`python -m lib`: the booking service from the shell, for cron and ops (the expert commands in
``lib.entrypoints.cli_experts``, the argument types in ``lib.entrypoints.cli_args``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lib.access import CLI, NOTIFICATION
from lib.domain import DEFAULT_DURATION, MAX_DAYS, BookingStatus
from lib.entrypoints.cli_args import (
    MAX_CONCURRENCY,
    MAX_EMAILS,
    RECONCILE_DAYS,
    RECONCILE_MAX_DAYS,
    day,
    day_within,
    whole,
)
from lib.errors import CallExpertError, Transient
from lib.timefmt import rupiah, when

if TYPE_CHECKING:
    from lib.service import BookingService

# The service, its adapters and the expert commands load inside the commands that use them: `--help`
# and `show` start without pandas, the Google client or supabase-py.


def _service() -> BookingService:
    from lib.config import current_settings
    from lib.wiring import build_service

    return build_service(current_settings())


def _seed(args: argparse.Namespace) -> int:
    from lib.config import current_settings
    from lib.demo_data import seed_demo
    from lib.wiring import build_service

    service = build_service(current_settings().with_changes(seed_demo_data=False))
    made = seed_demo(service)
    print(f"Demo data ready: {len(service.experts(actor=CLI))} experts, {len(service.customers(actor=CLI))} customers, "
          f"{made} new bookings.")
    return 0


def _retry_links(args: argparse.Namespace) -> int:
    service = _service()
    todo = service.missing_links(actor=CLI)
    if not todo:
        print("No paid bookings are waiting for a link.")
        return 0
    print(f"Creating links for {len(todo)} paid booking(s) with {service.meetings.name}...")

    def progress(done: int, total: int, booking) -> None:  # noqa: ANN001 - a Booking
        print(f"  [{done}/{total}] {booking.id} {booking.customer_name} with {booking.expert_name}")

    result = service.create_missing_links(progress, actor=CLI, concurrency=args.concurrency)
    print(f"Confirmed {len(result.confirmed)}, skipped {len(result.skipped)} (handled elsewhere), "
          f"failed {len(result.failed)}.")
    for booking_id, error in result.failed.items():
        print(f"  still paid without link: {booking_id}: {error}")
    # Skipped ones may still be waiting: another worker (perhaps one that crashed) holds them
    # until its lease ends. Cron should hear "not done" for those too.
    waiting = {b.id for b in service.missing_links(actor=CLI)} - set(result.failed)
    for booking_id in sorted(waiting):
        print(f"  still paid without link: {booking_id}: another worker holds it; retry after its lease ends")
    return 1 if result.failed or waiting else 0


def _complete_sessions(args: argparse.Namespace) -> int:
    done = _service().complete_finished(actor=CLI)
    print(f"Marked {done} ended session(s) as completed.")
    return 0


def _attendance(args: argparse.Namespace) -> int:
    counts = _service().record_attendance(actor=CLI, booking_id=args.booking)
    print("Attendance: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    return 1 if counts.get("failed") else 0


def _expire_pending(args: argparse.Namespace) -> int:
    service = _service()
    expired = service.expire_unpaid(actor=CLI)
    minutes = service.settings.pending_expiry_minutes
    print(f"Expired {len(expired)} booking(s) still awaiting payment after {minutes} minutes.")
    for b in expired:
        slot = when(b.scheduled_date, b.scheduled_time, service.tz)
        print(f"  {b.id} {b.customer_name} with {b.expert_name}, {slot}")
    return 0


def _send_emails(args: argparse.Namespace) -> int:
    result = _service().dispatch_emails(limit=args.limit, actor=CLI)
    print(f"Sent {result.sent}, failed {result.failed}, to retry later {result.retry_later}.")
    if result.dropped:
        print(f"Dropped {result.dropped} reminder(s) of sessions cancelled, moved or already started.")
    if result.stopped:
        print(f"Stopped early: {result.stopped}")
    return 1 if result.failed else 0


def _queue_reminders(args: argparse.Namespace) -> int:
    queued = _service().queue_reminders(actor=CLI)
    print(f"Queued {queued} reminder email(s); `send-emails` sends them.")
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Run the background jobs until SIGTERM/SIGINT, or each once (``--once``: exit 1 if work is left)."""
    from lib.entrypoints import worker

    worker.configure_logging(args.log_format)
    return worker.run(_service(), once=args.once)


def _show(args: argparse.Namespace) -> int:
    service = _service()
    b = service.get_booking(args.booking, actor=CLI)
    print(f"{b.id}  {b.status.label}")
    print(f"  {b.session_type}: {b.customer_name} <{b.customer_email}> with {b.expert_name}")
    print(f"  {when(b.scheduled_date, b.scheduled_time, service.tz)}, {b.duration} min, {rupiah(b.price)}")
    print(f"  link: {b.meeting_link or '(none yet)'}  attempts: {b.link_attempts}  last error: {b.last_error or '-'}")
    for h in service.history(b.id, actor=CLI):
        print(f"  {h.at:%Y-%m-%d %H:%M:%S} UTC  {h.event:<22} {h.actor:<6} {h.detail}")
    return 0


def _set_link(args: argparse.Namespace) -> int:
    b = _service().set_link_manually(args.booking, args.url, actor=CLI)
    print(f"{b.id} confirmed with {b.meeting_link}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    b = _service().cancel(args.booking, reason=args.reason, actor=CLI)
    print(f"{b.id} cancelled")
    return 0


def _payment_status(args: argparse.Namespace) -> int:
    """Ask the gateway about one booking; exit 0 when it is paid (or on to confirmed), 1 otherwise."""
    result = _service().check_payment(args.booking, actor=CLI)
    b = result.booking
    print(f"{b.id}  {b.status.label}")
    print(f"  {result.message}")
    if result.link_error:
        print(f"  meeting link not ready: {result.link_error}")
    if b.status is BookingStatus.PENDING and b.payment_url:
        print(f"  pay at: {b.payment_url}")
    return 0 if b.status in (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED) else 1


def _payment_notification(args: argparse.Namespace) -> int:
    """Verify and apply one gateway notification (JSON from a file or stdin).

    Exit 0: applied, or a harmless repeat. 1: could not be applied now (the gateway or the store
    did not answer): answer the gateway with an error so it sends it again. 2: refused.
    """
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as body:
                text = body.read()
        payload = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read the notification: {exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"error: the notification is not JSON ({exc.msg}, line {exc.lineno})", file=sys.stderr)
        return 2
    try:
        result = _service().apply_payment_notification(payload, actor=NOTIFICATION)
    except CallExpertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, Transient) else 2
    print(f"{result.booking.id}  {result.booking.status.label}")
    print(f"  {result.message}")
    if result.link_error:
        print(f"  meeting link not ready: {result.link_error}")
    return 0


def _serve_notifications(args: argparse.Namespace) -> int:
    """Serve the Midtrans notification endpoint until SIGINT or SIGTERM."""
    from lib.config import current_settings
    from lib.entrypoints.web import serve  # Starlette and uvicorn load only for this command
    from lib.wiring import build_service

    settings = current_settings()
    host = args.host or settings.notifications_host
    port = settings.notifications_port if args.port is None else args.port
    # Lines about each notification (outcome and booking, never the body) and uvicorn's own.
    logging.getLogger().setLevel(logging.INFO)
    serve(build_service(settings), host, port)  # the service is built once, for every request
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lib", description="CallExpert Console from the shell.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("seed-demo", help="add demo experts, customers and bookings").set_defaults(run=_seed)
    r = sub.add_parser("retry-links", help="create missing meeting links; exits 1 if some remain")
    r.add_argument("--concurrency", type=whole(1, MAX_CONCURRENCY), default=None,
                   help="bookings at a time (default: setting link_concurrency)")
    r.set_defaults(run=_retry_links)
    sub.add_parser("complete-sessions", help="mark confirmed sessions that have ended as completed").set_defaults(
        run=_complete_sessions)
    sub.add_parser("expire-pending", help="expire bookings still awaiting payment after pending_expiry_minutes, "
                   "freeing their slots").set_defaults(run=_expire_pending)
    e = sub.add_parser("send-emails", help="send queued emails; exits 1 if some failed for good")
    e.add_argument("--limit", type=whole(1, MAX_EMAILS), default=500, help="at most this many emails (default 500)")
    e.set_defaults(run=_send_emails)
    sub.add_parser("queue-reminders", help="queue the reminder emails whose time has come (reminder_offsets "
                   "before each confirmed session)").set_defaults(run=_queue_reminders)
    w = sub.add_parser("worker", help="run the background jobs (links, reminders, emails, expiry, payments, "
                       "completion) on their intervals until SIGTERM/SIGINT")
    w.add_argument("--once", action="store_true",
                   help="run each job once and exit: 1 when a job failed or left work, 0 otherwise")
    w.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="one line per event: plain text (default) or JSON for log collectors")
    w.set_defaults(run=_worker)
    at = sub.add_parser("attendance", help="read from Google Meet who joined the sessions that ended "
                        "(Google meetings only); exits 1 if Google could not be read for some")
    at.add_argument("--booking", help="only this booking (asked now, unless its attendance is final)")
    at.set_defaults(run=_attendance)
    s = sub.add_parser("show", help="one booking with its history")
    s.add_argument("booking")
    s.set_defaults(run=_show)
    sl = sub.add_parser("set-link", help="confirm a paid booking with a link pasted by hand")
    sl.add_argument("booking")
    sl.add_argument("url")
    sl.set_defaults(run=_set_link)
    c = sub.add_parser("cancel", help="cancel a booking and its meeting")
    c.add_argument("booking")
    c.add_argument("--reason", default="Cancelled by ops")
    c.set_defaults(run=_cancel)
    ps = sub.add_parser("payment-status", help="ask the payment gateway about one booking; exits 1 unless it is paid")
    ps.add_argument("booking")
    ps.set_defaults(run=_payment_status)
    pn = sub.add_parser("payment-notification",
                        help="verify and apply a gateway notification (a JSON file, or - for stdin)")
    pn.add_argument("file", help="the notification's JSON body, or - to read it from stdin")
    pn.set_defaults(run=_payment_notification)
    sn = sub.add_parser("serve-notifications", help="serve the Midtrans notification endpoint "
                        "(POST /midtrans/notification, GET /healthz) until stopped")
    sn.add_argument("--host", default=None, help="address to listen on (default: setting notifications_host)")
    sn.add_argument("--port", type=whole(1, 65535), default=None, help="port (default: setting notifications_port)")
    sn.set_defaults(run=_serve_notifications)
    av = sub.add_parser("availability", help="print an expert's hours (or --set them from a JSON file)")
    av.add_argument("expert", help="the expert's id or email")
    av.add_argument("--json", action="store_true", help="print the schedule as JSON")
    av.add_argument("--set", metavar="FILE.json", help="load the schedule from this JSON file (validated; "
                    "bad input saves nothing)")
    av.add_argument("--calendar-id", metavar="ID", help="the Google calendar whose busy time blocks the expert's "
                    "slots, e.g. name@example.com or abc123@group.calendar.google.com (their email by default)")
    av.set_defaults(run=lambda args: _experts().availability(_service(), args))
    ty = sub.add_parser("types", help="print an expert's session types (or --set them from a JSON file)")
    ty.add_argument("expert", help="the expert's id or email")
    ty.add_argument("--json", action="store_true", help="print the types as JSON (the shape --set reads)")
    ty.add_argument("--set", metavar="FILE.json", help="replace the expert's types with those of this JSON file "
                    "(checked as a whole; a bad file saves nothing; types left out are retired, or removed when "
                    "never booked)")
    ty.set_defaults(run=lambda args: _experts().types(_service(), args))
    fs = sub.add_parser("slots", help="print an expert's free slots")
    fs.add_argument("expert", help="the expert's id or email")
    fs.add_argument("--from", dest="first", type=day, default=None, help="first day, YYYY-MM-DD (default: today)")
    fs.add_argument("--days", type=whole(1, MAX_DAYS), default=7, help="how many days (default 7)")
    fs.add_argument("--duration", type=int, default=DEFAULT_DURATION, help="minutes (default 60)")
    fs.add_argument("--json", action="store_true", help="print JSON")
    fs.set_defaults(run=lambda args: _experts().slots(_service(), args))
    rc = sub.add_parser("reconcile-calendar", help="compare the bookings with the Google Calendar's events; "
                        "exits 1 when they disagree (unless --fix)")
    rc.add_argument("--since", type=day_within(*RECONCILE_DAYS), default=None,
                    help="first day, YYYY-MM-DD (default: today)")
    rc.add_argument("--days", type=whole(1, RECONCILE_MAX_DAYS), default=60, help="how many days (default 60)")
    rc.add_argument("--fix", action="store_true", help="queue the calendar changes that make them agree")
    rc.set_defaults(run=_reconcile_calendar)
    return p


def _experts():  # noqa: ANN202 - the module lib.entrypoints.cli_experts
    from lib.entrypoints import cli_experts

    return cli_experts


def _reconcile_calendar(args: argparse.Namespace) -> int:
    service = _service()
    since = args.since or service.today()  # today in the app timezone, not the machine's
    report = service.reconcile_calendar(since, args.days, fix=args.fix, actor=CLI)
    if not report.calendar:
        print(f"The meeting provider ({service.meetings.name}) keeps no calendar: nothing to reconcile.")
        return 0
    print(f"Compared {report.checked} booking(s) with an event and {report.events} calendar event(s) "
          f"from {since:%Y-%m-%d} for {args.days} day(s).")
    for title, lines in (("Events without a live booking", report.orphans),
                         ("Bookings whose event is missing", report.missing),
                         ("Events at another time than their booking", report.moved),
                         ("Events whose meeting link is not their booking's", report.relinked)):
        if lines:
            print(f"{title}:")
            for line in lines:
                print(f"  {line}")
    if not report.divergences:
        print("The calendar agrees with the bookings.")
        return 0
    if args.fix:
        print(f"Queued {report.queued} calendar change(s); each was tried once, the worker retries the rest.")
        return 0
    print(f"{report.divergences} divergence(s); run again with --fix to queue the changes that repair them.")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CallExpertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
