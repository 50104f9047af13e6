-- CallExpert Console: booking a session in three requests (what it reads, booking_create, and
-- booking_pay_and_confirm) instead of nine, and what the Book and Confirmation pages show of an
-- expert or a booking in one (docs/benchmark.md, "Supabase").
--
-- booking_inputs answers, in one request, what the checks of one booking read: the booking an
-- earlier submit of the same form created (its request key), the expert, their session types
-- (in order), their stored hours, the customer picked, and the times their active bookings hold
-- in a range (pending ones made at or after p_pending_since only), each shaped as the store's
-- own reads of them are, so the checks stay in the console and see what they saw before.

create or replace function public.booking_inputs(
    p_expert_id uuid, p_request_key text, p_customer_id uuid, p_from timestamp, p_to timestamp,
    p_pending_since timestamptz
)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select jsonb_build_object(
        'earlier', (
            select to_jsonb(b) || jsonb_build_object(
                'customer', (select jsonb_build_object('name', u.name, 'email', u.email)
                             from public.users u where u.id = b.user_id),
                'expert', (select jsonb_build_object('name', e.name, 'email', e.email)
                           from public.experts e where e.id = b.expert_id))
            from public.bookings b
            where p_request_key is not null and b.request_key = p_request_key
        ),
        'expert', (select to_jsonb(e) from public.experts e where e.id = p_expert_id),
        'types', coalesce((select jsonb_agg(to_jsonb(t) order by t.position, t.created_at)
                           from public.session_types t where t.expert_id = p_expert_id), '[]'::jsonb),
        'availability', (select to_jsonb(a) from public.expert_availability a where a.expert_id = p_expert_id),
        'customer', (select jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email)
                     from public.users u where u.id = p_customer_id),
        -- As the store's active_times: a session lasts at most a few hours, so one that overlaps
        -- the range started the day before it at the earliest (the date bound uses the index).
        'held', coalesce((
            select jsonb_agg(jsonb_build_object('id', b.id, 'scheduled_date', b.scheduled_date,
                                                'scheduled_time', b.scheduled_time, 'duration', b.duration)
                             order by b.scheduled_date, b.scheduled_time, b.id)
            from public.bookings b
            where p_from is not null and p_to is not null
              and b.expert_id = p_expert_id
              and b.status in ('pending', 'paid', 'confirmed')
              and b.scheduled_date >= p_from::date - 1 and b.scheduled_date <= p_to::date
              and b.ends_at > p_from and b.starts_at < p_to
              and (b.status <> 'pending' or b.created_at >= p_pending_since)
        ), '[]'::jsonb)
    )
$$;

-- booking_view answers what the Confirmation page shows of one booking: the booking with both
-- names, its calendar work (if any was ever queued) and booking_inputs of its expert for the
-- reschedule form's days; null for an unknown booking. Re-runnable like the files before it.
create or replace function public.booking_view(p_booking_id uuid, p_from timestamp, p_to timestamp,
                                               p_pending_since timestamptz)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select jsonb_build_object(
        'booking', to_jsonb(b) || jsonb_build_object(
            'customer', (select jsonb_build_object('name', u.name, 'email', u.email)
                         from public.users u where u.id = b.user_id),
            'expert', (select jsonb_build_object('name', e.name, 'email', e.email)
                       from public.experts e where e.id = b.expert_id)),
        'calendar_work', (select to_jsonb(w) from public.calendar_work w where w.booking_id = b.id),
        'inputs', public.booking_inputs(b.expert_id, null, null, p_from, p_to, p_pending_since)
    )
    from public.bookings b
    where b.id = p_booking_id
$$;

-- Only the console (service role) reads across experts.
revoke execute on function public.booking_inputs(uuid, text, uuid, timestamp, timestamp, timestamptz)
from public, anon, authenticated;
grant execute on function public.booking_inputs(uuid, text, uuid, timestamp, timestamp, timestamptz) to service_role;

revoke execute on function public.booking_view(uuid, timestamp, timestamp, timestamptz) from public, anon, authenticated;
grant execute on function public.booking_view(uuid, timestamp, timestamp, timestamptz) to service_role;

notify pgrst, 'reload schema';
