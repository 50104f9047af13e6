"""The seed's way of making Meet links, ported to Python as the baseline of the link figures.

Ported from the seed's booking flow (``handleBooking`` steps 3-4, ``createMeetingLink`` and
``handleBookingWithRetry``), one booking at a time:

1. read the booking row, then (inside ``createMeetingLink``, so again on every attempt) the
   expert's and the customer's name and email: plain ``SELECT`` statements on the SQLite file
   the console uses, as the seed's ``supabase.from(...).select(...).eq('id', ...).single()``;
2. the ``create-meeting-link`` edge function: ``events.insert`` with the real
   google-api-python-client, ``conferenceDataVersion=1``, ``sendUpdates=all``, a Meet
   ``createRequest`` with a random ``requestId`` and no event id (Google chooses one);
3. ``UPDATE bookings SET meeting_link, google_event_id, status = 'confirmed'`` in one statement;
4. on any failure (a 429 included) wait 1 s x attempt and call ``createMeetingLink`` again, at
   most 3 attempts; then the booking is left for manual work (``requiresManualIntervention``).

Where it differs, and why:

* The seed runs this per booking right after its payment; here one loop walks the paid bookings
  waiting for a link (oldest first), the same set ``create_missing_links`` takes.
* The seed does not show its edge function. The port is the smallest one that works against
  Google: while the conference is ``pending`` it reads the event again (``events.get``) at once,
  until the link is there. Without that the seed would store no link for a pending conference.
  The event carries the booking id in its description, so duplicates can be counted.
* Step 5 (the confirmation emails) is left out: the figure is about links. Ours queues its
  emails inside the measured run, so the comparison favours the seed slightly.
* A retry after an answer was lost (a 429 on a re-read, a timeout) inserts a second event with
  its own Meet link; the seed does that too. ``duplicates`` counts those events.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

MAX_RETRIES = 3  # handleBookingWithRetry(bookingData, maxRetries = 3)
BACKOFF_SECONDS = 1.0  # setTimeout(resolve, 1000 * attempt)
TIMEZONE = "Asia/Jakarta"


@dataclass
class SeedRun:
    """What one run of the seed's loop did."""

    linked: int = 0
    manual: int = 0  # left without a link after 3 attempts: "Support team will contact you"
    attempts: int = 0


def calendar_client(api_endpoint: str, credentials_json: str, timeout: float = 30.0) -> Any:
    """The Calendar v3 client the edge function would use: the real google-api-python-client."""
    import json

    import google_auth_httplib2
    import httplib2
    from google.oauth2 import credentials as user_credentials
    from googleapiclient.discovery import build

    creds = user_credentials.Credentials.from_authorized_user_info(
        json.loads(credentials_json), scopes=["https://www.googleapis.com/auth/calendar.events"])
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=timeout, proxy_info=None))
    return build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": api_endpoint})


def _one(db: sqlite3.Connection, sql: str, key: str) -> sqlite3.Row:
    row = db.execute(sql, (key,)).fetchone()
    if row is None:  # .single() errors on no row
        raise LookupError(f"no row for {key}")
    return row


def _edge_function(calendar: Any, body: dict[str, Any]) -> dict[str, Any]:
    """``create-meeting-link``: insert the event with a Meet conference, wait for its link."""
    start = datetime.fromisoformat(f"{body['scheduledDate']}T{body['scheduledTime']}")
    end = start + timedelta(minutes=int(body["duration"]))
    event = calendar.events().insert(
        calendarId="primary",
        conferenceDataVersion=1,
        sendUpdates="all",
        body={
            "summary": f"{body['sessionType']} - {body['expertName']} & {body['userName']}",
            "description": f"CallExpert session. Booking id: {body['bookingId']}",
            "start": {"dateTime": start.isoformat(), "timeZone": TIMEZONE},
            "end": {"dateTime": end.isoformat(), "timeZone": TIMEZONE},
            "attendees": [{"email": body["userEmail"]}, {"email": body["expertEmail"]}],
            "conferenceData": {"createRequest": {"requestId": uuid.uuid4().hex,
                                                 "conferenceSolutionKey": {"type": "hangoutsMeet"}}},
        },
    ).execute(num_retries=0)
    while ((event.get("conferenceData") or {}).get("createRequest") or {}).get("status", {}).get(
            "statusCode") == "pending":
        event = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    if not event.get("hangoutLink"):
        return {"success": False, "error": "no Meet link"}
    return {"success": True, "meetingLink": event["hangoutLink"], "eventId": event["id"]}


def create_meeting_link(db: sqlite3.Connection, calendar: Any, booking: sqlite3.Row) -> dict[str, Any]:
    """``createMeetingLink(booking)``: read the expert and the user, call the edge function."""
    try:
        expert = _one(db, "SELECT name, email FROM experts WHERE id = ?", booking["expert_id"])
        user = _one(db, "SELECT name, email FROM users WHERE id = ?", booking["user_id"])
        return _edge_function(calendar, {
            "bookingId": booking["id"], "expertName": expert["name"], "userName": user["name"],
            "userEmail": user["email"], "expertEmail": expert["email"], "sessionType": booking["session_type"],
            "scheduledDate": booking["scheduled_date"], "scheduledTime": booking["scheduled_time"],
            "duration": booking["duration"] or 60,
        })
    except Exception as exc:  # noqa: BLE001 - the seed turns every error into { success: false }
        return {"success": False, "error": str(exc)}


def handle_booking_with_retry(db: sqlite3.Connection, calendar: Any, booking: sqlite3.Row, run: SeedRun,
                              sleep: Any = time.sleep) -> dict[str, Any]:
    """``handleBookingWithRetry``: up to 3 attempts, waiting 1 s x attempt between them."""
    for attempt in range(1, MAX_RETRIES + 1):
        run.attempts += 1
        result = create_meeting_link(db, calendar, booking)
        if result["success"]:
            return result
        if attempt < MAX_RETRIES:
            sleep(BACKOFF_SECONDS * attempt)
    return {"success": False, "requiresManualIntervention": True}


def run_seed_loop(db_path: Path, calendar: Any, sleep: Any = time.sleep) -> SeedRun:
    """Make the links of every paid booking without one, the seed's way, one after the other."""
    run = SeedRun()
    db = sqlite3.connect(db_path, timeout=30, isolation_level=None)  # autocommit, as each supabase call
    db.row_factory = sqlite3.Row
    try:
        waiting = [r["id"] for r in db.execute(
            "SELECT id FROM bookings WHERE status = 'paid' AND meeting_link IS NULL ORDER BY created_at")]
        for booking_id in waiting:
            booking = _one(db, "SELECT * FROM bookings WHERE id = ?", booking_id)
            result = handle_booking_with_retry(db, calendar, booking, run, sleep)
            if not result["success"]:
                run.manual += 1
                continue
            db.execute("UPDATE bookings SET meeting_link = ?, google_event_id = ?, status = 'confirmed' WHERE id = ?",
                       (result["meetingLink"], result["eventId"], booking_id))
            run.linked += 1
    finally:
        db.close()
    return run


def duplicate_events(events: list[dict[str, Any]]) -> int:
    """Events beyond one per booking (a retry after a lost answer makes another), from the
    booking id the seed's events carry in their description."""
    per_booking = Counter(e.get("description", "").rpartition("Booking id: ")[2] for e in events)
    return sum(n - 1 for n in per_booking.values() if n > 1)
