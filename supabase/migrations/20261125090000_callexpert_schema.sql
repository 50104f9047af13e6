-- CallExpert Console: tables, columns, constraints and indexes.
--
-- Starts from the tables the platform already has (users, experts, bookings with uuid ids) and
-- adds what the console uses. Every statement is re-runnable: CREATE ... IF NOT EXISTS,
-- ADD COLUMN IF NOT EXISTS, and constraints added only when missing, so the file applies to an
-- empty database, to the platform's existing one, and a second time to either.
--
-- Dates and times are wall clock in the app timezone (Asia/Jakarta, no DST), so the session's
-- range is a plain `tsrange`: a `tstzrange(... at time zone ...)` would not be immutable and
-- could not be a generated column.

create schema if not exists extensions;
-- btree_gist lets one GiST exclusion constraint combine `expert_id with =` and `slot with &&`.
create extension if not exists btree_gist with schema extensions;

-- Customers. On the platform users.id is the Supabase Auth user id (auth.uid()).
create table if not exists public.users (
    id          uuid primary key default gen_random_uuid(),
    name        text not null,
    email       text not null,
    created_at  timestamptz not null default now()
);
alter table public.users add column if not exists created_at timestamptz not null default now();
-- The email identifies a customer typed into the booking form, whatever its case.
create unique index if not exists users_email_lower_key on public.users (lower(email));

create table if not exists public.experts (
    id           uuid primary key default gen_random_uuid(),
    name         text not null,
    email        text not null,
    hourly_rate  integer not null default 0 check (hourly_rate >= 0),
    expertise    text not null default '',
    created_at   timestamptz not null default now()
);
alter table public.experts
    add column if not exists hourly_rate integer not null default 0 check (hourly_rate >= 0),
    add column if not exists expertise   text not null default '',
    add column if not exists created_at  timestamptz not null default now();
create unique index if not exists experts_email_lower_key on public.experts (lower(email));

create table if not exists public.bookings (
    id              uuid primary key default gen_random_uuid(),
    user_id         uuid not null references public.users (id),
    expert_id       uuid not null references public.experts (id),
    session_type    text not null,
    scheduled_date  date not null,
    scheduled_time  time not null,
    duration        integer not null default 60,
    status          text not null default 'pending',
    price           integer not null default 0,
    created_at      timestamptz not null default now()
);
alter table public.bookings
    add column if not exists meeting_link      text,
    add column if not exists google_event_id   text,
    add column if not exists event_version     integer not null default 0,
    add column if not exists revision          integer not null default 0,
    add column if not exists link_attempts     integer not null default 0,
    add column if not exists last_error        text,
    add column if not exists link_lease_until  timestamptz,
    add column if not exists payment_ref       text,
    add column if not exists request_key       text,
    add column if not exists cancel_reason     text,
    add column if not exists created_at        timestamptz not null default now(),
    add column if not exists updated_at        timestamptz not null default now(),
    add column if not exists paid_at           timestamptz,
    add column if not exists confirmed_at      timestamptz,
    add column if not exists cancelled_at      timestamptz;

-- The platform's pages treat a missing duration as 60 minutes; make that explicit so every
-- booking has a range and the overlap rule covers it.
update public.bookings set duration = 60 where duration is null;
alter table public.bookings alter column duration set default 60, alter column duration set not null;

-- Start, end and range of the session, wall clock. Stored so they can be indexed and filtered
-- through PostgREST (`ends_at=gt.<now>`).
alter table public.bookings
    add column if not exists starts_at timestamp
        generated always as (scheduled_date + scheduled_time) stored,
    add column if not exists ends_at timestamp
        generated always as (scheduled_date + scheduled_time + make_interval(mins => duration)) stored,
    add column if not exists slot tsrange
        generated always as (tsrange(scheduled_date + scheduled_time,
                                     scheduled_date + scheduled_time + make_interval(mins => duration),
                                     '[)')) stored;

