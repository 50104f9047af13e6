-- CallExpert Console: one rolling per-minute Google Calendar request budget for the whole deployment.
--
-- Every process (the Streamlit server, cron `retry-links`, ...) takes a slot here before each
-- Calendar request, so together they take at most `google.requests_per_minute` in any 60
-- seconds, as Google counts its quota. One row per calendar and second counts the slots taken
-- in it. A request taken at any moment of a second may have gone out at its very end, so a
-- second is counted until it ended 60 s ago (61 buckets); older rows are dropped as the
-- calendar's next slot is taken.
create table if not exists public.calendar_request_budget (
    calendar_id  text not null,
    second_start timestamptz not null,
    used         integer not null check (used >= 0),
    primary key (calendar_id, second_start)
);

alter table public.calendar_request_budget enable row level security;
revoke all on public.calendar_request_budget from anon, authenticated;
grant select, insert, update, delete on public.calendar_request_budget to service_role;

-- Take one of `p_limit` slots of `p_calendar_id` in the rolling minute before `p_now`. Returns 0
-- when a slot was taken, else (taking nothing) the seconds until enough of the oldest seconds
-- have left the window for the sum to fall below the limit. Callers of one calendar serialize on
-- a transaction-scoped advisory lock taken before the sum is read, so two of them never both see
-- the last free slot; each statement after it sees what the previous holder committed.
create or replace function public.calendar_take_request_slot(p_calendar_id text, p_limit integer, p_now timestamptz)
returns double precision
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_second timestamptz := date_trunc('second', p_now at time zone 'UTC') at time zone 'UTC';
    v_excess bigint;
    v_bucket record;
begin
    -- The two-key form keeps these locks apart from the single-key ones on experts.
    perform pg_advisory_xact_lock(hashtext('calendar_request_budget'), hashtext(p_calendar_id));
    delete from public.calendar_request_budget
     where calendar_id = p_calendar_id and second_start < v_second - interval '60 seconds';
    select coalesce(sum(used), 0) - p_limit + 1 into v_excess
      from public.calendar_request_budget where calendar_id = p_calendar_id;
    if v_excess <= 0 then
        insert into public.calendar_request_budget as b (calendar_id, second_start, used)
        values (p_calendar_id, v_second, 1)
        on conflict (calendar_id, second_start) do update set used = b.used + 1;
        return 0;
    end if;
    for v_bucket in select second_start, used from public.calendar_request_budget
                     where calendar_id = p_calendar_id order by second_start loop
        v_excess := v_excess - v_bucket.used;
        if v_excess <= 0 then
            return greatest(extract(epoch from (v_bucket.second_start + interval '61 seconds' - p_now))::double precision,
                            0.001);
        end if;
    end loop;
    return 0.001;  -- not reached: the rows' sum is what made the excess
end;
$$;

-- Slots of `p_calendar_id` taken in the rolling minute before `p_now` (the ops page's gauge).
create or replace function public.calendar_request_slots_used(p_calendar_id text, p_now timestamptz)
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
    select coalesce(sum(used), 0)::integer from public.calendar_request_budget
     where calendar_id = p_calendar_id
       and second_start >= (date_trunc('second', p_now at time zone 'UTC') at time zone 'UTC') - interval '60 seconds';
$$;

revoke execute on function public.calendar_take_request_slot(text, integer, timestamptz) from public, anon, authenticated;
revoke execute on function public.calendar_request_slots_used(text, timestamptz) from public, anon, authenticated;
grant execute on function public.calendar_take_request_slot(text, integer, timestamptz) to service_role;
grant execute on function public.calendar_request_slots_used(text, timestamptz) to service_role;

notify pgrst, 'reload schema';
