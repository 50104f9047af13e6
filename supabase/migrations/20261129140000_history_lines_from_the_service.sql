-- CallExpert Console: how a history line is worded is the booking service's decision
-- (lib/service/history.py), not the database's. Every transition function that writes a
-- booking_history row takes the line as `p_event text, p_detail text` and writes it as given,
-- in the same statement or transaction as the state change, only when the transition happened.
-- Before this, each function worded its own line ('created' / 'pending, Rp …', 'paid' /
-- 'payment …', …) and the SQLite store worded the same lines again in Python.
--
-- The old signatures are dropped first so that PostgREST, which picks a function by its
-- argument names, has exactly one candidate for each. Re-runnable like the files before it.

drop function if exists public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text, text, text);
drop function if exists public.booking_mark_paid(uuid, text, timestamptz, text);
drop function if exists public.booking_record_link_attempt(uuid, text, text);
drop function if exists public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text);
drop function if exists public.booking_reschedule(uuid, integer, date, time, timestamptz, jsonb, text);
drop function if exists public.booking_cancel(uuid, timestamptz, text, jsonb, text);
drop function if exists public.booking_start_payment(uuid, text, text, text, timestamptz, text);
drop function if exists public.booking_payment_failed(uuid, text, timestamptz, text);
drop function if exists public.booking_complete_ended(timestamp, timestamptz, text);
drop function if exists public.booking_expire_pending(timestamptz, timestamptz, text);

