-- CallExpert Console: an expert changes the calendar their busy time is read from.
--
-- experts.calendar_id (20261129150000) is the Google calendar whose free/busy blocks an expert's
-- slots; null means the expert's email. The console changes it with the service role, ops for
-- anyone and an expert for themselves (the console checks who). Through the platform's own
-- clients an expert may change that one column of their own row, matched on their verified email
-- (public.jwt_verified_email, 20261129110000), as they may write their own expert_availability
-- row; no other column, and no other expert's row.
--
-- Supabase grants table-wide UPDATE to authenticated by default, which with the policy below
-- would let an expert change their own email or rate: that grant is taken back and only the
-- column is granted.

alter table public.experts drop constraint if exists experts_calendar_id_shape_check;
alter table public.experts add constraint experts_calendar_id_shape_check
    check (calendar_id is null or (char_length(calendar_id) <= 254 and calendar_id !~ '[[:space:]]'));

drop policy if exists experts_expert_update_calendar on public.experts;
create policy experts_expert_update_calendar on public.experts
    for update to authenticated
    using (lower(email) = (select public.jwt_verified_email()))
    with check (lower(email) = (select public.jwt_verified_email()));

revoke update on public.experts from anon, authenticated;
grant update (calendar_id) on public.experts to authenticated;
grant update on public.experts to service_role;
