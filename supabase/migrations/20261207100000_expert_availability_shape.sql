-- CallExpert Console: the database stores only an availability the console can read.
--
-- An expert may write their own expert_availability row through the platform's clients
-- (expert_availability_put or the table itself, 20261129150000), past the console's checks. A
-- row the console cannot read gives that expert no bookable hours until new ones are saved, so
-- the database refuses one, on every insert and update, by the rules of lib/scheduling (model.py
-- and parse.py), with the limits of lib/scheduling/model.py:
--   * the document (weekly and overrides as JSON text) at most 65536 bytes, checked first, so an
--     oversized one is refused before any of it is read;
--   * timezone: a zone name PostgreSQL knows (pg_timezone_names), not one of its posix/ or right/
--     copies (the console's zone list has none of them);
--   * weekly: an object keyed mon ... sun; each day a list (or null: no hours) of at most 6
--     [start, end] pairs of "HH:MM" texts, 00:00 to 24:00, 24:00 only as an end, each range ending
--     after it starts, the ranges of a day neither overlapping nor touching;
--   * overrides: an object of at most 366 real dates written YYYY-MM-DD, each with ranges as a
--     weekday has, none later than 730 days after today in the row's timezone (the longest
--     horizon: a later date could never be booked). The date is checked where a row is written,
--     never where it is read, so a stored date only comes nearer.
-- Each refusal is a check violation (23514) whose message names the day, range or limit in the
-- console's words ("Monday: at most 6 ranges a day, not 7."). Rows stored before this file are
-- left as they are (a trigger checks writes only): the console reads such a row as no hours for
-- that expert alone, says why on the Availability page and in its log, and saving new hours
-- there replaces it.

create or replace function public.expert_availability_check()
    returns trigger
    language plpgsql
    security invoker
    set search_path = ''
