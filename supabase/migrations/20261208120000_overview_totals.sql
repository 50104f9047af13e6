-- CallExpert Console: the Overview headline's totals of a period, without its other figures.
--
-- The headline compares the range with the period of the same length just before it, and needs
-- only five numbers of that period; `overview_stats` would compute every figure of it. This
-- function counts, over the bookings created in [p_from, p_to), exactly what the headline sums
-- from `overview_stats` (20261129210000_overview_attendance.sql):
--   made:        count(*)                                   (funnel's first step);
--   revenue:     sum(price) of 'paid', 'confirmed', 'completed' (the weekly revenue's sum);
--   confirmed:   count(confirmed_at)                        (funnel's 'confirmed');
--   sessions:    bookings whose attendance is 'recorded'    (attendance's sessions summed);
--   both_joined: those of them both sides joined            (attendance's both_joined summed).
-- No timezone: days do not matter to totals. One round trip; callable by the service role only.

create or replace function public.overview_totals(p_from timestamptz, p_to timestamptz)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select jsonb_build_object(
        'made', count(*),
        'revenue', coalesce(sum(b.price) filter (where b.status in ('paid', 'confirmed', 'completed')), 0),
        'confirmed', count(b.confirmed_at),
        'sessions', count(a.booking_id),
        'both_joined', count(*) filter (where a.expert_joined and a.customer_joined))
      from public.bookings b
      -- at most one attendance row per booking (its key): the join never repeats a booking
      left join public.booking_attendance a on a.booking_id = b.id and a.status = 'recorded'
     where b.created_at >= p_from and b.created_at < p_to;
$$;

comment on function public.overview_totals(timestamptz, timestamptz) is
    'The Overview headline''s totals of the bookings created in [p_from, p_to): made, revenue, confirmed, '
    'recorded sessions and those both sides joined; the same counts overview_stats gives.';

revoke execute on function public.overview_totals(timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.overview_totals(timestamptz, timestamptz) to service_role;

notify pgrst, 'reload schema';
