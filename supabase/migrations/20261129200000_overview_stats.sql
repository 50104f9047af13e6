-- CallExpert Console: the ops Overview page's figures, aggregated in the database.
--
-- One function returns every figure for the bookings created in [p_from, p_to), each booking's
-- day being its creation date in the app timezone p_tz (see lib/overview_readings.py for what each figure
-- means). Revenue counts paid, confirmed and completed bookings; the funnel reads the paid_at and
-- confirmed_at stamps; link attempts come from the history; emails from the outbox. Only the
-- service role may call it: it sums money and names errors.
-- The range's link attempts and emails, found from their bookings through the index alone.
create index if not exists booking_history_event on public.booking_history (booking_id, event);
create index if not exists email_outbox_booking_status on public.email_outbox (booking_id, status);

create or replace function public.overview_stats(p_from timestamptz, p_to timestamptz, p_tz text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    with b as materialized (
        select id, status, price, paid_at, confirmed_at, (created_at at time zone p_tz)::date as day
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
                     group by o.status) x), '[]'::jsonb)
    );
$$;

revoke execute on function public.overview_stats(timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.overview_stats(timestamptz, timestamptz, text) to service_role;

notify pgrst, 'reload schema';
