-- CallExpert Console: the database refuses what the console would refuse.
--
-- A signed-in customer may insert their own `pending` booking straight into the table (see the
-- insert policy in the RLS file), so the rules the console applies must hold in the database too:
--   * the price is the expert's hourly rate times the duration, computed here on every insert
--     whatever the client sent;
--   * the duration is one of the lengths the console offers (lib/domain.ALLOWED_DURATIONS);
--   * a `pending` booking that is not paid in time becomes `expired` and no longer holds its slot
--     (booking_expire_pending below, run by `python -m lib expire-pending`).
-- Re-runnable like the files before it. Note that re-running the first schema file by hand after
-- this one puts its older checks back (and fails once `expired` rows exist): run this one after it.

-- `expired`: was still pending after the console's `pending_expiry_minutes`; kept for the record.
alter table public.bookings drop constraint if exists bookings_status_check;
alter table public.bookings add constraint bookings_status_check
    check (status in ('pending', 'paid', 'confirmed', 'cancelled', 'completed', 'expired'));

-- The offered lengths, in minutes. Existing rows with another duration make this fail (23514):
-- list them with `select id, duration, status from bookings where duration not in (30, 45, 60, 90, 120)`,
-- correct them, and re-run.
alter table public.bookings drop constraint if exists bookings_duration_check;
alter table public.bookings add constraint bookings_duration_check check (duration in (30, 45, 60, 90, 120));

-- Only pending, paid and confirmed bookings hold the expert's time; cancelled, completed and
-- expired ones do not. Recreated so that a constraint of this name made elsewhere with another
-- predicate (e.g. `status <> 'cancelled'`, which would count `expired`) ends as this one.
alter table public.bookings drop constraint if exists bookings_no_overlap;
alter table public.bookings add constraint bookings_no_overlap
    exclude using gist (expert_id with =, slot with &&)
    where (status in ('pending', 'paid', 'confirmed'));

-- The price of a new booking, from the expert's rate: whole rupiah for `duration` minutes,
-- rounded half up, exactly as lib/validation.price_for computes it (the console's own inserts
-- therefore store the price it quoted). `created_at` may not lie in the future either, or a
-- booking could dodge the expiry. Security definer so that the rate is read whatever the
-- caller may see of the experts table; it reads nothing else.
create or replace function public.bookings_price_from_rate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_rate  bigint;
    v_price bigint;
begin
    new.created_at := least(coalesce(new.created_at, now()), now());
    if new.duration is null or new.duration not in (30, 45, 60, 90, 120) then
        return new;  -- bookings_duration_check (or not null) refuses it, with its own message
    end if;
    select e.hourly_rate into v_rate from public.experts e where e.id = new.expert_id;
    if not found then
        return new;  -- the foreign key refuses it
    end if;
    if v_rate is null or v_rate < 0 then
        raise exception 'The expert has no valid hourly rate; fix the rate before booking.' using errcode = '22023';
    end if;
    v_price := (v_rate * new.duration + 30) / 60;
    if v_price > 2000000000 then
        raise exception 'The price would exceed Rp 2.000.000.000 for % minutes; check the expert''s hourly rate.',
            new.duration using errcode = '22023';
    end if;
    new.price := v_price;
    return new;
end
$$;

drop trigger if exists bookings_price_from_rate on public.bookings;
create trigger bookings_price_from_rate
    before insert on public.bookings
    for each row execute function public.bookings_price_from_rate();

revoke execute on function public.bookings_price_from_rate() from public, anon, authenticated;

-- pending -> expired for every booking made before p_cutoff and still unpaid, with a history
-- line each; returns them (the console then closes their Midtrans orders). Conditional on
-- `pending` row by row, so a payment recorded a moment earlier wins and that booking stays paid.
create or replace function public.booking_expire_pending(p_cutoff timestamptz, p_at timestamptz, p_actor text)
returns setof public.bookings
language sql
security invoker
set search_path = ''
as $$
    with gone as (
        update public.bookings
           set status = 'expired', updated_at = p_at, link_lease_until = null
         where status = 'pending' and created_at < p_cutoff
        returning *
    ), logged as (
        insert into public.booking_history (booking_id, event, detail, actor)
        select id, 'expired', 'not paid in time; the slot is free again', p_actor from gone
    )
    select * from gone;
$$;

revoke execute on function public.booking_expire_pending(timestamptz, timestamptz, text)
    from public, anon, authenticated;
grant execute on function public.booking_expire_pending(timestamptz, timestamptz, text) to service_role;

notify pgrst, 'reload schema';
