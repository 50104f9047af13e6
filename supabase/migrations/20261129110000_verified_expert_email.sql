-- CallExpert Console: an expert is matched only on a verified email address.
--
-- The policies of 20261125090100 matched an expert on the `email` claim of the JWT alone, so
-- anyone who signed up with an expert's address, without ever confirming it, read that expert's
-- bookings and the names of their customers.
--
-- What Supabase Auth puts in its JWTs: `email` (auth.users.email) but no `email_verified`
-- claim. `user_metadata` may carry an `email_verified` key, but user_metadata is written by the
-- user themself (supabase.auth.updateUser), so it proves nothing and is never read here.
-- The address is verified when:
--   * the JWT has a top-level `email_verified` claim (a token from a third-party auth provider,
--     or one a custom access token hook enriched) and it is true; when present it decides, and
--     false refuses; or, when the claim is absent,
--   * the user's auth.users row has that same address confirmed (`email_confirmed_at` set):
--     Supabase Auth's own record of a confirmed address. The function reads auth.users as its
--     owner (security definer), since the `authenticated` role may not.

create or replace function public.jwt_verified_email() returns text
    language sql stable security definer
    set search_path = ''
as $$
    select case
        when claims ->> 'email_verified' is not null then
            case when claims ->> 'email_verified' = 'true' then nullif(lower(claims ->> 'email'), '') end
        else (
            select lower(u.email) from auth.users u
            where u.id = auth.uid()
              and u.email_confirmed_at is not null
              and lower(u.email) = lower(claims ->> 'email')
        )
    end
    from (select auth.jwt() as claims) as j
$$;

comment on function public.jwt_verified_email() is
    'The signed-in user''s email, lower-cased, when it is verified (see 20261129110000); null otherwise.';

revoke all on function public.jwt_verified_email() from public, anon;
grant execute on function public.jwt_verified_email() to authenticated, service_role;

drop policy if exists bookings_expert_read on public.bookings;
create policy bookings_expert_read on public.bookings
    for select to authenticated
    using (expert_id in (
        select e.id from public.experts e
        where lower(e.email) = (select public.jwt_verified_email())
    ));

drop policy if exists users_expert_reads_customers on public.users;
create policy users_expert_reads_customers on public.users
    for select to authenticated
    using (exists (
        select 1 from public.bookings b
        join public.experts e on e.id = b.expert_id
        where b.user_id = users.id
          and lower(e.email) = (select public.jwt_verified_email())
    ));
