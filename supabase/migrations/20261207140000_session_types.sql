-- CallExpert Console: session types belong to experts.
--
-- Before this, every expert offered the same five session types at every length, priced from the
-- expert's hourly rate. Now each expert has their own types (public.session_types): a name per
-- email language (`en`, `id`), the durations offered, and a price per hour or, with hourly_rate
-- null, a fixed price per duration; an optional description; active or retired (a retired type
-- stays for the bookings that name it). Then:
--   * a booking names its type (bookings.session_type_id) and keeps the type's names as they were
--     when booked (bookings.session_names), so emails and invitations name it in their language;
--   * the database takes the price from the type and refuses a booking of a type the expert does
--     not offer (another expert's, a retired one, an unknown name) or of a duration the type does
--     not allow, whoever inserts it: a signed-in customer or the service role (the console). The
--     trigger bookings_price_from_type replaces bookings_price_from_rate (20261129100000); a client
--     that sends only the type's name (session_type) gets the expert's active type of that name;
--   * an expert reads their own types; ops manage everyone's through the console (service role);
--   * a new expert starts with the standard types at their hourly rate, as every expert had them;
--   * what exists is carried over: each expert without types gets the standard ones, a name
--     their bookings carry that is not among them becomes a retired type of its own, and every
--     booking is linked to its type. Its price, duration and the name it was booked with stay.
-- Re-runnable like the files before it: the standard types go only to an expert with none.

-- -- the table -----------------------------------------------------------------------------------

-- Whether `p_prices` (minutes as text -> rupiah) prices exactly the durations `p_durations`, each
-- with a whole number of rupiah from 0 to 2.000.000.000. Used by the table's check.
create or replace function private.session_type_prices_ok(p_durations integer[], p_prices jsonb)
returns boolean
language sql immutable
set search_path = ''
as $$
    select jsonb_typeof(p_prices) = 'object'
       and (select count(*) from jsonb_object_keys(p_prices)) = cardinality(p_durations)
       and coalesce((select bool_and(jsonb_typeof(p_prices -> d::text) = 'number'
                                     and (p_prices ->> d::text)::numeric between 0 and 2000000000
                                     and (p_prices ->> d::text)::numeric = trunc((p_prices ->> d::text)::numeric))
                     from unnest(p_durations) as d), false)
$$;

revoke all on function private.session_type_prices_ok(integer[], jsonb) from public, anon;
grant execute on function private.session_type_prices_ok(integer[], jsonb) to authenticated, service_role;

create table if not exists public.session_types (
    id            uuid primary key default gen_random_uuid(),
    expert_id     uuid not null references public.experts (id) on delete cascade,
    names         jsonb not null,
    durations     integer[] not null,
    hourly_rate   integer,
    fixed_prices  jsonb not null default '{}'::jsonb,
    description   text not null default '',
    active        boolean not null default true,
    position      integer not null default 0,
    created_at    timestamptz not null default now(),
    -- A name in each email language and no other key, each on one line, 1 to 80 characters.
    constraint session_types_names check (coalesce(
        jsonb_typeof(names) = 'object' and names - 'en' - 'id' = '{}'::jsonb
        and jsonb_typeof(names -> 'en') = 'string' and jsonb_typeof(names -> 'id') = 'string'
        and char_length(btrim(names ->> 'en')) between 1 and 80 and char_length(btrim(names ->> 'id')) between 1 and 80
        and names ->> 'en' !~ '[[:cntrl:]]' and names ->> 'id' !~ '[[:cntrl:]]', false)),
    -- At least one of the lengths the console offers (lib/domain.ALLOWED_DURATIONS), none twice.
    constraint session_types_durations check (
        cardinality(durations) between 1 and 5 and durations <@ array[30, 45, 60, 90, 120]
        and array_position(durations, null) is null),
    -- A price per hour, or a fixed price for each duration: one of the two, never negative.
    constraint session_types_price check (
        (hourly_rate is not null and hourly_rate >= 0 and fixed_prices = '{}'::jsonb)
        or (hourly_rate is null and private.session_type_prices_ok(durations, fixed_prices))),
    constraint session_types_description check (char_length(description) <= 300)
);

create index if not exists session_types_expert on public.session_types (expert_id, position);

comment on table public.session_types is
    'What each expert offers (lib.domain.SessionType); written by the service role (ops, in the console).';

-- -- bookings name their type ----------------------------------------------------------------------

alter table public.bookings
    add column if not exists session_type_id uuid references public.session_types (id),
    add column if not exists session_names jsonb;

create index if not exists bookings_session_type on public.bookings (session_type_id);

-- -- who reads and writes them -------------------------------------------------------------------------

alter table public.session_types enable row level security;

drop policy if exists session_types_expert_read on public.session_types;
create policy session_types_expert_read on public.session_types
    for select to authenticated
    using (expert_id in (
        select e.id from public.experts e where lower(e.email) = (select private.jwt_verified_email())));

revoke all on public.session_types from anon, authenticated;
grant select on public.session_types to authenticated;
grant select, insert, update, delete on public.session_types to service_role;

-- -- the standard types: for a new expert, and for those carried over --------------------------------

create or replace function private.standard_session_types()
returns table (names jsonb, ord integer)
language sql immutable
set search_path = ''
as $$
    values ('{"en": "General consultation", "id": "Konsultasi umum"}'::jsonb, 0),
           ('{"en": "Career mentoring", "id": "Mentoring karier"}'::jsonb, 1),
           ('{"en": "Business review", "id": "Tinjauan bisnis"}'::jsonb, 2),
           ('{"en": "Technical review", "id": "Tinjauan teknis"}'::jsonb, 3),
           ('{"en": "Legal consultation", "id": "Konsultasi hukum"}'::jsonb, 4)
$$;

revoke all on function private.standard_session_types() from public, anon, authenticated;
grant execute on function private.standard_session_types() to service_role;

create or replace function public.experts_standard_session_types()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into public.session_types (expert_id, names, durations, hourly_rate, position)
    select new.id, s.names, array[30, 45, 60, 90, 120], greatest(coalesce(new.hourly_rate, 0), 0), s.ord
    from private.standard_session_types() s;
    return new;
end
$$;

revoke execute on function public.experts_standard_session_types() from public, anon, authenticated;

drop trigger if exists experts_standard_session_types on public.experts;
create trigger experts_standard_session_types
    after insert on public.experts
    for each row execute function public.experts_standard_session_types();

-- The carry-over. Experts with no type get the standard ones at their rate.
insert into public.session_types (expert_id, names, durations, hourly_rate, position)
select e.id, s.names, array[30, 45, 60, 90, 120], greatest(coalesce(e.hourly_rate, 0), 0), s.ord
from public.experts e cross join private.standard_session_types() s
where not exists (select 1 from public.session_types t where t.expert_id = e.id);

-- A name a booking carries that none of its expert's types has becomes a retired type of its own.
insert into public.session_types (expert_id, names, durations, hourly_rate, active, position)
select distinct on (b.expert_id, lower(btrim(b.session_type)))
       b.expert_id, jsonb_build_object('en', left(btrim(b.session_type), 80), 'id', left(btrim(b.session_type), 80)),
       array[30, 45, 60, 90, 120], greatest(coalesce(e.hourly_rate, 0), 0), false, 100
from public.bookings b join public.experts e on e.id = b.expert_id
where b.session_type_id is null and btrim(coalesce(b.session_type, '')) <> ''
  and btrim(b.session_type) !~ '[[:cntrl:]]'
  and not exists (select 1 from public.session_types t
                  where t.expert_id = b.expert_id
                    and lower(btrim(b.session_type)) in (lower(t.names ->> 'en'), lower(t.names ->> 'id')));

-- Every booking linked to its type, with the names it was booked under. Price, duration and
-- session_type stay as they were.
update public.bookings b
   set session_type_id = t.id, session_names = t.names
  from public.session_types t
 where b.session_type_id is null and t.expert_id = b.expert_id
   and lower(btrim(b.session_type)) in (lower(t.names ->> 'en'), lower(t.names ->> 'id'));

-- -- the database takes the price from the type and refuses what the expert does not offer -------

drop trigger if exists bookings_price_from_rate on public.bookings;
drop function if exists public.bookings_price_from_rate();

-- Security definer so that the type is read whatever the caller may see of session_types; it
-- reads nothing else. The console's own inserts store the price it quoted, computed the same way
-- (lib/domain.SessionType.price).
create or replace function public.bookings_price_from_type()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_type  public.session_types%rowtype;
    v_price bigint;
begin
    new.created_at := least(coalesce(new.created_at, now()), now());
    if new.duration is null or new.expert_id is null then
        return new;  -- not null refuses it, with its own message
    end if;
    if new.session_type_id is not null then
        select * into v_type from public.session_types t where t.id = new.session_type_id;
    else
        select * into v_type from public.session_types t
         where t.expert_id = new.expert_id and t.active
           and lower(btrim(coalesce(new.session_type, ''))) in (lower(t.names ->> 'en'), lower(t.names ->> 'id'))
         order by t.position, t.created_at
         limit 1;
    end if;
    if v_type.id is null or v_type.expert_id <> new.expert_id then
        raise exception 'This expert does not offer the session type “%”; pick one of the expert''s own types.',
            coalesce(new.session_type, '') using errcode = '23514';
    end if;
    if not v_type.active then
        raise exception 'This expert no longer offers “%”; pick one of their current types.',
            v_type.names ->> 'en' using errcode = '23514';
    end if;
    if not (new.duration = any (v_type.durations)) then
        raise exception '“%” is not offered for % minutes; choose % minutes.',
            v_type.names ->> 'en', new.duration, array_to_string(v_type.durations, ', ') using errcode = '23514';
    end if;
    if v_type.hourly_rate is not null then
        v_price := (v_type.hourly_rate::bigint * new.duration + 30) / 60;
    else
        v_price := (v_type.fixed_prices ->> new.duration::text)::bigint;
    end if;
    if v_price is null or v_price > 2000000000 then
        raise exception 'The price would exceed Rp 2.000.000.000 for % minutes; check the session type''s price.',
            new.duration using errcode = '22023';
    end if;
    new.price := v_price;
    new.session_type_id := v_type.id;
    new.session_type := v_type.names ->> 'en';
    new.session_names := v_type.names;
    return new;
end
$$;

revoke execute on function public.bookings_price_from_type() from public, anon, authenticated;

drop trigger if exists bookings_price_from_type on public.bookings;
create trigger bookings_price_from_type
    before insert on public.bookings
    for each row execute function public.bookings_price_from_type();

-- The console's booking_create (20261129140000) now passes the type it books; the old signature
-- goes, so that PostgREST has one candidate.
drop function if exists public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text,
                                              text, text, text, text);