-- Checks are dropped and re-added so a re-run (or an older check of the same name from the
-- platform, e.g. one without 'paid') ends with exactly these.
alter table public.bookings drop constraint if exists bookings_status_check;
alter table public.bookings add constraint bookings_status_check
    check (status in ('pending', 'paid', 'confirmed', 'cancelled', 'completed'));
alter table public.bookings drop constraint if exists bookings_duration_check;
alter table public.bookings add constraint bookings_duration_check check (duration > 0);
alter table public.bookings drop constraint if exists bookings_price_check;
alter table public.bookings add constraint bookings_price_check check (price >= 0);

do $$
begin
    -- Embedded resources (customer and expert names in one request) follow these keys.
    if not exists (
        select 1 from pg_constraint c
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
        where c.conrelid = 'public.bookings'::regclass and c.contype = 'f'
          and c.confrelid = 'public.users'::regclass and a.attname = 'user_id'
    ) then
        alter table public.bookings
            add constraint bookings_user_id_fkey foreign key (user_id) references public.users (id);
    end if;
    if not exists (
        select 1 from pg_constraint c
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
        where c.conrelid = 'public.bookings'::regclass and c.contype = 'f'
          and c.confrelid = 'public.experts'::regclass and a.attname = 'expert_id'
    ) then
        alter table public.bookings
            add constraint bookings_expert_id_fkey foreign key (expert_id) references public.experts (id);
    end if;
    -- No double booking, even under concurrent writes: an expert cannot hold two overlapping
    -- pending/paid/confirmed sessions. '[)' ranges let back-to-back sessions pass.
    -- Existing overlapping active bookings make this fail (23P01); resolve them and re-run.
    if not exists (
        select 1 from pg_constraint
        where conrelid = 'public.bookings'::regclass and conname = 'bookings_no_overlap'
    ) then
        alter table public.bookings add constraint bookings_no_overlap
            exclude using gist (expert_id with =, slot with &&)
            where (status in ('pending', 'paid', 'confirmed'));
    end if;
end
$$;

-- The same booking form submitted twice carries the same key: one booking.
create unique index if not exists bookings_request_key_key on public.bookings (request_key);
-- The expert's upcoming list: expert, status, then date and time order.
create index if not exists bookings_expert_upcoming
    on public.bookings (expert_id, status, scheduled_date, scheduled_time);
-- The ops list: paid bookings that still have no meeting link, oldest first.
create index if not exists bookings_missing_link
    on public.bookings (status, created_at) where meeting_link is null;
create index if not exists bookings_created on public.bookings (created_at);
create index if not exists bookings_date_status on public.bookings (scheduled_date, status);
-- The customer's own bookings (row level security filters on it).
create index if not exists bookings_user on public.bookings (user_id);

-- Audit log: one row per thing that happened to a booking.
create table if not exists public.booking_history (
    id          bigint generated by default as identity primary key,
    booking_id  uuid not null references public.bookings (id),
    at          timestamptz not null default now(),
    event       text not null,
    detail      text not null default '',
    actor       text not null default 'system'
);
create index if not exists booking_history_booking on public.booking_history (booking_id, id);

-- Email outbox: an email is a row keyed by (booking, kind, version), so a retried transition
-- queues nothing new and a dispatcher sends each row once.
create table if not exists public.email_outbox (
    id           bigint generated by default as identity primary key,
    booking_id   uuid not null references public.bookings (id),
    kind         text not null,
    version      integer not null,
    recipient    text not null,
    subject      text not null,
    body_text    text not null,
    body_html    text not null,
    ics          text,                  -- calendar attachment (invite.ics), null when none
    status       text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
    attempts     integer not null default 0,
    last_error   text,
    lease_until  timestamptz,
    not_before   timestamptz,           -- not claimed before this instant (a grace period)
    created_at   timestamptz not null default now(),
    sent_at      timestamptz,
    constraint email_outbox_booking_id_kind_version_key unique (booking_id, kind, version)
);
alter table public.email_outbox
    add column if not exists ics        text,
    add column if not exists not_before timestamptz;
create index if not exists email_outbox_status on public.email_outbox (status, id);
create index if not exists email_outbox_booking on public.email_outbox (booking_id, id);
