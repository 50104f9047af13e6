-- CallExpert Console: a payment and a meeting made within the console (the demo gateway, Jitsi)
-- are stored in one transaction, as the embedded store does: the booking is then confirmed or
-- still pending, never paid in between. Before this the Supabase store took two requests
-- (booking_mark_paid with the link lease, then booking_confirm), and a failure between them left
-- a paid booking for a worker to link once the lease ran out.
--
-- booking_pay_and_confirm runs booking_mark_paid (its attempt counted) and booking_confirm (the
-- link attempt counted) in the one transaction of its call; the lines in order: paid, link
-- attempt, confirmed. Nothing is written when the booking is not pending. Re-runnable like the
-- files before it.

create or replace function public.booking_pay_and_confirm(
    p_id uuid, p_payment_ref text, p_meeting_link text, p_event_id text, p_event_version integer,
    p_at timestamptz, p_emails jsonb, p_actor text,
    p_paid_event text, p_paid_detail text,
    p_attempt_event text, p_attempt_detail text,
    p_event text, p_detail text
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
begin
    perform 1 from public.booking_mark_paid(p_id, p_payment_ref, p_at, p_actor, p_paid_event, p_paid_detail,
                                            p_count_attempt => true);
    if not found then
        return;
    end if;
    return query select * from public.booking_confirm(p_id, p_meeting_link, p_event_id, p_event_version, p_at,
                                                      p_emails, p_actor, p_event, p_detail,
                                                      p_attempt_event => p_attempt_event,
                                                      p_attempt_detail => p_attempt_detail);
end
$$;

-- Only the console (service role) runs transitions.
revoke execute on function
    public.booking_pay_and_confirm(uuid, text, text, text, integer, timestamptz, jsonb, text, text, text, text, text,
                                   text, text)
from public, anon, authenticated;
grant execute on function
    public.booking_pay_and_confirm(uuid, text, text, text, integer, timestamptz, jsonb, text, text, text, text, text,
                                   text, text)
to service_role;

notify pgrst, 'reload schema';
