-- CallExpert Console: who joined each Google Meet session, read from Meet's conference records by
-- the background worker (`attendance` job) or `python -m lib attendance`.
--
-- One row per booking. 'waiting' rows are asked about again at next_check_at; 'recorded' and
-- 'no data' are final. Only the service role reads or writes these tables: ops read them through
-- the console's service, never directly.
create table if not exists public.booking_attendance (
    booking_id          uuid primary key references public.bookings (id) on delete cascade,
    status              text not null check (status in ('waiting', 'recorded', 'no data')),
    expert_joined       boolean not null default false,
    customer_joined     boolean not null default false,
    expert_joined_at    timestamptz,
    expert_left_at      timestamptz,
    customer_joined_at  timestamptz,
    customer_left_at    timestamptz,
    together_minutes    integer not null default 0 check (together_minutes >= 0),
    expert_match        text not null default 'none' check (expert_match in ('email', 'display name', 'none')),
    customer_match      text not null default 'none' check (customer_match in ('email', 'display name', 'none')),
    attempts            integer not null default 0,
    checked_at          timestamptz,
    next_check_at       timestamptz,
    last_error          text not null default ''
);
alter table public.booking_attendance enable row level security;
revoke all on public.booking_attendance from anon, authenticated;
grant select, insert, update on public.booking_attendance to service_role;

-- Google user ids (`users/{id}` of a signed-in Meet participant) resolved to an email through
-- the People API, so each person is looked up once.
create table if not exists public.google_user_emails (
    user_id      text primary key,
    email        text not null,
    resolved_at  timestamptz not null default now()
);
alter table public.google_user_emails enable row level security;
revoke all on public.google_user_emails from anon, authenticated;
grant select, insert, update on public.google_user_emails to service_role;

-- Store a booking's attendance unless a final one is stored already, and, only when it was
-- stored, append the history lines (`p_lines`: [{"event", "detail"}]) in the same transaction:
-- a no-show is written once however many workers read the same records. True when stored.
create or replace function public.attendance_save(p_row jsonb, p_lines jsonb, p_actor text)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
    r public.booking_attendance;
    saved integer;
begin
    r := jsonb_populate_record(null::public.booking_attendance, p_row);
    insert into public.booking_attendance as a
        (booking_id, status, expert_joined, customer_joined, expert_joined_at, expert_left_at,
         customer_joined_at, customer_left_at, together_minutes, expert_match, customer_match,
         attempts, checked_at, next_check_at, last_error)
    values (r.booking_id, r.status, r.expert_joined, r.customer_joined, r.expert_joined_at, r.expert_left_at,
            r.customer_joined_at, r.customer_left_at, r.together_minutes, r.expert_match, r.customer_match,
            r.attempts, r.checked_at, r.next_check_at, coalesce(r.last_error, ''))
    on conflict (booking_id) do update set
        status = excluded.status, expert_joined = excluded.expert_joined,
        customer_joined = excluded.customer_joined, expert_joined_at = excluded.expert_joined_at,
        expert_left_at = excluded.expert_left_at, customer_joined_at = excluded.customer_joined_at,
        customer_left_at = excluded.customer_left_at, together_minutes = excluded.together_minutes,
        expert_match = excluded.expert_match, customer_match = excluded.customer_match,
        attempts = excluded.attempts, checked_at = excluded.checked_at,
        next_check_at = excluded.next_check_at, last_error = excluded.last_error
     where a.status = 'waiting';
    get diagnostics saved = row_count;
    if saved = 0 then
        return false;
    end if;
    insert into public.booking_history (booking_id, event, detail, actor)
    select r.booking_id, l ->> 'event', coalesce(l ->> 'detail', ''), coalesce(p_actor, 'system')
      from jsonb_array_elements(coalesce(p_lines, '[]'::jsonb)) as l;
    return true;
end;
$$;

revoke execute on function public.attendance_save(jsonb, jsonb, text) from public, anon, authenticated;
grant execute on function public.attendance_save(jsonb, jsonb, text) to service_role;

-- Remember (or replace) the email a Google user id resolved to.
create or replace function public.google_user_email_remember(p_user_id text, p_email text, p_at timestamptz)
returns void
language sql
security invoker
set search_path = ''
as $$
    insert into public.google_user_emails (user_id, email, resolved_at) values (p_user_id, p_email, p_at)
    on conflict (user_id) do update set email = excluded.email, resolved_at = excluded.resolved_at;
$$;

revoke execute on function public.google_user_email_remember(text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.google_user_email_remember(text, text, timestamptz) to service_role;

notify pgrst, 'reload schema';
