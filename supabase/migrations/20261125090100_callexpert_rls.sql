-- CallExpert Console: row level security and grants.
--
-- Who reads what through the platform's own (anon key + user session) clients:
--   * A customer is the Supabase Auth user whose id is users.id, so a customer is matched by
--     `auth.uid()`: they read their own users row and the bookings whose user_id it is, and may
--     create a `pending` booking for themselves (the platform's booking page does that).
--   * An expert is matched by the verified `email` claim of their JWT against experts.email
--     (case-insensitive). The experts table has no link to auth.users, and the console itself
--     identifies experts by the email they sign in with, so the email is the one key both sides
--     share. An expert reads only their own bookings and the names of those bookings' customers.
--   * Signed-in users can read the expert directory (names and rates are shown to customers).
--   * The booking history and the email outbox are not readable by anyone but the service role.
--   * Nobody but the service role updates or deletes: every transition goes through the
--     console, server side, with the service-role key, which bypasses RLS as usual.
-- Policies use the `(select auth.uid())` form so Postgres evaluates it once per statement.

alter table public.users enable row level security;
alter table public.experts enable row level security;
alter table public.bookings enable row level security;
alter table public.booking_history enable row level security;
alter table public.email_outbox enable row level security;

drop policy if exists experts_read_signed_in on public.experts;
create policy experts_read_signed_in on public.experts
    for select to authenticated
    using (true);

drop policy if exists bookings_customer_read on public.bookings;
create policy bookings_customer_read on public.bookings
    for select to authenticated
    using (user_id = (select auth.uid()));

drop policy if exists bookings_expert_read on public.bookings;
create policy bookings_expert_read on public.bookings
    for select to authenticated
    using (expert_id in (
        select e.id from public.experts e
        where lower(e.email) = lower((select auth.jwt()) ->> 'email')
    ));

drop policy if exists bookings_customer_insert on public.bookings;
create policy bookings_customer_insert on public.bookings
    for insert to authenticated
    with check (
        user_id = (select auth.uid())
        and status = 'pending'
        and meeting_link is null and google_event_id is null and payment_ref is null
    );

drop policy if exists users_self_read on public.users;
create policy users_self_read on public.users
    for select to authenticated
    using (id = (select auth.uid()));

drop policy if exists users_expert_reads_customers on public.users;
create policy users_expert_reads_customers on public.users
    for select to authenticated
    using (exists (
        select 1 from public.bookings b
        join public.experts e on e.id = b.expert_id
        where b.user_id = users.id
          and lower(e.email) = lower((select auth.jwt()) ->> 'email')
    ));

-- Supabase grants table rights to anon and authenticated by default; RLS above is what limits
-- them. The explicit grants make the intent visible and the file work on a plain PostgreSQL.
grant usage on schema public to anon, authenticated, service_role;
grant select on public.users, public.experts, public.bookings to authenticated;
grant insert on public.bookings to authenticated;
revoke all on public.booking_history, public.email_outbox from anon, authenticated;
grant select, insert, update, delete
    on public.users, public.experts, public.bookings, public.booking_history, public.email_outbox
    to service_role;
grant usage, select on sequence public.booking_history_id_seq, public.email_outbox_id_seq to service_role;