create or replace function public.booking_create(
    p_id uuid, p_expert_id uuid, p_session_type text, p_date date, p_time time,
    p_duration integer, p_price integer, p_customer_id uuid, p_customer_name text,
    p_customer_email text, p_request_key text, p_actor text, p_event text, p_detail text,
    p_session_type_id uuid default null
)
returns setof public.bookings
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_user uuid;
begin
    -- One booking at a time per expert: concurrent inserts into the same exclusion constraint
    -- can deadlock (40P01) instead of one of them getting 23P01 "slot taken".
    perform pg_advisory_xact_lock(hashtextextended(p_expert_id::text, 0));
    if p_request_key is not null then
        return query select * from public.bookings where request_key = p_request_key;
        if found then
            return;
        end if;
    end if;
    if p_customer_id is not null then
        select id into v_user from public.users where id = p_customer_id;
        if v_user is null then
            raise exception 'No customer with id %.', p_customer_id using errcode = 'P0002';
        end if;
    elsif p_customer_email is not null then
        select id into v_user from public.customer_upsert(p_customer_name, p_customer_email);
    else
        raise exception 'Pick a customer or enter a new one.' using errcode = '22023';
    end if;
    -- The exclusion constraint refuses an overlapping slot here (23P01), race-free; the trigger
    -- bookings_price_from_type the type, the duration and the price.
    insert into public.bookings (id, user_id, expert_id, session_type, session_type_id, scheduled_date,
                                 scheduled_time, duration, status, price, request_key)
    values (p_id, v_user, p_expert_id, p_session_type, p_session_type_id, p_date, p_time, p_duration, 'pending',
            p_price, p_request_key);
    insert into public.booking_history (booking_id, event, detail, actor)
    values (p_id, p_event, p_detail, p_actor);
    return query select * from public.bookings where id = p_id;
