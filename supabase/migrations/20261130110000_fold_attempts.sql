-- CallExpert Console: the merged steps of a booking in one call each.
--
-- booking_mark_paid can count the payment attempt the payment is (p_count_attempt: a gateway that
-- settles within the console, whose order id nobody outside sees, needs no numbering first) and
-- take the link lease (p_lease_until: the caller creates the link at once, so it needs no claim
-- of its own), in the statement that records the payment. booking_confirm can count the link
-- attempt that made the link, with its history line before the confirmation's
-- (p_attempt_event, p_attempt_detail). Before this, each cost one or two requests more.
--
-- The new parameters come last and have defaults, so a call without them does what it did. The
-- old signatures are dropped first: PostgREST picks a function by its argument names, and two
-- candidates would make a call without the new ones ambiguous. Re-runnable like the files before it.

drop function if exists public.booking_mark_paid(uuid, text, timestamptz, text, text, text);
drop function if exists public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text, text);

create or replace function public.booking_mark_paid(
    p_id uuid, p_payment_ref text, p_at timestamptz, p_actor text, p_event text, p_detail text,
    p_count_attempt boolean default false, p_lease_until timestamptz default null
)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with paid as (
        update public.bookings
           set status = 'paid', payment_ref = p_payment_ref, paid_at = p_at, updated_at = p_at,
               payment_attempts = payment_attempts + case when p_count_attempt then 1 else 0 end,
               link_lease_until = coalesce(p_lease_until, link_lease_until)
         where id = p_id and status = 'pending'
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, p_event, p_detail, p_actor from paid
    )
    select * from paid;
$$;

-- paid -> confirmed with the meeting link; history and emails only when it did confirm, so two
-- people clicking at once confirm once and queue one set of emails. With p_attempt_event the
-- successful link attempt is counted and logged first, only when it did confirm.
create or replace function public.booking_confirm(
    p_id uuid, p_meeting_link text, p_event_id text, p_event_version integer, p_at timestamptz,
    p_emails jsonb, p_actor text, p_event text, p_detail text,
    p_attempt_event text default null, p_attempt_detail text default null
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
           last_error = null, link_lease_until = null,
           link_attempts = link_attempts + case when p_attempt_event is null then 0 else 1 end
     where id = p_id and status = 'paid';
    if not found then
        return;
    end if;
    if p_attempt_event is not null then
        insert into public.booking_history (booking_id, event, detail, actor)
        values (p_id, p_attempt_event, p_attempt_detail, p_actor);
    end if;
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    perform public.email_queue(p_emails, p_at);
    return query select * from public.bookings where id = p_id;
end
$$;

-- Only the console (service role) runs transitions.
revoke execute on function
    public.booking_mark_paid(uuid, text, timestamptz, text, text, text, boolean, timestamptz),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text, text, text, text)
from public, anon, authenticated;
grant execute on function
    public.booking_mark_paid(uuid, text, timestamptz, text, text, text, boolean, timestamptz),
    public.booking_confirm(uuid, text, text, integer, timestamptz, jsonb, text, text, text, text, text)
to service_role;

notify pgrst, 'reload schema';
