-- CallExpert Console: unpaid bookings expire in batches the console is told about in full.
--
-- PostgREST answers a function that returns rows with at most the project's "Max rows" (1,000
-- unless raised) and says nothing of the rest. booking_expire_pending expired every stale booking
-- in one statement, so past 1,000 it expired bookings the console never heard of: their Midtrans
-- orders stayed open and could still be paid. It now takes p_limit, expires at most that many
-- (oldest first), and the console calls it again until fewer come back.
--
-- A call without p_limit (a console of the previous release still running during a deploy)
-- expires at most 1,000, PostgREST's default Max rows, so it hears of every booking it expires
-- and the rest wait for its next run. The old five-argument signature is dropped in the same
-- transaction rather than kept beside the new one: PostgREST picks a function by its argument
-- names, and two signatures that both accept the old call would make it ambiguous (PGRST203).
-- Re-runnable like the files before it.

-- pending -> expired for at most p_limit bookings made before p_cutoff and still unpaid, oldest
-- first, the same line in each one's history; returns them. The rows are locked as they are
-- picked: one that a payment being recorded holds is waited for and, paid, left out (the payment
-- wins) while the limit counts only bookings still pending; so nothing is expired twice, and a
-- batch short of p_limit means none was left.
drop function if exists public.booking_expire_pending(timestamptz, timestamptz, text, text, text);
create or replace function public.booking_expire_pending(
    p_cutoff timestamptz, p_at timestamptz, p_actor text, p_event text, p_detail text,
    p_limit integer default 1000
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
begin
    if p_limit is null or p_limit < 1 then
        raise exception 'booking_expire_pending: p_limit must be at least 1, got %', p_limit
            using errcode = '22023';
    end if;
    return query
    with stale as (
        select b.id from public.bookings b
         where b.status = 'pending' and b.created_at < p_cutoff
         order by b.created_at, b.id
         limit p_limit
           for update
    ), gone as (
        update public.bookings b
           set status = 'expired', updated_at = p_at, link_lease_until = null
          from stale
         where b.id = stale.id and b.status = 'pending'
        returning b.*
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select g.id, p_event, p_detail, p_actor from gone g
    )
    select * from gone;
end;
$$;

-- Only the console (service role) runs transitions.
revoke execute on function
    public.booking_expire_pending(timestamptz, timestamptz, text, text, text, integer)
from public, anon, authenticated;
grant execute on function
    public.booking_expire_pending(timestamptz, timestamptz, text, text, text, integer)
to service_role;

notify pgrst, 'reload schema';
