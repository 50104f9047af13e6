-- The embedded SQLite schema. It mirrors the PostgreSQL schema of supabase/migrations:
-- same tables, columns and status values; SQLite checks overlaps in the write transaction.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  TEXT NOT NULL
);
-- The Book page's customer search, by name: walked in order, a search stops at its limit
-- instead of sorting every customer.
CREATE INDEX IF NOT EXISTS users_name ON users (name, email);

CREATE TABLE IF NOT EXISTS experts (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    hourly_rate  INTEGER NOT NULL CHECK (hourly_rate >= 0),
    expertise    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    calendar_id  TEXT                       -- Google calendar read for busy time; NULL: the email
);

-- What each expert offers (lib.domain.SessionType): names per language (JSON object), durations
-- (JSON list of minutes), and a price per hour, or with hourly_rate NULL a fixed price per
-- duration (JSON object minutes -> rupiah). A retired type (active 0) stays for its bookings.
CREATE TABLE IF NOT EXISTS session_types (
    id           TEXT PRIMARY KEY,
    expert_id    TEXT NOT NULL REFERENCES experts(id),
    names        TEXT NOT NULL,
    durations    TEXT NOT NULL,
    hourly_rate  INTEGER CHECK (hourly_rate >= 0),
    fixed_prices TEXT NOT NULL DEFAULT '{}',
    description  TEXT NOT NULL DEFAULT '',
    active       INTEGER NOT NULL DEFAULT 1,
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_types_expert ON session_types (expert_id, position);

CREATE TABLE IF NOT EXISTS bookings (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id),
    expert_id        TEXT NOT NULL REFERENCES experts(id),
    session_type     TEXT NOT NULL,
    scheduled_date   TEXT NOT NULL,             -- YYYY-MM-DD, wall clock in the app timezone
    scheduled_time   TEXT NOT NULL,             -- HH:MM:SS
    duration         INTEGER NOT NULL CHECK (duration IN (30, 45, 60, 90, 120)),  -- the offered lengths
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'paid', 'confirmed', 'cancelled', 'completed', 'expired')),
    price            INTEGER NOT NULL CHECK (price >= 0),
    meeting_link     TEXT,
    google_event_id  TEXT,
    event_version    INTEGER NOT NULL DEFAULT 0,
    revision         INTEGER NOT NULL DEFAULT 0,
    link_attempts    INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    link_lease_until TEXT,
    payment_ref      TEXT,
    request_key      TEXT UNIQUE,
    cancel_reason    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    paid_at          TEXT,
    confirmed_at     TEXT,
    cancelled_at     TEXT,
    payment_order_id TEXT,                      -- the gateway order of the current payment attempt
    payment_token    TEXT,                      -- its Snap token
    payment_url      TEXT,                      -- the page the customer pays on
    payment_attempts INTEGER NOT NULL DEFAULT 0,
    payment_started_at TEXT,
    session_type_id  TEXT REFERENCES session_types(id),  -- the type booked (its price and durations)
    session_names    TEXT,                      -- JSON: its names per language when booked
    starts_at        TEXT GENERATED ALWAYS AS (scheduled_date || ' ' || scheduled_time) STORED,
    ends_at          TEXT GENERATED ALWAYS AS
                     (datetime(scheduled_date || ' ' || scheduled_time, '+' || duration || ' minutes')) STORED
);

-- The expert's upcoming list and the overlap check.
CREATE INDEX IF NOT EXISTS bookings_expert_upcoming ON bookings (expert_id, status, ends_at);
-- The ops list of paid bookings without a link, and the counts.
CREATE INDEX IF NOT EXISTS bookings_status_created ON bookings (status, created_at);
CREATE INDEX IF NOT EXISTS bookings_date ON bookings (scheduled_date, status);
-- The ops page's recent bookings, newest first, whatever their status.
CREATE INDEX IF NOT EXISTS bookings_created ON bookings (created_at);

CREATE TABLE IF NOT EXISTS booking_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id  TEXT NOT NULL REFERENCES bookings(id),
    at          TEXT NOT NULL,
    event       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX IF NOT EXISTS booking_history_booking ON booking_history (booking_id, id);
-- The Overview's link attempts of a range's bookings, read from the index alone.
CREATE INDEX IF NOT EXISTS booking_history_event ON booking_history (booking_id, event);

CREATE TABLE IF NOT EXISTS email_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id   TEXT NOT NULL REFERENCES bookings(id),
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body_text    TEXT NOT NULL,
    body_html    TEXT NOT NULL,
    ics          TEXT,                      -- calendar attachment, NULL when none
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    lease_until  TEXT,
    not_before   TEXT,                      -- not claimed before this instant (a grace period)
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    UNIQUE (booking_id, kind, version)
);
CREATE INDEX IF NOT EXISTS email_outbox_status ON email_outbox (status, id);
CREATE INDEX IF NOT EXISTS email_outbox_booking ON email_outbox (booking_id, id);
-- The Overview's emails of a range's bookings by status, read from the index alone.
CREATE INDEX IF NOT EXISTS email_outbox_booking_status ON email_outbox (booking_id, status);

-- The rolling per-minute request budget of a calendar API, shared by every process on this
-- database: one row per calendar and second, counting the requests taken in it (rows older
-- than the window are dropped as slots are taken).
CREATE TABLE IF NOT EXISTS calendar_request_budget (
    calendar_id  TEXT NOT NULL,
    second_start TEXT NOT NULL,             -- UTC ISO instant, a whole second
    used         INTEGER NOT NULL CHECK (used >= 0),
    PRIMARY KEY (calendar_id, second_start)
);

