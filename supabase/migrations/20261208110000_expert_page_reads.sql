-- What the My sessions and Availability pages show of one expert, each in one request: the pages
-- read these parts side by side in every run, and on Supabase each separate read is a round trip.
-- The rows come back in the shapes the separate PostgREST reads return (a booking with its
-- customer's and expert's names, the availability and attendance rows, the session types), so
-- the store reads them with the same code. Invoker rights: the service role's grants decide.

-- My sessions: the week's sessions (statuses given), the attendance of those that ended, the
-- expert's stored hours and their confirmed sessions that have not ended yet. The statuses are a
-- JSON array of text.
create or replace function public.expert_week_page(p_expert_id uuid, p_start timestamp, p_end timestamp,
                                                   p_statuses jsonb, p_now timestamp, p_week_limit integer,
                                                   p_upcoming_limit integer)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    with week as (
        select b.*, u.name as customer_name, u.email as customer_email, e.name as expert_name,
               e.email as expert_email
          from public.bookings b
          join public.users u on u.id = b.user_id
          join public.experts e on e.id = b.expert_id
         where b.expert_id = p_expert_id
           and b.status in (select jsonb_array_elements_text(p_statuses))
           and b.scheduled_date >= (p_start::date - 1)
           and b.scheduled_date <= p_end::date
           and b.ends_at > p_start
           and b.starts_at < p_end
         order by b.scheduled_date, b.scheduled_time, b.id
         limit p_week_limit
    ), upcoming as (
        select b.*, u.name as customer_name, u.email as customer_email, e.name as expert_name,
               e.email as expert_email
          from public.bookings b
          join public.users u on u.id = b.user_id
          join public.experts e on e.id = b.expert_id
         where b.expert_id = p_expert_id
           and b.status = 'confirmed'
           and b.scheduled_date >= (p_now::date - 1)
           and b.ends_at > p_now
         order by b.scheduled_date, b.scheduled_time
         limit p_upcoming_limit
    )
    select jsonb_build_object(
        'week', coalesce((
            select jsonb_agg(to_jsonb(w) - 'customer_name' - 'customer_email' - 'expert_name' - 'expert_email'
                             || jsonb_build_object(
                                 'customer', jsonb_build_object('name', w.customer_name, 'email', w.customer_email),
                                 'expert', jsonb_build_object('name', w.expert_name, 'email', w.expert_email))
                             order by w.scheduled_date, w.scheduled_time, w.id)
              from week w), '[]'::jsonb),
        'attendance', coalesce((
            select jsonb_agg(to_jsonb(a))
              from public.booking_attendance a
              join week w on w.id = a.booking_id
             where w.status = 'completed' or w.starts_at < p_now), '[]'::jsonb),
        'availability', (
            select jsonb_build_object(
                       'timezone', x.timezone, 'weekly', x.weekly, 'overrides', x.overrides,
                       'buffer_before', x.buffer_before, 'buffer_after', x.buffer_after,
                       'min_notice_minutes', x.min_notice_minutes, 'slot_step_minutes', x.slot_step_minutes,
                       'max_per_day', x.max_per_day, 'horizon_days', x.horizon_days)
              from public.expert_availability x
             where x.expert_id = p_expert_id),
        'upcoming', coalesce((
            select jsonb_agg(to_jsonb(c) - 'customer_name' - 'customer_email' - 'expert_name' - 'expert_email'
                             || jsonb_build_object(
                                 'customer', jsonb_build_object('name', c.customer_name, 'email', c.customer_email),
                                 'expert', jsonb_build_object('name', c.expert_name, 'email', c.expert_email))
                             order by c.scheduled_date, c.scheduled_time)
              from upcoming c), '[]'::jsonb));
$$;

-- Availability: the expert's stored hours and their session types in their order.
create or replace function public.expert_setup_page(p_expert_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select jsonb_build_object(
        'availability', (
            select jsonb_build_object(
                       'timezone', x.timezone, 'weekly', x.weekly, 'overrides', x.overrides,
                       'buffer_before', x.buffer_before, 'buffer_after', x.buffer_after,
                       'min_notice_minutes', x.min_notice_minutes, 'slot_step_minutes', x.slot_step_minutes,
                       'max_per_day', x.max_per_day, 'horizon_days', x.horizon_days)
              from public.expert_availability x
             where x.expert_id = p_expert_id),
        'session_types', coalesce((
            select jsonb_agg(jsonb_build_object(
                       'id', t.id, 'expert_id', t.expert_id, 'names', t.names, 'durations', t.durations,
                       'hourly_rate', t.hourly_rate, 'fixed_prices', t.fixed_prices,
                       'description', t.description, 'active', t.active, 'position', t.position)
                       order by t.position, t.created_at)
              from public.session_types t
             where t.expert_id = p_expert_id), '[]'::jsonb));
$$;

revoke execute on function public.expert_week_page(uuid, timestamp, timestamp, jsonb, timestamp, integer, integer)
    from public, anon, authenticated;
grant execute on function public.expert_week_page(uuid, timestamp, timestamp, jsonb, timestamp, integer, integer)
    to service_role;
revoke execute on function public.expert_setup_page(uuid) from public, anon, authenticated;
grant execute on function public.expert_setup_page(uuid) to service_role;
