-- The scheduler's run records (ADR 023): one row per job and scheduled instant, written
-- by the worker that ran it. The job queue itself is procrastinate's own schema, applied
-- by gateway/db.py after these files.
CREATE TABLE gateway.scheduled_job_runs (
    job        text NOT NULL,
    due_at     timestamptz NOT NULL,          -- the scheduled instant (platform clock)
    ran_at     timestamptz NOT NULL,          -- the platform clock when it ran
    outcome    text NOT NULL,
    succeeded  boolean NOT NULL,
    -- Times the job's work ran for this instant: 1 unless a run failed and was retried.
    executions integer NOT NULL DEFAULT 1 CHECK (executions >= 1),
    worker     text NOT NULL DEFAULT '',
    PRIMARY KEY (job, due_at)
);
