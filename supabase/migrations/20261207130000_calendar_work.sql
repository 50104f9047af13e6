-- CallExpert Console: calendar work, the durable change that brings a booking's Google Calendar
-- event to the booking as stored (moved, or gone).
--
-- A reschedule or a cancel commits first and queues the booking's calendar work in the same
-- transaction; workers lease it, retry it with backoff and mark it done with a history line. One
-- row per booking: queuing it again bumps `generation`, so a run that read the booking before the
-- newest change never marks that change done. `hold_until` is the link lease the booking had when
-- the work was queued: a link attempt in flight may still insert an event until then, so the
-- work is done only once it has passed. Only the service role reads or writes it.
create table if not exists public.calendar_work (
    booking_id   uuid primary key references public.bookings(id) on delete cascade,
    reason       text not null check (reason in ('cancel', 'reschedule', 'link cleanup', 'reconcile')),
    generation   integer not null default 1,
    state        text not null default 'waiting' check (state in ('waiting', 'done')),
    queued_at    timestamptz not null,
    not_before   timestamptz not null,
    lease_until  timestamptz,
    hold_until   timestamptz,
    attempts     integer not null default 0 check (attempts >= 0),
    last_error   text check (length(last_error) <= 4000),
    done_at      timestamptz
);
create index if not exists calendar_work_due on public.calendar_work (state, not_before);
-- The Overview counts one kind of history line (divergences repaired) over a range of days.
create index if not exists booking_history_event_at on public.booking_history (event, at);

alter table public.calendar_work enable row level security;
revoke all on public.calendar_work from anon, authenticated;
grant select, insert, update on public.calendar_work to service_role;

-- Queue (or queue again) a booking's calendar work, due at `p_at`, held until `p_hold`.
create or replace function public.calendar_work_queue(
    p_booking_id uuid, p_reason text, p_at timestamptz, p_hold timestamptz)
returns void
language sql
security invoker
set search_path = ''
as $$
    insert into public.calendar_work as w (booking_id, reason, generation, state, queued_at, not_before, hold_until)
    values (p_booking_id, p_reason, 1, 'waiting', p_at, p_at, p_hold)
    on conflict (booking_id) do update
       set reason = excluded.reason, generation = w.generation + 1,
           queued_at = case when w.state = 'done' then excluded.queued_at else w.queued_at end,
           attempts = case when w.state = 'done' then 0 else w.attempts end,
           state = 'waiting', not_before = excluded.not_before, done_at = null,
           -- The link attempt that held the booking queues 'link cleanup' as it ends: no more hold.
           hold_until = case when excluded.reason = 'link cleanup' then null
                             else greatest(w.hold_until, excluded.hold_until) end;
$$;

-- Queue it with the link lease the booking holds now (an attempt in flight).
create or replace function public.calendar_work_queue_held(p_booking_id uuid, p_reason text, p_at timestamptz)
returns void
language sql
security invoker
set search_path = ''
as $$
    select public.calendar_work_queue(p_booking_id, p_reason, p_at,
        (select link_lease_until from public.bookings where id = p_booking_id));
$$;

-- A cancel and its calendar work in one transaction (booking_cancel ends the link lease, so the
-- lease is read first).
create or replace function public.booking_cancel_with_calendar(
    p_id uuid, p_at timestamptz, p_reason text, p_emails jsonb, p_actor text, p_event text, p_detail text,
    p_calendar text)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_hold timestamptz;
    v_row public.bookings;
begin
    select link_lease_until into v_hold from public.bookings where id = p_id for update;
    select * into v_row from public.booking_cancel(p_id, p_at, p_reason, p_emails, p_actor, p_event, p_detail);
    if v_row.id is null then
        return;
    end if;
    perform public.calendar_work_queue(p_id, p_calendar, p_at, v_hold);
    return next v_row;
end
$$;

-- A move and its calendar work in one transaction.
create or replace function public.booking_reschedule_with_calendar(
    p_id uuid, p_revision integer, p_date date, p_time time, p_at timestamptz, p_emails jsonb,
    p_actor text, p_event text, p_detail text, p_calendar text)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_row public.bookings;
