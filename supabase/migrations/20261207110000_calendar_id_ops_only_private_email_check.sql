-- CallExpert Console: only ops change an expert's calendar id, and no client reads it; the check
-- of a verified email moves to a schema the API does not expose.
--
-- 1. experts.calendar_id (20261129150000) names the calendar whose free/busy the organizer's
--    Google account reads to block the expert's slots. 20261201110000 let an expert change their
--    own through the platform's clients, and every signed-in user could read every expert's. An
--    expert who named a calendar that is not theirs (a colleague's address, say) had the organizer
--    read it for them: their free slots then showed that person's busy blocks. Now:
--      * writing it is for the service role alone, that is the console, where only ops may change
--        it (lib/service/expert_availability.py); the expert sees it there and asks ops to change it;
--      * through the API it is readable by the service role alone: the console shows it to ops and
--        to the expert themself. Signed-in users keep reading every other column of the expert
--        directory. A client asking for `select=*` on experts is refused, since one of the columns
--        is not theirs: such a client names the columns it shows (id, name, email, hourly_rate,
--        expertise, ...).
--    Column privileges decide it, as row level security cannot hide one column of a row. The
--    grant lists the columns the table has when this runs (a project's own extra columns too); a
--    column added later is granted the same way (`grant select (col) on public.experts to
--    authenticated`).
-- 2. jwt_verified_email (20261129110000) reads auth.users as its owner (security definer). In
--    `public` the REST API offered it to every signed-in user (/rpc/jwt_verified_email), what
--    Supabase's database linter warns of. It moves to the schema `private`, which the API does
--    not expose; `authenticated` keeps usage of that schema and execute on the function, because
--    policies run as the signed-in user. Every policy that called it is created again with the
--    new name, and then the old function is dropped (a policy still naming it would stop the
--    drop, so none is left behind).

-- -- 1. calendar ids ---------------------------------------------------------------------------

drop policy if exists experts_expert_update_calendar on public.experts;

-- Revoking the table-wide right also revokes every column grant, so running this again starts clean.
revoke select, update on public.experts from anon, authenticated;

do $$
declare
    v_columns text;
begin
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into v_columns
    from pg_attribute a
    where a.attrelid = 'public.experts'::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname <> 'calendar_id';
    execute format('grant select (%s) on public.experts to authenticated', v_columns);
end
$$;

grant select, update on public.experts to service_role;

comment on column public.experts.calendar_id is
    'The Google calendar whose free/busy blocks the expert''s slots; null means the expert''s email. '
    'Written and read by the service role (the console, where only ops change it) alone.';

-- -- 2. the verified email, out of the API's reach ------------------------------------------------

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

create or replace function private.jwt_verified_email() returns text
    language sql stable security definer
    set search_path = ''
as $$
    select case
        when claims ->> 'email_verified' is not null then
            case when claims ->> 'email_verified' = 'true' then nullif(lower(claims ->> 'email'), '') end
        else (
            select lower(u.email) from auth.users u
            where u.id = auth.uid()
              and u.email_confirmed_at is not null
              and lower(u.email) = lower(claims ->> 'email')
        )
    end
    from (select auth.jwt() as claims) as j
$$;

comment on function private.jwt_verified_email() is
    'The signed-in user''s email, lower-cased, when it is verified (see 20261129110000); null otherwise.';

revoke all on function private.jwt_verified_email() from public, anon;
grant execute on function private.jwt_verified_email() to authenticated, service_role;

drop policy if exists bookings_expert_read on public.bookings;
create policy bookings_expert_read on public.bookings
    for select to authenticated
    using (expert_id in (
        select e.id from public.experts e
        where lower(e.email) = (select private.jwt_verified_email())
    ));

drop policy if exists users_expert_reads_customers on public.users;
create policy users_expert_reads_customers on public.users
    for select to authenticated
    using (exists (
        select 1 from public.bookings b
        join public.experts e on e.id = b.expert_id
        where b.user_id = users.id
          and lower(e.email) = (select private.jwt_verified_email())
    ));

drop policy if exists expert_availability_expert_insert on public.expert_availability;
create policy expert_availability_expert_insert on public.expert_availability
    for insert to authenticated
    with check (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select private.jwt_verified_email())));

drop policy if exists expert_availability_expert_update on public.expert_availability;
create policy expert_availability_expert_update on public.expert_availability
    for update to authenticated
    using (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select private.jwt_verified_email())))
    with check (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select private.jwt_verified_email())));

drop policy if exists expert_availability_expert_delete on public.expert_availability;
create policy expert_availability_expert_delete on public.expert_availability
    for delete to authenticated
    using (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select private.jwt_verified_email())));

drop function if exists public.jwt_verified_email();
