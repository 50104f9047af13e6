-- CallExpert Console: the transitions that write several rows at once.
--
-- PostgREST runs each request in one transaction but cannot group several requests, so every
-- transition that changes a booking and writes its history (and queues its emails) is one
-- function, called as POST /rest/v1/rpc/<name>. They are `security invoker`: the console calls
-- them with the service-role key, which already may write every table; nobody else may call
-- them (see the grants at the end).
--
-- Functions returning `setof public.bookings` let the caller embed the customer and expert
-- names in the same request (`?select=...,customer:users!user_id(name,email)`). A transition
-- whose condition does not hold (e.g. confirming a booking that is not `paid`) returns no row.
--
-- Errors people can act on carry their own SQLSTATE, mapped by the store:
--   P0002 not found, 55000 wrong state for this action, 23P01 slot taken (exclusion), 22023 bad input.

-- A customer by email (case-insensitive); an existing customer keeps their stored name.
create or replace function public.customer_upsert(p_name text, p_email text)
returns setof public.users
language sql
security invoker
set search_path = ''
as $$
    insert into public.users (name, email) values (p_name, p_email) on conflict do nothing;
    select * from public.users where lower(email) = lower(p_email);
$$;

-- Insert a `pending` booking (and its new customer) with its history entry. The same
-- request_key twice returns the first booking.
create or replace function public.booking_create(
    p_id uuid, p_expert_id uuid, p_session_type text, p_date date, p_time time,
    p_duration integer, p_price integer, p_customer_id uuid, p_customer_name text,
    p_customer_email text, p_request_key text, p_actor text
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
    values (p_id, 'created', 'pending, Rp ' || replace(to_char(p_price, 'FM999,999,999,990'), ',', '.'), p_actor);
    return query select * from public.bookings where id = p_id;
end
$$;

create or replace function public.booking_mark_paid(p_id uuid, p_payment_ref text, p_at timestamptz, p_actor text)
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
        select id, 'paid', 'payment ' || p_payment_ref, p_actor from paid
    )
    select * from paid;
$$;

-- One link attempt: count it, keep the last error (a success keeps the previous one).
create or replace function public.booking_record_link_attempt(p_id uuid, p_error text, p_actor text)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.bookings
       set link_attempts = link_attempts + 1, last_error = coalesce(p_error, last_error), updated_at = now()
     where id = p_id;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, case when p_error is null then 'link attempt' else 'link attempt failed' end,
            coalesce(p_error, 'ok'), p_actor);
$$;

-- Queue emails given as a JSON array of {booking_id, kind, version, recipient, subject,
-- body_text, body_html, ics}; the unique (booking_id, kind, version) key makes it idempotent.
-- A newer email to the customer (the confirmation with its link, a cancellation) makes a "link
-- still being prepared" notice that has not gone out yet pointless: it is dropped, unless a
-- dispatcher holds it (its lease), since it may be on the wire already.
create or replace function public.email_queue(p_emails jsonb, p_at timestamptz, p_not_before timestamptz default null)
returns void
language sql
security invoker
set search_path = ''
as $$
    delete from public.email_outbox o
     where o.kind = 'link_pending.customer' and o.status = 'queued'
       and (o.lease_until is null or o.lease_until < p_at)
       and o.booking_id in (
           select (e ->> 'booking_id')::uuid from jsonb_array_elements(coalesce(p_emails, '[]'::jsonb)) e
            where e ->> 'kind' like '%.customer' and e ->> 'kind' <> 'link_pending.customer');
    insert into public.email_outbox (booking_id, kind, version, recipient, subject, body_text, body_html, ics,
                                     not_before, created_at)
    select e.booking_id, e.kind, e.version, e.recipient, e.subject, e.body_text, e.body_html, e.ics,
           p_not_before, p_at
      from jsonb_to_recordset(coalesce(p_emails, '[]'::jsonb)) as e(
           booking_id uuid, kind text, version integer, recipient text, subject text,
           body_text text, body_html text, ics text)
    on conflict (booking_id, kind, version) do nothing;
$$;

