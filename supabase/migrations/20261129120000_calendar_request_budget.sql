-- CallExpert Console: one per-minute Google Calendar request budget for the whole deployment.
--
-- Every process (the Streamlit server, cron `retry-links`, ...) takes a slot here before each
-- Calendar request, so together they stay within `google.requests_per_minute`. One row per
-- calendar and UTC minute counts the slots taken; rows of earlier minutes are dropped as the
-- calendar's next slot is taken.
create table if not exists public.calendar_request_budget (
    calendar_id  text not null,
    window_start timestamptz not null,
    used         integer not null check (used >= 0),
    primary key (calendar_id, window_start)
);

alter table public.calendar_request_budget enable row level security;
revoke all on public.calendar_request_budget from anon, authenticated;
grant select, insert, update, delete on public.calendar_request_budget to service_role;

-- Take one of `p_limit` slots of `p_calendar_id` in the UTC minute of `p_now`. Returns 0 when a
-- slot was taken, else the seconds until the next minute (and takes nothing). The insert ...
-- on conflict ... where is one atomic statement: concurrent callers queue on the row's lock,
-- and each sees the count the one before it left.
create or replace function public.calendar_take_request_slot(p_calendar_id text, p_limit integer, p_now timestamptz)
returns double precision
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_window timestamptz := date_trunc('minute', p_now at time zone 'UTC') at time zone 'UTC';
    v_used integer;
begin
    delete from public.calendar_request_budget
     where calendar_id = p_calendar_id and window_start < v_window;
    insert into public.calendar_request_budget as b (calendar_id, window_start, used)
    values (p_calendar_id, v_window, 1)
    on conflict (calendar_id, window_start) do update set used = b.used + 1 where b.used < p_limit
    returning b.used into v_used;
    if v_used is null then
        return greatest(extract(epoch from (v_window + interval '1 minute' - p_now))::double precision, 0.001);
    end if;
    return 0;
end;
$$;

-- Slots of `p_calendar_id` taken in the UTC minute of `p_now` (the ops page's gauge).
create or replace function public.calendar_request_slots_used(p_calendar_id text, p_now timestamptz)
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
    select coalesce((select used from public.calendar_request_budget
                      where calendar_id = p_calendar_id
                        and window_start = date_trunc('minute', p_now at time zone 'UTC') at time zone 'UTC'), 0);
$$;

revoke execute on function public.calendar_take_request_slot(text, integer, timestamptz) from public, anon, authenticated;
revoke execute on function public.calendar_request_slots_used(text, timestamptz) from public, anon, authenticated;
grant execute on function public.calendar_take_request_slot(text, integer, timestamptz) to service_role;
grant execute on function public.calendar_request_slots_used(text, timestamptz) to service_role;

notify pgrst, 'reload schema';
