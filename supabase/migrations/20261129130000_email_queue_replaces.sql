-- Which queued emails a new email makes pointless is the booking service's decision, not the
-- database's: each email in p_emails may carry "replaces", a JSON array of kinds. Queued rows of
-- those kinds for the same booking are dropped in the same statement that queues it (so inside
-- the transition's transaction), unless a dispatcher holds them (their lease), since they may be
-- on the wire already. Before this, the function itself knew that customer emails replace
-- 'link_pending.customer'.
create or replace function public.email_queue(p_emails jsonb, p_at timestamptz, p_not_before timestamptz default null)
returns void
language sql
security invoker
set search_path = ''
as $$
    delete from public.email_outbox o
     using jsonb_array_elements(coalesce(p_emails, '[]'::jsonb)) e
     where o.booking_id = (e ->> 'booking_id')::uuid
       and o.kind in (select jsonb_array_elements_text(coalesce(e -> 'replaces', '[]'::jsonb)))
       and o.status = 'queued'
       and (o.lease_until is null or o.lease_until < p_at);
    insert into public.email_outbox (booking_id, kind, version, recipient, subject, body_text, body_html, ics,
                                     not_before, created_at)
    select e.booking_id, e.kind, e.version, e.recipient, e.subject, e.body_text, e.body_html, e.ics,
           p_not_before, p_at
      from jsonb_to_recordset(coalesce(p_emails, '[]'::jsonb)) as e(
           booking_id uuid, kind text, version integer, recipient text, subject text,
           body_text text, body_html text, ics text)
    on conflict (booking_id, kind, version) do nothing;
$$;
