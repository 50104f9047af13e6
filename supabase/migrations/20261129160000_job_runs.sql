-- CallExpert Console: runs of the background worker's jobs (`python -m lib worker`).
--
-- Every worker, on any machine, records each run of each job here; the ops page shows each job's
-- latest run (when it ran, on which worker, how it ended). Only the service role reads or writes
-- it: it names hosts and says what failed, which is for the people who run the console.
create table if not exists public.job_runs (
    id           bigint generated always as identity primary key,
    job          text not null,
    worker       text not null,                 -- host:pid
    started_at   timestamptz not null,
    finished_at  timestamptz not null,
    outcome      text not null check (outcome in ('ok', 'left work', 'failed')),
    message      text not null default '',
    counts       jsonb not null default '{}'::jsonb check (jsonb_typeof(counts) = 'object')
);
create index if not exists job_runs_job on public.job_runs (job, id);
create index if not exists job_runs_finished on public.job_runs (finished_at);

alter table public.job_runs enable row level security;
revoke all on public.job_runs from anon, authenticated;
grant select, insert, delete on public.job_runs to service_role;

-- Each job's latest run. security_invoker: whoever reads it needs the table's own rights.
create or replace view public.job_runs_latest with (security_invoker = true) as
    select distinct on (job) id, job, worker, started_at, finished_at, outcome, message, counts
      from public.job_runs
     order by job, id desc;
revoke all on public.job_runs_latest from anon, authenticated;
grant select on public.job_runs_latest to service_role;

-- Record one finished run and drop runs that finished more than `p_keep_days` days before it,
-- in one request.
create or replace function public.job_run_record(
    p_job text, p_worker text, p_started_at timestamptz, p_finished_at timestamptz, p_outcome text,
    p_message text, p_counts jsonb, p_keep_days integer)
returns void
language sql
security invoker
set search_path = ''
as $$
    insert into public.job_runs (job, worker, started_at, finished_at, outcome, message, counts)
    values (p_job, p_worker, p_started_at, p_finished_at, p_outcome, coalesce(p_message, ''),
            coalesce(p_counts, '{}'::jsonb));
    delete from public.job_runs where finished_at < p_finished_at - make_interval(days => p_keep_days);
$$;

revoke execute on function public.job_run_record(text, text, timestamptz, timestamptz, text, text, jsonb, integer)
    from public, anon, authenticated;
grant execute on function public.job_run_record(text, text, timestamptz, timestamptz, text, text, jsonb, integer)
    to service_role;

notify pgrst, 'reload schema';
