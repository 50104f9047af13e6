-- What the Ops page shows, in one request: the page reads these lists side by side in every run,
-- and on Supabase each separate read is a round trip. The rows come back in the shapes of the
-- separate PostgREST reads (a booking with its customer's and expert's names, the outbox, job run,
-- self-service and history rows), so the store reads them with the same code. Invoker rights:
-- the service role's grants decide.
--
-- Parts: the four numbers (ops_counts), the paid bookings without a link (oldest first), the
-- failed emails among the newest p_email_limit, the customers' changes since p_changes_since and
-- every refund still due (newest change first) with their bookings, each job's latest run, the
-- newest bookings (of one status, or all when p_status is null), and of the booking chosen among
-- those (p_wanted when it is one of them, else the newest) its id, its history and the stored
-- hours of its expert (the reschedule form's).
create or replace function public.ops_page(p_today date, p_status text, p_wanted uuid, p_changes_since timestamptz,
                                           p_recent_limit integer, p_missing_limit integer, p_email_limit integer,
                                           p_changes_limit integer)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    -- The lists' ids first (each by its index, a few hundred rows at most), then their rows
    -- with the names, built for those ids alone.
    with recent as (
        select b.id, b.created_at, b.expert_id from public.bookings b
         where p_status is null or b.status = p_status
         order by b.created_at desc, b.id desc
         limit p_recent_limit
    ), missing as (
        select b.id, b.created_at from public.bookings b
         where b.status = 'paid' and b.meeting_link is null
         order by b.created_at, b.id
         limit p_missing_limit
    ), changes as (
        select x.* from public.self_service x
         where x.last_change_at >= p_changes_since or x.refund = 'due'
         order by x.last_change_at desc nulls last
         limit p_changes_limit
    ), shaped as (
        -- One booking at a time by its key: only the listed rows are read, with their names (a
        -- join here let the planner read every booking and customer, which grew with the data).
        select i.id,
               (select to_jsonb(n) || jsonb_build_object(
                           'customer', (select jsonb_build_object('name', u.name, 'email', u.email)
                                          from public.users u where u.id = n.user_id),
                           'expert', (select jsonb_build_object('name', e.name, 'email', e.email)
                                        from public.experts e where e.id = n.expert_id))
                  from public.bookings n where n.id = i.id) as row
          from (select id from recent union select id from missing union select booking_id from changes) i
    ), newest_emails as (
        select o.* from public.email_outbox o order by o.id desc limit p_email_limit
    ), chosen as (
        select r.id, r.expert_id from recent r
         order by (r.id = p_wanted) desc, r.created_at desc, r.id desc
         limit 1
    )
    select jsonb_build_object(
        'counts', (select to_jsonb(c) from public.ops_counts(p_today) c),
        'missing', coalesce((
            select jsonb_agg(s.row order by m.created_at, m.id) from missing m join shaped s on s.id = m.id),
            '[]'::jsonb),
        'failed_emails', coalesce((
            select jsonb_agg(to_jsonb(o) order by o.id desc) from newest_emails o where o.status = 'failed'),
            '[]'::jsonb),
        'changes', coalesce((
            select jsonb_agg(to_jsonb(c) || jsonb_build_object('booking', s.row)
                             order by c.last_change_at desc nulls last)
              from changes c join shaped s on s.id = c.booking_id), '[]'::jsonb),
        'job_runs', coalesce((
            select jsonb_agg(to_jsonb(j) order by j.job) from public.job_runs_latest j), '[]'::jsonb),
        'recent', coalesce((
            select jsonb_agg(s.row order by r.created_at desc, r.id desc) from recent r join shaped s on s.id = r.id),
            '[]'::jsonb),
        'chosen', (select c.id from chosen c),
        'history', coalesce((
            select jsonb_agg(jsonb_build_object('booking_id', h.booking_id, 'at', h.at, 'event', h.event,
                                                'detail', h.detail, 'actor', h.actor) order by h.id)
              from public.booking_history h
             where h.booking_id = (select c.id from chosen c)), '[]'::jsonb),
        'availability', (
            select jsonb_build_object(
                       'timezone', x.timezone, 'weekly', x.weekly, 'overrides', x.overrides,
                       'buffer_before', x.buffer_before, 'buffer_after', x.buffer_after,
                       'min_notice_minutes', x.min_notice_minutes, 'slot_step_minutes', x.slot_step_minutes,
                       'max_per_day', x.max_per_day, 'horizon_days', x.horizon_days)
              from public.expert_availability x
             where x.expert_id = (select c.expert_id from chosen c)));
$$;

revoke execute on function public.ops_page(date, text, uuid, timestamptz, integer, integer, integer, integer)
    from public, anon, authenticated;
grant execute on function public.ops_page(date, text, uuid, timestamptz, integer, integer, integer, integer)
    to service_role;
