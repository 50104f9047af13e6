-- CallExpert Console: gateway payments (Midtrans Snap) on bookings.
--
-- A booking awaiting payment keeps its current Midtrans order (order id, Snap token, the page
-- the customer pays on) and how many order ids it has used: an order id is single-use at
-- Midtrans, so each attempt gets the next number. Re-runnable like the files before it.

alter table public.bookings
    add column if not exists payment_order_id    text,
    add column if not exists payment_token       text,
    add column if not exists payment_url         text,
    add column if not exists payment_attempts    integer not null default 0,
    add column if not exists payment_started_at  timestamptz;

-- The ops alert list: bookings still pending after a while, oldest first.
create index if not exists bookings_pending_created on public.bookings (created_at) where status = 'pending';

-- A customer creating their own pending booking through the platform may not bring a payment
-- with it either: the console would otherwise offer a forged "pay here" page.
drop policy if exists bookings_customer_insert on public.bookings;
create policy bookings_customer_insert on public.bookings
    for insert to authenticated
    with check (
        user_id = (select auth.uid())
        and status = 'pending'
        and meeting_link is null and google_event_id is null and payment_ref is null
        and payment_order_id is null and payment_token is null and payment_url is null
        and payment_attempts = 0
    );

-- One more payment attempt of a pending booking, numbered before Midtrans is called; returns
-- the booking (no row when it is not pending).
create or replace function public.booking_add_payment_attempt(p_id uuid)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    update public.bookings
       set payment_attempts = payment_attempts + 1, updated_at = now()
     where id = p_id and status = 'pending'
    returning *;
$$;

-- The current Midtrans payment of a pending booking, with its history entry.
create or replace function public.booking_start_payment(
    p_id uuid, p_order_id text, p_token text, p_url text, p_at timestamptz, p_actor text
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
        select id, 'payment started', 'order ' || p_order_id, p_actor from started
    )
    select * from started;
$$;

-- pending -> cancelled because Midtrans denied, cancelled or expired the payment. Only a
-- pending booking: a failure report that arrives after the booking was paid changes nothing.
-- No emails: nothing was confirmed to anyone yet.
create or replace function public.booking_payment_failed(p_id uuid, p_reason text, p_at timestamptz, p_actor text)
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
        select id, 'cancelled', p_reason, p_actor from failed
    )
    select * from failed;
$$;

revoke execute on function
    public.booking_add_payment_attempt(uuid),
    public.booking_start_payment(uuid, text, text, text, timestamptz, text),
    public.booking_payment_failed(uuid, text, timestamptz, text)
from public, anon, authenticated;
grant execute on function
    public.booking_add_payment_attempt(uuid),
    public.booking_start_payment(uuid, text, text, text, timestamptz, text),
    public.booking_payment_failed(uuid, text, timestamptz, text)
to service_role;

notify pgrst, 'reload schema';
