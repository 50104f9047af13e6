-- CallExpert Console: each expert's availability, and the calendar their busy time is read from.
--
-- expert_availability holds lib.scheduling.Availability: weekly hours and date overrides as JSON
-- in the shape of `python -m lib availability` (weekly: {"mon": [["09:00", "12:00"], ...], ...},
-- overrides: {"2026-12-25": [], ...}), the numbers as checked columns. No row: the console's
-- default hours. The console writes it with the service role (ops edit anyone's); through the
-- platform's own clients an expert may write only their own row, matched on their verified email
-- (public.jwt_verified_email, 20261129110000), and signed-in users may read them all, as they
-- read the expert directory, to see when an expert can be booked.

alter table public.experts add column if not exists calendar_id text;
alter table public.experts drop constraint if exists experts_calendar_id_check;
alter table public.experts add constraint experts_calendar_id_check
    check (calendar_id is null or (calendar_id = btrim(calendar_id) and calendar_id <> ''));
comment on column public.experts.calendar_id is
    'The Google calendar whose free/busy blocks the expert''s slots; null means the expert''s email.';

create table if not exists public.expert_availability (
    expert_id           uuid primary key references public.experts (id) on delete cascade,
    timezone            text not null default 'Asia/Jakarta' check (timezone <> ''),
    weekly              jsonb not null default '{}'::jsonb,
    overrides           jsonb not null default '{}'::jsonb,
    buffer_before       integer not null default 0 check (buffer_before between 0 and 720),
    buffer_after        integer not null default 0 check (buffer_after between 0 and 720),
    min_notice_minutes  integer not null default 60 check (min_notice_minutes between 0 and 129600),
    slot_step_minutes   integer not null default 30 check (slot_step_minutes in (5, 10, 15, 20, 30, 60)),
    max_per_day         integer check (max_per_day is null or max_per_day between 1 and 96),
    horizon_days        integer not null default 365 check (horizon_days between 0 and 730),
    updated_at          timestamptz not null default now(),
    -- Weekday keys only; ranges are checked by the console (lib.scheduling) before they get here.
    constraint expert_availability_weekly_check check (
        jsonb_typeof(weekly) = 'object'
        and (weekly - array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) = '{}'::jsonb),
    constraint expert_availability_overrides_check check (jsonb_typeof(overrides) = 'object')
);

-- Store (replace) one expert's availability from the JSON shape; one statement, so the row is
-- never half written. Security invoker: row level security applies to whoever calls it.
create or replace function public.expert_availability_put(p_expert_id uuid, p_schedule jsonb)
    returns void
    language sql
    security invoker
    set search_path = ''
as $$
    insert into public.expert_availability as a (
        expert_id, timezone, weekly, overrides, buffer_before, buffer_after, min_notice_minutes,
        slot_step_minutes, max_per_day, horizon_days, updated_at)
    values (
        p_expert_id,
        p_schedule ->> 'timezone',
        coalesce(p_schedule -> 'weekly', '{}'::jsonb),
        coalesce(p_schedule -> 'overrides', '{}'::jsonb),
        (p_schedule ->> 'buffer_before')::integer,
        (p_schedule ->> 'buffer_after')::integer,
        (p_schedule ->> 'min_notice_minutes')::integer,
        (p_schedule ->> 'slot_step_minutes')::integer,
        (p_schedule ->> 'max_per_day')::integer,
        (p_schedule ->> 'horizon_days')::integer,
        now())
    on conflict (expert_id) do update set
        timezone = excluded.timezone, weekly = excluded.weekly, overrides = excluded.overrides,
        buffer_before = excluded.buffer_before, buffer_after = excluded.buffer_after,
        min_notice_minutes = excluded.min_notice_minutes, slot_step_minutes = excluded.slot_step_minutes,
        max_per_day = excluded.max_per_day, horizon_days = excluded.horizon_days, updated_at = now()
$$;

alter table public.expert_availability enable row level security;

drop policy if exists expert_availability_read_signed_in on public.expert_availability;
create policy expert_availability_read_signed_in on public.expert_availability
    for select to authenticated
    using (true);

drop policy if exists expert_availability_expert_insert on public.expert_availability;
create policy expert_availability_expert_insert on public.expert_availability
    for insert to authenticated
    with check (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select public.jwt_verified_email())));

drop policy if exists expert_availability_expert_update on public.expert_availability;
create policy expert_availability_expert_update on public.expert_availability
    for update to authenticated
    using (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select public.jwt_verified_email())))
    with check (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select public.jwt_verified_email())));

drop policy if exists expert_availability_expert_delete on public.expert_availability;
create policy expert_availability_expert_delete on public.expert_availability
    for delete to authenticated
    using (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select public.jwt_verified_email())));

revoke all on public.expert_availability from anon;
grant select, insert, update, delete on public.expert_availability to authenticated, service_role;
revoke all on function public.expert_availability_put(uuid, jsonb) from public, anon;
grant execute on function public.expert_availability_put(uuid, jsonb) to authenticated, service_role;

-- The slot picker reads one expert's active bookings in a date range: the existing
-- (expert_id, status, scheduled_date, scheduled_time) index serves it.
