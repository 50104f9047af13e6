-- CallExpert Console: confirmed sessions that have ended become `completed`.
--
-- `p_now` is the wall clock in the app timezone (the same naive time `ends_at` holds), so a
-- session ends when Jakarta's clock passes its end. Run by `python -m lib complete-sessions`.
create or replace function public.booking_complete_ended(p_now timestamp, p_at timestamptz, p_actor text)
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
        select id, 'completed', 'the session has ended', p_actor from done
    )
    select count(*)::integer from done;
$$;

revoke execute on function public.booking_complete_ended(timestamp, timestamptz, text) from public, anon, authenticated;
grant execute on function public.booking_complete_ended(timestamp, timestamptz, text) to service_role;

notify pgrst, 'reload schema';