-- paid -> confirmed with the meeting link; history and emails only when it did confirm, so two
-- people clicking at once confirm once and queue one set of emails.
create or replace function public.booking_confirm(
    p_id uuid, p_meeting_link text, p_event_id text, p_event_version integer, p_at timestamptz,
    p_emails jsonb, p_actor text, p_detail text
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
    values (p_id, 'confirmed', p_detail, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

-- Move an active booking, bump its revision, log it and queue its emails. p_revision is the
-- revision the caller rendered the emails from: a booking moved meanwhile is refused.
create or replace function public.booking_reschedule(
    p_id uuid, p_revision integer, p_date date, p_time time, p_at timestamptz, p_emails jsonb,
    p_actor text
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
    values (p_id, 'rescheduled',
            to_char(v_cur.scheduled_date, 'YYYY-MM-DD') || ' ' || to_char(v_cur.scheduled_time, 'HH24:MI')
            || ' -> ' || to_char(p_date, 'YYYY-MM-DD') || ' ' || to_char(p_time, 'HH24:MI'),
            p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

create or replace function public.booking_cancel(
    p_id uuid, p_at timestamptz, p_reason text, p_emails jsonb, p_actor text
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
    values (p_id, 'cancelled', p_reason, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

-- The four numbers at the top of the ops page, in one request.
create or replace function public.ops_counts(p_today date)
returns table (today bigint, awaiting_payment bigint, awaiting_link bigint, emails_not_sent bigint)
language sql
stable
security invoker
set search_path = ''
as $$
    select
        (select count(*) from public.bookings
          where scheduled_date = p_today and status in ('confirmed', 'paid', 'completed')),
        (select count(*) from public.bookings where status = 'pending'),
        (select count(*) from public.bookings where status = 'paid'),
        (select count(*) from public.email_outbox where status in ('queued', 'failed'));
$$;

-- Lease queued emails that are due to one dispatcher; SKIP LOCKED keeps two dispatchers off
-- the same rows.
create or replace function public.email_claim_queued(p_now timestamptz, p_lease_until timestamptz, p_limit integer)
returns setof public.email_outbox
language sql
security invoker
set search_path = ''
as $$
    with claimed as (
        update public.email_outbox
           set lease_until = p_lease_until
         where id in (
            select id from public.email_outbox
             where status = 'queued' and (lease_until is null or lease_until < p_now)
               and (not_before is null or not_before <= p_now)
             order by id
             limit p_limit
             for update skip locked)
        returning *
    )
    select * from claimed order by id;
$$;

-- A send attempt: sent, failed (permanent) or queued (try later).
create or replace function public.email_mark(p_id bigint, p_status text, p_error text, p_at timestamptz)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.email_outbox
       set status = p_status, attempts = attempts + 1, last_error = p_error, lease_until = null,
           sent_at = case when p_status = 'sent' then p_at else sent_at end
     where id = p_id;
$$;

-- Only the console (service role) runs transitions; Supabase would otherwise let anon and
-- authenticated execute every function in public.
revoke execute on function
    public.customer_upsert(text, text),
    public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text, text, text),
    public.booking_mark_paid(uuid, text, timestamptz, text),
    public.booking_record_link_attempt(uuid, text, text),
    public.email_queue(jsonb, timestamptz, timestamptz),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text),
    public.booking_reschedule(uuid, integer, date, time, timestamptz, jsonb, text),
    public.booking_cancel(uuid, timestamptz, text, jsonb, text),
    public.ops_counts(date),
    public.email_claim_queued(timestamptz, timestamptz, integer),
    public.email_mark(bigint, text, text, timestamptz)
from public, anon, authenticated;
grant execute on function
    public.customer_upsert(text, text),
    public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text, text, text),
    public.booking_mark_paid(uuid, text, timestamptz, text),
    public.booking_record_link_attempt(uuid, text, text),
    public.email_queue(jsonb, timestamptz, timestamptz),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text),
    public.booking_reschedule(uuid, integer, date, time, timestamptz, jsonb, text),
    public.booking_cancel(uuid, timestamptz, text, jsonb, text),
    public.ops_counts(date),
    public.email_claim_queued(timestamptz, timestamptz, integer),
    public.email_mark(bigint, text, text, timestamptz)
to service_role;

-- PostgREST serves new functions and relationships after it reloads its schema cache.
notify pgrst, 'reload schema';