end
$$;

revoke execute on function public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text,
                                                 text, text, text, text, uuid) from public, anon, authenticated;
grant execute on function public.booking_create(uuid, uuid, text, date, time, integer, integer, uuid, text, text,
                                                text, text, text, text, uuid) to service_role;

-- -- ops replace an expert's types (the console's `python -m lib types EXPERT --set FILE`) -----------

-- p_types: the types in order, each {id, names, durations, hourly_rate, fixed_prices, description,
-- active, position}. An id of this expert's is updated, a new id inserted; the expert's types not
-- listed are deleted, or retired when a booking names them. In one transaction.
create or replace function public.session_types_replace(p_expert_id uuid, p_types jsonb)
returns setof public.session_types
language plpgsql
security invoker
set search_path = ''
as $$
declare
    v_item  jsonb;
    v_owner uuid;
    v_ids   uuid[] := '{}';
begin
    perform 1 from public.experts where id = p_expert_id for update;
    if not found then
        raise exception 'Unknown expert; pick one from the list.' using errcode = 'P0002';
    end if;
    for v_item in select * from jsonb_array_elements(p_types) loop
        select expert_id into v_owner from public.session_types where id = (v_item ->> 'id')::uuid;
        if v_owner is not null and v_owner <> p_expert_id then
            raise exception '“%” has the id of another expert''s session type; leave the id out to add it as a new type.',
                v_item -> 'names' ->> 'en' using errcode = '23514';
        end if;
        insert into public.session_types as t (id, expert_id, names, durations, hourly_rate, fixed_prices,
                                               description, active, position)
        values ((v_item ->> 'id')::uuid, p_expert_id, v_item -> 'names',
                array(select jsonb_array_elements_text(v_item -> 'durations')::integer),
                (v_item ->> 'hourly_rate')::integer, coalesce(v_item -> 'fixed_prices', '{}'::jsonb),
                coalesce(v_item ->> 'description', ''), coalesce((v_item ->> 'active')::boolean, true),
                coalesce((v_item ->> 'position')::integer, 0))
        on conflict (id) do update
            set names = excluded.names, durations = excluded.durations, hourly_rate = excluded.hourly_rate,
                fixed_prices = excluded.fixed_prices, description = excluded.description,
                active = excluded.active, position = excluded.position;
        v_ids := v_ids || (v_item ->> 'id')::uuid;
    end loop;
    update public.session_types t set active = false
     where t.expert_id = p_expert_id and not (t.id = any (v_ids))
       and exists (select 1 from public.bookings b where b.session_type_id = t.id);
    delete from public.session_types t
     where t.expert_id = p_expert_id and not (t.id = any (v_ids))
       and not exists (select 1 from public.bookings b where b.session_type_id = t.id);
    return query select * from public.session_types where expert_id = p_expert_id order by position, created_at;
end
$$;

revoke execute on function public.session_types_replace(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.session_types_replace(uuid, jsonb) to service_role;

notify pgrst, 'reload schema';