-- An expert's availability (lib.scheduling.Availability) in the JSON shape of
-- `python -m lib availability`; no row: the default hours.
CREATE TABLE IF NOT EXISTS expert_availability (
    expert_id   TEXT PRIMARY KEY REFERENCES experts(id),
    schedule    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Runs of the background worker's jobs, from every worker on this database (lib/entrypoints/worker.py): the
-- ops page shows each job's latest. Old rows are dropped as new ones are recorded.
CREATE TABLE IF NOT EXISTS job_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    worker       TEXT NOT NULL,             -- host:pid
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'left work', 'failed')),
    message      TEXT NOT NULL DEFAULT '',
    counts       TEXT NOT NULL DEFAULT '{}'  -- JSON object of whole numbers
);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs (job, id);
CREATE INDEX IF NOT EXISTS job_runs_finished ON job_runs (finished_at);

-- The Join links of emails, when `public_base_url` is set: one unguessable token per booking and
-- person, reused by every email of theirs, and each click on it (no user agent, no address).
CREATE TABLE IF NOT EXISTS join_tokens (
    token       TEXT PRIMARY KEY,
    booking_id  TEXT NOT NULL REFERENCES bookings(id),
    person      TEXT NOT NULL CHECK (person IN ('customer', 'expert')),
    created_at  TEXT NOT NULL,
    UNIQUE (booking_id, person)
);
CREATE TABLE IF NOT EXISTS join_clicks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id  TEXT NOT NULL REFERENCES bookings(id),
    person      TEXT NOT NULL CHECK (person IN ('customer', 'expert')),
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS join_clicks_booking ON join_clicks (booking_id, person);

-- Who joined each Google Meet session (lib/service/attendance.py), one row per booking. A row in
-- status 'waiting' is asked about again at next_check_at; 'recorded' and 'no data' are final.
CREATE TABLE IF NOT EXISTS booking_attendance (
    booking_id          TEXT PRIMARY KEY REFERENCES bookings(id) ON DELETE CASCADE,
    status              TEXT NOT NULL CHECK (status IN ('waiting', 'recorded', 'no data')),
    expert_joined       INTEGER NOT NULL DEFAULT 0,
    customer_joined     INTEGER NOT NULL DEFAULT 0,
    expert_joined_at    TEXT,
    expert_left_at      TEXT,
    customer_joined_at  TEXT,
    customer_left_at    TEXT,
    together_minutes    INTEGER NOT NULL DEFAULT 0,
    expert_match        TEXT NOT NULL DEFAULT 'none' CHECK (expert_match IN ('email', 'display name', 'none')),
    customer_match      TEXT NOT NULL DEFAULT 'none' CHECK (customer_match IN ('email', 'display name', 'none')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    checked_at          TEXT,
    next_check_at       TEXT,
    last_error          TEXT NOT NULL DEFAULT ''
);
-- Google user ids (`users/{id}` of a Meet participant) resolved to an email through the People API.
CREATE TABLE IF NOT EXISTS google_user_emails (
    user_id      TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    resolved_at  TEXT NOT NULL
);

-- Calendar work (lib/calendar_work.py): the durable change that brings a booking's Google
-- Calendar event to the booking (moved, or gone), leased by one worker at a time and retried
-- until done. One row per booking; queuing again bumps `generation`.
CREATE TABLE IF NOT EXISTS calendar_work (
    booking_id   TEXT PRIMARY KEY REFERENCES bookings(id),
    reason       TEXT NOT NULL CHECK (reason IN ('cancel', 'reschedule', 'link cleanup', 'reconcile')),
    generation   INTEGER NOT NULL DEFAULT 1,
    state        TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'done')),
    queued_at    TEXT NOT NULL,
    not_before   TEXT NOT NULL,
    lease_until  TEXT,
    hold_until   TEXT,                      -- a link attempt's lease when queued: done only after it
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    done_at      TEXT
);
CREATE INDEX IF NOT EXISTS calendar_work_due ON calendar_work (state, not_before);
-- The Overview's count of one kind of history line (divergences repaired) over a range.
CREATE INDEX IF NOT EXISTS booking_history_event_at ON booking_history (event, at);
-- Customer self-service (docs/self-service.md): one unguessable token per booking for the
-- Reschedule and Cancel links of the customer's emails, the key its forms are signed with, how
-- often the customer moved it, the change being made now (one per booking revision), the
-- customer's last change, and the refund owed after they cancelled a paid booking.
CREATE TABLE IF NOT EXISTS self_service (
    booking_id        TEXT PRIMARY KEY REFERENCES bookings(id),
    token             TEXT NOT NULL UNIQUE,
    form_key          TEXT NOT NULL,
    reschedules       INTEGER NOT NULL DEFAULT 0 CHECK (reschedules >= 0),
    claimed_revision  INTEGER,
    claimed_at        TEXT,
    claim_done        INTEGER NOT NULL DEFAULT 0,
    last_change       TEXT NOT NULL DEFAULT '' CHECK (last_change IN ('', 'rescheduled', 'cancelled')),
    last_change_at    TEXT,
    refund            TEXT NOT NULL DEFAULT '' CHECK (refund IN ('', 'due', 'started')),
    refund_amount     INTEGER NOT NULL DEFAULT 0 CHECK (refund_amount >= 0),
    refund_ref        TEXT NOT NULL DEFAULT '',
    refund_at         TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS self_service_changes ON self_service (last_change_at);
CREATE INDEX IF NOT EXISTS self_service_refund ON self_service (refund) WHERE refund <> '';
