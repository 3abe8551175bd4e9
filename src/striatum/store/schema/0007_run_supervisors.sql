-- 0007: who supervises a run, so that a run whose supervisor died is resumed (docs/SPEC.md
-- §10). One row per run that `run start` started or a supervisor registered for: whether the
-- run is supervised at all (never resumed by itself when not: `--no-supervise`), the host
-- whose daemon may resume it, and the supervisor now registered: its pid and that process's
-- identity (the boot id and its start time: a reused pid or a reboot reads as gone).
-- `generation` grows with every change: a resumer's update names the generation it saw, so
-- two resumers cannot both win. `streak` counts the automatic resumes since a supervisor last
-- held the run for a while: a supervisor that dies at once every time is not relaunched for
-- ever.

CREATE TABLE striatumd.run_supervisors (
    run_id      text PRIMARY KEY REFERENCES striatumd.runs,
    supervised  boolean NOT NULL,
    host        text NOT NULL,
    state       text NOT NULL CHECK (state IN ('launching', 'supervising', 'left')),
    pid         integer CHECK (pid > 0),
    identity    text,
    session_id  text REFERENCES striatumd.sessions,
    generation  integer NOT NULL DEFAULT 1,
    resumes     integer NOT NULL DEFAULT 0 CHECK (resumes >= 0),
    -- automatic resumes since a supervisor last held the run for a while: bounds a crash loop
    streak      integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
    registered_at timestamptz,
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((state = 'supervising') = (pid IS NOT NULL))
);
CREATE INDEX run_supervisors_host_idx ON striatumd.run_supervisors (host) WHERE supervised;

GRANT SELECT, INSERT, UPDATE ON striatumd.run_supervisors TO striatumd_runtime;