-- Insert a `pending` booking (and its new customer) with its history entry. The same
-- request_key twice returns the first booking (and writes no second entry).
create or replace function public.booking_create(
    p_id uuid, p_expert_id uuid, p_session_type text, p_date date, p_time time,
    p_duration integer, p_price integer, p_customer_id uuid, p_customer_name text,
    p_customer_email text, p_request_key text, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_user uuid;
begin
    -- One booking at a time per expert: concurrent inserts into the same exclusion constraint
    -- can deadlock (40P01) instead of one of them getting 23P01 "slot taken".
    perform pg_advisory_xact_lock(hashtextextended(p_expert_id::text, 0));
    if p_request_key is not null then
        return query select * from public.bookings where request_key = p_request_key;
        if found then
            return;
        end if;
    end if;
    if p_customer_id is not null then
        select id into v_user from public.users where id = p_customer_id;
        if v_user is null then
            raise exception 'No customer with id %.', p_customer_id using errcode = 'P0002';
        end if;
    elsif p_customer_email is not null then
        select id into v_user from public.customer_upsert(p_customer_name, p_customer_email);
    else
        raise exception 'Pick a customer or enter a new one.' using errcode = '22023';
    end if;
    -- The exclusion constraint refuses an overlapping slot here (23P01), race-free.
    insert into public.bookings (id, user_id, expert_id, session_type, scheduled_date, scheduled_time,
                                 duration, status, price, request_key)
    values (p_id, v_user, p_expert_id, p_session_type, p_date, p_time, p_duration, 'pending', p_price,
            p_request_key);
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    return query select * from public.bookings where id = p_id;
end
$$;

create or replace function public.booking_mark_paid(
    p_id uuid, p_payment_ref text, p_at timestamptz, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with paid as (
        update public.bookings
           set status = 'paid', payment_ref = p_payment_ref, paid_at = p_at, updated_at = p_at
         where id = p_id and status = 'pending'
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from paid
    )
    select * from paid;
$$;

-- One link attempt: count it, keep the last error (a success keeps the previous one).
create or replace function public.booking_record_link_attempt(
    p_id uuid, p_error text, p_actor text, p_event text, p_detail text
)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.bookings
       set link_attempts = link_attempts + 1, last_error = coalesce(p_error, last_error), updated_at = now()
     where id = p_id;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
$$;

-- paid -> confirmed with the meeting link; history and emails only when it did confirm, so two
-- people clicking at once confirm once and queue one set of emails.
create or replace function public.booking_confirm(
    p_id uuid, p_meeting_link text, p_event_id text, p_event_version integer, p_at timestamptz,
    p_emails jsonb, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
begin
    update public.bookings
       set status = 'confirmed', meeting_link = p_meeting_link, google_event_id = p_event_id,
           event_version = p_event_version, confirmed_at = p_at, updated_at = p_at,
           last_error = null, link_lease_until = null
     where id = p_id and status = 'paid';
    if not found then
        return;
    end if;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

-- Move an active booking, bump its revision, log it and queue its emails. p_revision is the
-- revision the caller rendered the emails and the history line from: a booking moved
-- meanwhile is refused, so the line's "from" is the slot it really moved from.
create or replace function public.booking_reschedule(
    p_id uuid, p_revision integer, p_date date, p_time time, p_at timestamptz, p_emails jsonb,
    p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_cur public.bookings;
begin
    select * into v_cur from public.bookings where id = p_id for update;
    if not found then
        raise exception 'No booking with id %.', p_id using errcode = 'P0002';
    end if;
    if v_cur.status not in ('pending', 'paid', 'confirmed') then
        raise exception 'A % booking cannot be rescheduled.', v_cur.status using errcode = '55000';
    end if;
    if v_cur.revision <> p_revision then
        raise exception 'This booking changed while it was being moved; refresh and try again.'
            using errcode = '55000';
    end if;
    -- The exclusion constraint checks the new slot against every other active booking.
    update public.bookings
       set scheduled_date = p_date, scheduled_time = p_time, revision = revision + 1, updated_at = p_at
     where id = p_id;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

create or replace function public.booking_cancel(
    p_id uuid, p_at timestamptz, p_reason text, p_emails jsonb, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
begin
    update public.bookings
       set status = 'cancelled', cancelled_at = p_at, cancel_reason = p_reason, updated_at = p_at,
           link_lease_until = null
     where id = p_id and status in ('pending', 'paid', 'confirmed');
    if not found then
        return;
    end if;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

-- The current Midtrans payment of a pending booking, with its history entry.
create or replace function public.booking_start_payment(
    p_id uuid, p_order_id text, p_token text, p_url text, p_at timestamptz, p_actor text,
    p_event text, p_detail text
)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with started as (
        update public.bookings
           set payment_order_id = p_order_id, payment_token = p_token, payment_url = p_url,
               payment_started_at = p_at, updated_at = p_at
         where id = p_id and status = 'pending'
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from started
    )
    select * from started;
$$;

-- pending -> cancelled because Midtrans denied, cancelled or expired the payment. Only a
-- pending booking: a failure report that arrives after the booking was paid changes nothing.
-- No emails: nothing was confirmed to anyone yet.
create or replace function public.booking_payment_failed(
    p_id uuid, p_reason text, p_at timestamptz, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with failed as (
        update public.bookings
           set status = 'cancelled', cancelled_at = p_at, cancel_reason = p_reason, updated_at = p_at,
               link_lease_until = null
         where id = p_id and status = 'pending'
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from failed
    )
    select * from failed;
$$;

-- confirmed -> completed for sessions whose end (app wall clock, as `ends_at` holds it) has
-- passed by p_now; the same line in each one's history. Returns how many.
create or replace function public.booking_complete_ended(
    p_now timestamp, p_at timestamptz, p_actor text, p_event text, p_detail text
)
returns integer
language sql
security invoker
set search_path = ''
as $$
    with done as (
        update public.bookings
           set status = 'completed', updated_at = p_at, link_lease_until = null
         where status = 'confirmed' and ends_at <= p_now
        returning id
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from done
    )
    select count(*)::integer from done;
$$;

-- pending -> expired for every booking made before p_cutoff and still unpaid, the same line in
-- each one's history; returns them. Conditional on `pending` row by row, so a payment recorded a
-- moment earlier wins and that booking stays paid.
create or replace function public.booking_expire_pending(
    p_cutoff timestamptz, p_at timestamptz, p_actor text, p_event text, p_detail text
)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with gone as (
        update public.bookings
           set status = 'expired', updated_at = p_at, link_lease_until = null
         where status = 'pending' and created_at < p_cutoff
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from gone
    )
    select * from gone;
$$;

-- Only the console (service role) runs transitions.
revoke execute on function
    public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text, text, text, text, text),
    public.booking_mark_paid(uuid, text, timestamptz, text, text, text),
    public.booking_record_link_attempt(uuid, text, text, text, text),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text, text),
    public.booking_reschedule(uuid, integer, date, time, timestamptz, jsonb, text, text, text),
    public.booking_cancel(uuid, timestamptz, text, jsonb, text, text, text),
    public.booking_start_payment(uuid, text, text, text, timestamptz, text, text, text),
    public.booking_payment_failed(uuid, text, timestamptz, text, text, text),
    public.booking_complete_ended(timestamp, timestamptz, text, text, text),
    public.booking_expire_pending(timestamptz, timestamptz, text, text, text)
from public, anon, authenticated;
grant execute on function
    public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text, text, text, text, text),
    public.booking_mark_paid(uuid, text, timestamptz, text, text, text),
    public.booking_record_link_attempt(uuid, text, text, text, text),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text, text),
    public.booking_reschedule(uuid, integer, date, time, timestamptz, jsonb, text, text, text),
    public.booking_cancel(uuid, timestamptz, text, jsonb, text, text, text),
    public.booking_start_payment(uuid, text, text, text, timestamptz, text, text, text),
    public.booking_payment_failed(uuid, text, timestamptz, text, text, text),
    public.booking_complete_ended(timestamp, timestamptz, text, text, text),
    public.booking_expire_pending(timestamptz, timestamptz, text, text, text)
to service_role;

notify pgrst, 'reload schema';