begin
    select * into v_row
      from public.booking_reschedule(p_id, p_revision, p_date, p_time, p_at, p_emails, p_actor, p_event, p_detail);
    if v_row.id is null then
        return;
    end if;
    perform public.calendar_work_queue(p_id, p_calendar, p_at, null);
    return next v_row;
end
$$;

-- Lease waiting work: up to `p_limit` items due by `p_now`, or the one of `p_booking_id` whenever due.
create or replace function public.calendar_work_claim(
    p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_booking_id uuid default null)
returns setof public.calendar_work
language sql
security invoker
set search_path = ''
as $$
    update public.calendar_work w
       set lease_until = p_lease_until
     where w.booking_id in (
           select c.booking_id from public.calendar_work c
            where c.state = 'waiting'
              and (c.lease_until is null or c.lease_until < p_now)
              and (case when p_booking_id is null then c.not_before <= p_now else c.booking_id = p_booking_id end)
            order by c.not_before, c.booking_id
            limit greatest(p_limit, 1)
              for update skip locked)
    returning w.*;
$$;

-- Done if still `p_generation` (else free to run again now), with its history line.
create or replace function public.calendar_work_finish(
    p_booking_id uuid, p_generation integer, p_at timestamptz, p_actor text, p_event text, p_detail text)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_done boolean;
begin
    update public.calendar_work
       set state = 'done', done_at = p_at, lease_until = null, last_error = null
     where booking_id = p_booking_id and generation = p_generation and state = 'waiting';
    v_done := found;
    if not v_done then
        update public.calendar_work set lease_until = null, not_before = p_at where booking_id = p_booking_id;
    end if;
    if p_event is not null then
        insert into public.booking_history (booking_id, event, detail, actor)
        values (p_booking_id, p_event, coalesce(p_detail, ''), p_actor);
    end if;
    return v_done;
end
$$;

-- Free the lease and try again at `p_not_before`; an error counts as a failed attempt.
create or replace function public.calendar_work_later(
    p_booking_id uuid, p_generation integer, p_not_before timestamptz, p_error text)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.calendar_work
       set lease_until = null,
           attempts = attempts + case when p_error is null then 0 else 1 end,
           last_error = coalesce(left(p_error, 4000), last_error),
           not_before = case when generation = p_generation then p_not_before else not_before end
     where booking_id = p_booking_id and state = 'waiting';
$$;

-- How many history lines named `p_event` were written in [p_from, p_to).
create or replace function public.history_count(p_event text, p_from timestamptz, p_to timestamptz)
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
    select count(*) from public.booking_history where event = p_event and at >= p_from and at < p_to;
$$;

revoke execute on function
    public.calendar_work_queue(uuid, text, timestamptz, timestamptz),
    public.calendar_work_queue_held(uuid, text, timestamptz),
    public.booking_cancel_with_calendar(uuid, timestamptz, text, jsonb, text, text, text, text),
    public.booking_reschedule_with_calendar(uuid, integer, date, time, timestamptz, jsonb, text, text, text, text),
    public.calendar_work_claim(timestamptz, timestamptz, integer, uuid),
    public.calendar_work_finish(uuid, integer, timestamptz, text, text, text),
    public.calendar_work_later(uuid, integer, timestamptz, text),
    public.history_count(text, timestamptz, timestamptz)
    from public, anon, authenticated;
grant execute on function
    public.calendar_work_queue(uuid, text, timestamptz, timestamptz),
    public.calendar_work_queue_held(uuid, text, timestamptz),
    public.booking_cancel_with_calendar(uuid, timestamptz, text, jsonb, text, text, text, text),
    public.booking_reschedule_with_calendar(uuid, integer, date, time, timestamptz, jsonb, text, text, text, text),
    public.calendar_work_claim(timestamptz, timestamptz, integer, uuid),
    public.calendar_work_finish(uuid, integer, timestamptz, text, text, text),
    public.calendar_work_later(uuid, integer, timestamptz, text),
    public.history_count(text, timestamptz, timestamptz)
    to service_role;

notify pgrst, 'reload schema';
