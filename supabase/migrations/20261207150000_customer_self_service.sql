-- CallExpert Console: customer self-service from the booking emails (docs/self-service.md).
--
-- One unguessable token per booking for the customer's Reschedule (/r/<token>) and Cancel
-- (/c/<token>) pages on the public endpoint, the key the pages' forms are signed with, how often
-- the customer moved the booking, the change being made now (one per booking revision, so two
-- tabs or a double submit make one change), the customer's last change (the Ops page lists them)
-- and the refund owed when they cancelled a paid booking. Only the service role reads or writes
-- it: a token changes a booking.
create table if not exists public.self_service (
    booking_id        uuid primary key references public.bookings(id) on delete cascade,
    token             text not null unique check (length(token) >= 43),
    form_key          text not null check (length(form_key) >= 43),
    reschedules       integer not null default 0 check (reschedules >= 0),
    claimed_revision  integer,
    claimed_at        timestamptz,
    claim_done        boolean not null default false,
    last_change       text not null default '' check (last_change in ('', 'rescheduled', 'cancelled')),
    last_change_at    timestamptz,
    refund            text not null default '' check (refund in ('', 'due', 'started')),
    refund_amount     integer not null default 0 check (refund_amount >= 0),
    refund_ref        text not null default '' check (length(refund_ref) <= 200),
    refund_at         timestamptz,
    created_at        timestamptz not null default now()
);
create index if not exists self_service_changes on public.self_service (last_change_at);
create index if not exists self_service_refund on public.self_service (refund) where refund <> '';

alter table public.self_service enable row level security;
revoke all on public.self_service from anon, authenticated;
grant select, insert, update on public.self_service to service_role;

-- Store the booking's token and form key unless it has them, and return its row (one request):
-- an existing row wins, so every email carries the same links.
create or replace function public.self_service_issue(p_booking_id uuid, p_token text, p_form_key text,
                                                      p_at timestamptz)
returns setof public.self_service
language sql
security invoker
set search_path = ''
as $$
    insert into public.self_service (booking_id, token, form_key, created_at)
    values (p_booking_id, p_token, p_form_key, p_at)
    on conflict (booking_id) do nothing;
    select * from public.self_service where booking_id = p_booking_id;
$$;

-- Let one change of revision p_revision go ahead: 'busy' when a change of that (or a later)
-- revision is done or still fresh, 'limit' when p_limit (a move; null for a cancellation) moves
-- were made already, else 'claimed' (and a move counted). The row lock serialises racing requests.
create or replace function public.self_service_claim(p_booking_id uuid, p_revision integer, p_at timestamptz,
                                                      p_stale_before timestamptz, p_limit integer)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
    r public.self_service%rowtype;
begin
    select * into r from public.self_service where booking_id = p_booking_id for update;
    if not found then
        return 'busy';
    end if;
    if r.claimed_revision is not null and (r.claimed_revision > p_revision or (r.claimed_revision = p_revision
            and (r.claim_done or coalesce(r.claimed_at, p_at) >= p_stale_before))) then
        return 'busy';
    end if;
    if p_limit is not null and r.reschedules >= p_limit then
        return 'limit';
    end if;
    update public.self_service
       set claimed_revision = p_revision, claimed_at = p_at, claim_done = false,
           reschedules = reschedules + (case when p_limit is null then 0 else 1 end)
     where booking_id = p_booking_id;
    return 'claimed';
end;
$$;

-- Give back an unfinished claim (the change was refused), and the move it counted.
create or replace function public.self_service_release(p_booking_id uuid, p_revision integer, p_rescheduled boolean)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.self_service
       set claimed_revision = null, claimed_at = null,
           reschedules = greatest(reschedules - (case when p_rescheduled then 1 else 0 end), 0)
     where booking_id = p_booking_id and claimed_revision = p_revision and not claim_done;
$$;

-- Mark the claim done with the customer's change; an amount above 0 is a refund due.
create or replace function public.self_service_finish(p_booking_id uuid, p_revision integer, p_change text,
                                                       p_at timestamptz, p_refund_amount integer)
returns void
language sql
security invoker
set search_path = ''
as $$
    update public.self_service
       set claim_done = true, last_change = p_change, last_change_at = p_at,
           refund = case when p_refund_amount > 0 then 'due' else refund end,
           refund_amount = case when p_refund_amount > 0 then p_refund_amount else refund_amount end,
           refund_at = case when p_refund_amount > 0 then p_at else refund_at end
     where booking_id = p_booking_id and claimed_revision = p_revision;
$$;

revoke execute on function public.self_service_issue(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.self_service_issue(uuid, text, text, timestamptz) to service_role;
revoke execute on function public.self_service_claim(uuid, integer, timestamptz, timestamptz, integer)
    from public, anon, authenticated;
grant execute on function public.self_service_claim(uuid, integer, timestamptz, timestamptz, integer) to service_role;
revoke execute on function public.self_service_release(uuid, integer, boolean) from public, anon, authenticated;
grant execute on function public.self_service_release(uuid, integer, boolean) to service_role;
revoke execute on function public.self_service_finish(uuid, integer, text, timestamptz, integer)
    from public, anon, authenticated;
grant execute on function public.self_service_finish(uuid, integer, text, timestamptz, integer) to service_role;

notify pgrst, 'reload schema';
