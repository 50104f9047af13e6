-- CallExpert Console: Join links through the click-counting redirect of the notification endpoint
-- (`public_base_url`, `GET /j/<token>`).
--
-- One unguessable token per booking and person, reused by every email of theirs, and one row per
-- click (no user agent, no address). Only the service role reads or writes them: a token opens
-- the meeting, and clicks say who joined when.
create table if not exists public.join_tokens (
    token       text primary key check (length(token) >= 22),
    booking_id  uuid not null references public.bookings(id) on delete cascade,
    person      text not null check (person in ('customer', 'expert')),
    created_at  timestamptz not null default now(),
    unique (booking_id, person)
);

create table if not exists public.join_clicks (
    id          bigint generated always as identity primary key,
    booking_id  uuid not null references public.bookings(id) on delete cascade,
    person      text not null check (person in ('customer', 'expert')),
    at          timestamptz not null default now()
);
create index if not exists join_clicks_booking on public.join_clicks (booking_id, person);

alter table public.join_tokens enable row level security;
alter table public.join_clicks enable row level security;
revoke all on public.join_tokens from anon, authenticated;
revoke all on public.join_clicks from anon, authenticated;
grant select, insert on public.join_tokens to service_role;
grant select, insert on public.join_clicks to service_role;

-- Store the tokens (person -> token) of the persons that have none yet and return every
-- person's stored token, in one request: an existing token wins, so every email reuses it.
create or replace function public.join_tokens_issue(p_booking_id uuid, p_tokens jsonb, p_at timestamptz)
returns table (person text, token text)
language sql
security invoker
set search_path = ''
as $$
    insert into public.join_tokens (token, booking_id, person, created_at)
    select t.value, p_booking_id, t.key, p_at from jsonb_each_text(p_tokens) as t
    on conflict (booking_id, person) do nothing;
    select j.person, j.token from public.join_tokens j where j.booking_id = p_booking_id order by j.person;
$$;

-- Each person's click count and latest click on a booking.
create or replace function public.join_click_counts(p_booking_id uuid)
returns table (person text, clicks bigint, last_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
    select c.person, count(*), max(c.at) from public.join_clicks c
     where c.booking_id = p_booking_id group by c.person order by c.person;
$$;

revoke execute on function public.join_tokens_issue(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.join_tokens_issue(uuid, jsonb, timestamptz) to service_role;
revoke execute on function public.join_click_counts(uuid) from public, anon, authenticated;
grant execute on function public.join_click_counts(uuid) to service_role;

notify pgrst, 'reload schema';