as $$
declare
    day_keys constant text[] := array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    day_names constant text[] := array['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
                                       'Sunday'];
    ordinals constant text[] := array['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];
    max_bytes constant integer := 65536;
    max_ranges constant integer := 6;
    max_overrides constant integer := 366;
    max_days_ahead constant integer := 730;
    size integer;
    last_day date;
    places text[] := '{}';    -- each day to check, in words ("Monday", "Thursday, 24 December 2026")
    lists jsonb[] := '{}';    -- and its ranges as stored
    place text;
    ranges jsonb;
    pair jsonb;
    bound jsonb;
    where_ text;
    written text;
    minutes integer[];
    starts integer[];
    ends integer[];
    key text;
    day date;
    i integer;
    j integer;
    prev_start integer;
    prev_end integer;
    r record;
begin
    size := octet_length(coalesce(new.weekly, '{}'::jsonb)::text)
            + octet_length(coalesce(new.overrides, '{}'::jsonb)::text);
    if size > max_bytes then
        raise exception using errcode = 'check_violation',
            message = format('The availability is too large: an availability can be at most %s bytes (%s KB) '
                             'of JSON, not %s.', max_bytes, max_bytes / 1024, size);
    end if;

    if new.timezone is not null and (new.timezone ~ '^(posix|right)/'
            or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.timezone)) then
        raise exception using errcode = 'check_violation',
            message = format('Time zone of these hours (timezone): “%s” is not a time zone name such as Asia/Jakarta.',
                             new.timezone);
    end if;

    if new.weekly is not null then
        if pg_catalog.jsonb_typeof(new.weekly) <> 'object' then
            raise exception using errcode = 'check_violation',
                message = 'The weekly hours (weekly) must be an object with the weekdays mon, tue, wed, thu, fri, sat, '
                          'sun as keys.';
        end if;
        for key in select k from pg_catalog.jsonb_object_keys(new.weekly) as k loop
            if not key = any(day_keys) then
                raise exception using errcode = 'check_violation',
                    message = format('The weekly hours (weekly): “%s” is not a weekday; use mon, tue, wed, thu, fri, '
                                     'sat, sun.', key);
            end if;
        end loop;
        for i in 1 .. 7 loop
            places := places || day_names[i];
            lists := lists || coalesce(new.weekly -> day_keys[i], 'null'::jsonb);
        end loop;
    end if;

    if new.overrides is not null then
        if pg_catalog.jsonb_typeof(new.overrides) <> 'object' then
            raise exception using errcode = 'check_violation',
                message = 'The date overrides (overrides) must be an object of "YYYY-MM-DD": [[start, end], ...] '
                          'entries.';
        end if;
        size := (select count(*) from pg_catalog.jsonb_object_keys(new.overrides));
        if size > max_overrides then
            raise exception using errcode = 'check_violation',
                message = format('The date overrides (overrides): at most %s date overrides, not %s; remove the dates '
                                 'that have passed or are not needed.', max_overrides, size);
        end if;
        last_day := (pg_catalog.now() at time zone coalesce(new.timezone, 'UTC'))::date + max_days_ahead;
        for key in select k from pg_catalog.jsonb_object_keys(new.overrides) as k order by k loop
            day := null;
            if key ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and left(key, 4) <> '0000' then
                begin
                    day := key::date;
                exception when others then
                    day := null;  -- 2026-02-30 and the like: not a day of the calendar
                end;
            end if;
            if day is null or pg_catalog.to_char(day, 'YYYY-MM-DD') <> key then
                raise exception using errcode = 'check_violation',
                    message = format('The date overrides (overrides): “%s” is not a date written YYYY-MM-DD, such as '
                                     '2026-12-24.', key);
            end if;
            if day > last_day then
                raise exception using errcode = 'check_violation',
                    message = format('%s: a date override can be at most %s days ahead, until %s.',
                                     pg_catalog.to_char(day, 'FMDay, FMDD FMMonth YYYY'), max_days_ahead,
                                     pg_catalog.to_char(last_day, 'FMDay, FMDD FMMonth YYYY'));
            end if;
            places := places || pg_catalog.to_char(day, 'FMDay, FMDD FMMonth YYYY');
            lists := lists || (new.overrides -> key);
        end loop;
    end if;

    for i in 1 .. coalesce(pg_catalog.array_length(places, 1), 0) loop
        place := places[i];
        ranges := lists[i];
        continue when pg_catalog.jsonb_typeof(ranges) = 'null';  -- no hours, or a day off
        if pg_catalog.jsonb_typeof(ranges) <> 'array' then
            raise exception using errcode = 'check_violation',
                message = format('%s: the hours must be a list of [start, end] pairs such as [["09:00", "12:00"]].',
                                 place);
        end if;
        if pg_catalog.jsonb_array_length(ranges) > max_ranges then
            raise exception using errcode = 'check_violation',
                message = format('%s: at most %s ranges a day, not %s.', place, max_ranges,
                                 pg_catalog.jsonb_array_length(ranges));
        end if;
        starts := '{}';
        ends := '{}';
        for j in 0 .. pg_catalog.jsonb_array_length(ranges) - 1 loop
            pair := ranges -> j;
            if pg_catalog.jsonb_typeof(pair) <> 'array' or pg_catalog.jsonb_array_length(pair) <> 2 then
                raise exception using errcode = 'check_violation',
                    message = format('%s, %s range: must be a [start, end] pair such as ["09:00", "12:00"].',
                                     place, ordinals[j + 1]);
            end if;
            where_ := format('%s, %s range (%s–%s)', place, ordinals[j + 1], pair ->> 0, pair ->> 1);
            minutes := '{}';
            foreach bound in array array[pair -> 0, pair -> 1] loop
                written := bound #>> '{}';
                if pg_catalog.jsonb_typeof(bound) <> 'string' or written !~ '^[0-9]{1,2}:[0-9]{2}$' then
                    raise exception using errcode = 'check_violation',
                        message = format('%s: “%s” is not a time written HH:MM, such as 09:30.', where_, written);
                end if;
                minutes := minutes || (split_part(written, ':', 1)::integer * 60 + split_part(written, ':', 2)::integer);
                if split_part(written, ':', 2)::integer > 59 or minutes[array_length(minutes, 1)] > 1440 then
                    raise exception using errcode = 'check_violation',
                        message = format('%s: %s is not a time of day; write one from 00:00 to %s.', where_, written,
                                         case when array_length(minutes, 1) = 2 then '24:00' else '23:59' end);
                end if;
            end loop;
            if minutes[1] = 1440 then
                raise exception using errcode = 'check_violation',
                    message = format('%s: 24:00 can only end a range; start at 00:00 of the next day.', where_);
            end if;
            if minutes[2] <= minutes[1] then
                raise exception using errcode = 'check_violation',
                    message = format('%s: the end is %s the start.', where_,
                                     case when minutes[2] = minutes[1] then 'the same as' else 'before' end);
            end if;
            starts := starts || minutes[1];
            ends := ends || minutes[2];
        end loop;
        prev_start := null;
        for r in select u.s, u.e from unnest(starts, ends) as u(s, e) order by u.s, u.e loop
            if prev_start is not null and r.s <= prev_end then
                raise exception using errcode = 'check_violation',
                    message = format('%s: %s–%s and %s–%s %s.', place,
                                     lpad((prev_start / 60)::text, 2, '0') || ':' || lpad((prev_start % 60)::text, 2, '0'),
                                     lpad((prev_end / 60)::text, 2, '0') || ':' || lpad((prev_end % 60)::text, 2, '0'),
                                     lpad((r.s / 60)::text, 2, '0') || ':' || lpad((r.s % 60)::text, 2, '0'),
                                     lpad((r.e / 60)::text, 2, '0') || ':' || lpad((r.e % 60)::text, 2, '0'),
                                     case when r.s < prev_end then 'overlap'
                                          else format('touch; write them as one range, %s–%s',
                                                      lpad((prev_start / 60)::text, 2, '0') || ':'
                                                      || lpad((prev_start % 60)::text, 2, '0'),
                                                      lpad((r.e / 60)::text, 2, '0') || ':'
                                                      || lpad((r.e % 60)::text, 2, '0')) end);
            end if;
            prev_start := r.s;
            prev_end := r.e;
        end loop;
    end loop;
    return new;
end
$$;

drop trigger if exists expert_availability_check on public.expert_availability;
create trigger expert_availability_check
    before insert or update on public.expert_availability
    for each row execute function public.expert_availability_check();

-- Only the trigger runs it (a trigger needs no EXECUTE right of whoever writes the row).
revoke all on function public.expert_availability_check() from public, anon, authenticated;
