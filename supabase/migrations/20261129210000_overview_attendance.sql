-- CallExpert Console: the Overview's attendance figures, added to `overview_stats`.
--
-- The function of 20261129200000_overview_stats.sql, redefined with the same signature and one
-- more key, 'attendance', over the range's bookings whose Google Meet attendance is 'recorded':
--   'experts':  [{expert, sessions, both_joined, expert_no_shows, customer_no_shows}] by name;
--   'lateness': [{side, joins, median_min, p95_min}]: minutes from the session's start (its
--               wall clock `starts_at` in p_tz) to that side's first join, percentile_cont.
-- Still one round trip per page load; still callable by the service role only.

create or replace function public.overview_stats(p_from timestamptz, p_to timestamptz, p_tz text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    with b as materialized (
        select id, status, price, paid_at, confirmed_at, expert_id, starts_at, (created_at at time zone p_tz)::date as day
          from public.bookings
         where created_at >= p_from and created_at < p_to
    )
    select jsonb_build_object(
        'per_day', coalesce((
            select jsonb_agg(jsonb_build_object('day', day, 'status', status, 'bookings', n) order by day, status)
              from (select day, status, count(*) as n from b group by day, status) x), '[]'::jsonb),
        'revenue', coalesce((
            select jsonb_agg(jsonb_build_object('week', week, 'revenue', revenue, 'bookings', n) order by week)
              from (select date_trunc('week', day)::date as week, sum(price) as revenue, count(*) as n
                      from b where status in ('paid', 'confirmed', 'completed') group by 1) x), '[]'::jsonb),
        'funnel', (
            select jsonb_build_array(
                count(*), count(paid_at), count(confirmed_at),
                count(*) filter (where status = 'completed'),
                count(*) filter (where status = 'expired'),
                count(*) filter (where status = 'cancelled' and paid_at is null),
                count(*) filter (where status = 'cancelled' and paid_at is not null and confirmed_at is null),
                count(*) filter (where status = 'cancelled' and confirmed_at is not null),
                count(*) filter (where status = 'pending'),
                count(*) filter (where status = 'paid'),
                count(*) filter (where status = 'confirmed'))
              from b),
        'link_delay', coalesce((
            select jsonb_agg(jsonb_build_object('day', day, 'bookings', n, 'median_s', med, 'p95_s', p95) order by day)
              from (select day, count(*) as n,
                           percentile_cont(0.5) within group (order by seconds) as med,
                           percentile_cont(0.95) within group (order by seconds) as p95
                      from (select day, extract(epoch from confirmed_at - paid_at)::float8 as seconds
                              from b where paid_at is not null and confirmed_at is not null) d
                     group by day) x), '[]'::jsonb),
        'link_attempts', (
            select count(*) from b join public.booking_history h on h.booking_id = b.id
             where h.event in ('link attempt', 'link attempt failed')),
        'link_errors', coalesce((
            select jsonb_agg(jsonb_build_array(detail, n) order by detail)
              from (select h.detail, count(*) as n from b join public.booking_history h on h.booking_id = b.id
                     where h.event = 'link attempt failed' group by h.detail) x), '[]'::jsonb),
        'emails', coalesce((
            select jsonb_agg(jsonb_build_array(status, n) order by status)
              from (select o.status, count(*) as n from b join public.email_outbox o on o.booking_id = b.id
                     group by o.status) x), '[]'::jsonb),
        'attendance', jsonb_build_object(
            'experts', coalesce((
                select jsonb_agg(jsonb_build_object('expert', name, 'sessions', n, 'both_joined', both_joined,
                                                    'expert_no_shows', expert_absent,
                                                    'customer_no_shows', customer_absent) order by name, id)
                  from (select e.id, e.name, count(*) as n,
                               count(*) filter (where a.expert_joined and a.customer_joined) as both_joined,
                               count(*) filter (where not a.expert_joined) as expert_absent,
                               count(*) filter (where not a.customer_joined) as customer_absent
                          from b join public.booking_attendance a on a.booking_id = b.id
                                 join public.experts e on e.id = b.expert_id
                         where a.status = 'recorded'
                         group by e.id, e.name) x), '[]'::jsonb),
            'lateness', coalesce((
                select jsonb_agg(jsonb_build_object('side', side, 'joins', n, 'median_min', med, 'p95_min', p95)
                                 order by side desc)
                  from (select side, count(*) as n,
                               percentile_cont(0.5) within group (order by seconds) / 60 as med,
                               percentile_cont(0.95) within group (order by seconds) / 60 as p95
                          from (select s.side,
                                       round(extract(epoch from s.joined_at - (b.starts_at at time zone p_tz)))::float8 as seconds
                                  from b join public.booking_attendance a on a.booking_id = b.id
                                  cross join lateral (values ('expert', a.expert_joined, a.expert_joined_at),
                                                             ('customer', a.customer_joined, a.customer_joined_at))
                                        as s (side, joined, joined_at)
                                 where a.status = 'recorded' and s.joined and s.joined_at is not null) d
                         group by side) x), '[]'::jsonb))
    );
$$;

revoke execute on function public.overview_stats(timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.overview_stats(timestamptz, timestamptz, text) to service_role;

notify pgrst, 'reload schema';
