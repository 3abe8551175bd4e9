-- The current schema in one file: what all numbered migrations produce together.
-- Kept in step by tests/integration/test_migrations.py (catalog comparison). Assumes the
-- roles striatumd_owner and striatumd_runtime exist (see store/sql/bootstrap.sql).
-- Read this file to learn the schema; never apply it to a database that the daemon migrates.

CREATE SCHEMA IF NOT EXISTS striatumd AUTHORIZATION striatumd_owner;
CREATE TABLE IF NOT EXISTS striatumd.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE striatumd.schema_migrations OWNER TO striatumd_owner;

SET ROLE striatumd_owner;

CREATE FUNCTION striatumd.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'striatumd.% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- One row naming this database, so anchors kept outside it know which database they belong to.
CREATE TABLE striatumd.instance (
    instance_id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    singleton   boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO striatumd.instance DEFAULT VALUES;

CREATE TABLE striatumd.repositories (
    repo_id     text PRIMARY KEY,
    path        text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE striatumd.workflow_snapshots (
    snapshot_id text PRIMARY KEY,
    repo_id     text NOT NULL REFERENCES striatumd.repositories,
    workflow_id text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (repo_id, sha256)
);

CREATE TABLE striatumd.runs (
    run_id      text PRIMARY KEY,
    repo_id     text NOT NULL REFERENCES striatumd.repositories,
    snapshot_id text NOT NULL REFERENCES striatumd.workflow_snapshots,
    state       text NOT NULL DEFAULT 'prepared' CHECK (state IN
                ('prepared', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at  timestamptz,
    ended_at    timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX runs_repo_idx ON striatumd.runs (repo_id, created_at);

CREATE TABLE striatumd.jobs (
    run_id       text NOT NULL REFERENCES striatumd.runs,
    job_id       text NOT NULL,
    kind         text NOT NULL CHECK (kind IN
                 ('task', 'review', 'synthesis', 'checkpoint', 'ledger', 'audit')),
    lane         text,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN
                 ('pending', 'ready', 'leased', 'waiting', 'succeeded', 'failed', 'cancelled')),
    attempt      integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    revisions    integer NOT NULL DEFAULT 0 CHECK (revisions >= 0),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, job_id)
);
CREATE INDEX jobs_ready_idx ON striatumd.jobs (lane, run_id) WHERE state = 'ready';

CREATE TABLE striatumd.job_attempts (
    run_id     text NOT NULL,
    job_id     text NOT NULL,
    attempt    integer NOT NULL CHECK (attempt >= 1),
    state      text NOT NULL DEFAULT 'running' CHECK (state IN
               ('running', 'succeeded', 'failed', 'cancelled', 'expired', 'parked')),
    reason     text,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ended_at   timestamptz,
    PRIMARY KEY (run_id, job_id, attempt),
    FOREIGN KEY (run_id, job_id) REFERENCES striatumd.jobs
);

CREATE TABLE striatumd.tokens (
    token_id      text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('principal', 'operator', 'lane', 'reader')),
    label         text NOT NULL DEFAULT '',
    secret_sha256 text NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE striatumd.sessions (
    session_id text PRIMARY KEY,
    repo_id    text REFERENCES striatumd.repositories,
    role       text NOT NULL,
    lane       text,
    token_id   text REFERENCES striatumd.tokens,
    opened_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    closed_at  timestamptz
);

CREATE TABLE striatumd.leases (
    lease_id     text PRIMARY KEY,
    run_id       text NOT NULL,
    job_id       text NOT NULL,
    attempt      integer NOT NULL,
    session_id   text REFERENCES striatumd.sessions,
    token_id     text REFERENCES striatumd.tokens,
    holder       text NOT NULL,
    acquired_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    outcome      text CHECK (outcome IN
                 ('completed', 'failed', 'released', 'expired', 'cancelled', 'parked')),
    FOREIGN KEY (run_id, job_id, attempt) REFERENCES striatumd.job_attempts,
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
-- One live lease per job: the database, not the daemon, forbids a double claim.
CREATE UNIQUE INDEX leases_one_live_per_job ON striatumd.leases (run_id, job_id)
    WHERE ended_at IS NULL;
CREATE INDEX leases_live_expiry_idx ON striatumd.leases (expires_at) WHERE ended_at IS NULL;

CREATE TABLE striatumd.artifacts (
    artifact_id text PRIMARY KEY,
    repo_id     text NOT NULL REFERENCES striatumd.repositories,
    run_id      text REFERENCES striatumd.runs,
    job_id      text,
    attempt     integer,
    path        text NOT NULL,
    kind        text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX artifacts_job_idx ON striatumd.artifacts (run_id, job_id, attempt);

CREATE TABLE striatumd.verdicts (
    verdict_id    text PRIMARY KEY,
    run_id        text NOT NULL REFERENCES striatumd.runs,
    review_job_id text NOT NULL,
    target_job_id text NOT NULL,
    attempt       integer NOT NULL,
    value         text NOT NULL CHECK (value IN ('accept', 'needs_revision', 'reject')),
    findings_artifact_id text REFERENCES striatumd.artifacts,
    actor         text NOT NULL,
    overrides     text REFERENCES striatumd.verdicts,
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (run_id, review_job_id) REFERENCES striatumd.jobs,
    CHECK (overrides IS NULL OR reason IS NOT NULL)
);

CREATE TABLE striatumd.blockers (
    blocker_id  text PRIMARY KEY,
    run_id      text NOT NULL REFERENCES striatumd.runs,
    job_id      text,
    kind        text NOT NULL CHECK (kind IN ('escalation', 'checkpoint', 'budget')),
    reason      text NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    opened_by   text NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolution  text,
    resolved_by text,
    resolved_at timestamptz
);
CREATE INDEX blockers_open_idx ON striatumd.blockers (run_id) WHERE state = 'open';

-- Chain heads: 'repo:<repo_id>' for each repository's event chain, 'audit' for the audit log.
-- Appenders lock the head row FOR UPDATE first, so a chain cannot fork.
CREATE TABLE striatumd.chain_heads (
    chain      text PRIMARY KEY,
    seq        bigint NOT NULL CHECK (seq >= 0),
    row_hash   text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE striatumd.events (
    repo_id       text NOT NULL REFERENCES striatumd.repositories,
    seq           bigint NOT NULL CHECK (seq >= 1),
    type          text NOT NULL,
    run_id        text,
    job_id        text,
    actor         text NOT NULL,
    payload       jsonb NOT NULL,
    at            timestamptz NOT NULL,
    previous_hash text NOT NULL CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
    row_hash      text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),
    canonical     bytea NOT NULL,
    PRIMARY KEY (repo_id, seq)
);
CREATE INDEX events_run_idx ON striatumd.events (run_id, seq) WHERE run_id IS NOT NULL;

CREATE TABLE striatumd.audit_log (
    seq           bigint PRIMARY KEY CHECK (seq >= 1),
    at            timestamptz NOT NULL,
    request_id    text NOT NULL,
    method        text NOT NULL,
    actor         text NOT NULL,
    role          text NOT NULL,
    ok            boolean NOT NULL,
    error_code    text,
    params        jsonb NOT NULL,
    previous_hash text NOT NULL CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
    row_hash      text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),
    canonical     bytea NOT NULL
);

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON striatumd.events
    FOR EACH ROW EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON striatumd.events
    FOR EACH STATEMENT EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER artifacts_append_only BEFORE UPDATE OR DELETE ON striatumd.artifacts
    FOR EACH ROW EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER artifacts_no_truncate BEFORE TRUNCATE ON striatumd.artifacts
    FOR EACH STATEMENT EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON striatumd.audit_log
    FOR EACH ROW EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON striatumd.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION striatumd.refuse_change();

GRANT USAGE ON SCHEMA striatumd TO striatumd_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    striatumd.repositories, striatumd.workflow_snapshots, striatumd.runs, striatumd.jobs,
    striatumd.job_attempts, striatumd.tokens, striatumd.sessions, striatumd.leases,
    striatumd.verdicts, striatumd.blockers
    TO striatumd_runtime;
GRANT SELECT, INSERT, UPDATE ON striatumd.chain_heads TO striatumd_runtime;
-- Append-only: the runtime role may read and add, never change or remove.
GRANT SELECT, INSERT ON striatumd.events, striatumd.artifacts, striatumd.audit_log
    TO striatumd_runtime;
GRANT SELECT ON striatumd.schema_migrations, striatumd.instance TO striatumd_runtime;

-- From 0002_run_engine.sql
ALTER TABLE striatumd.repositories ADD COLUMN notify_command text;

ALTER TABLE striatumd.runs ADD COLUMN workflow_path text;
ALTER TABLE striatumd.runs ADD COLUMN ended_reason text;

ALTER TABLE striatumd.jobs ADD COLUMN depends_on text[] NOT NULL DEFAULT '{}';
ALTER TABLE striatumd.jobs ADD COLUMN position integer NOT NULL DEFAULT 0;
ALTER TABLE striatumd.jobs ADD COLUMN revision_verdicts text[] NOT NULL DEFAULT '{}';
ALTER TABLE striatumd.jobs ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;

ALTER TABLE striatumd.job_attempts ADD COLUMN revision_verdict_id text;

ALTER TABLE striatumd.leases ADD COLUMN lane text;

ALTER TABLE striatumd.artifacts ADD COLUMN published_by text NOT NULL DEFAULT '';
ALTER TABLE striatumd.artifacts ADD COLUMN lease_id text;

ALTER TABLE striatumd.verdicts ADD COLUMN reviewer text;
ALTER TABLE striatumd.verdicts ADD COLUMN reviewer_lane text;
ALTER TABLE striatumd.verdicts ADD COLUMN reviewer_provider text;
ALTER TABLE striatumd.verdicts ADD COLUMN reviewer_model text;
ALTER TABLE striatumd.verdicts ADD COLUMN author_lane text;
ALTER TABLE striatumd.verdicts ADD COLUMN author_provider text;
ALTER TABLE striatumd.verdicts ADD COLUMN author_model text;
ALTER TABLE striatumd.verdicts ADD COLUMN cross_provider boolean;
ALTER TABLE striatumd.verdicts ADD COLUMN applied boolean NOT NULL DEFAULT false;

ALTER TABLE striatumd.blockers ADD COLUMN reason_kind text NOT NULL DEFAULT 'blocked';
ALTER TABLE striatumd.blockers ADD COLUMN outcome text;

-- A lane token acts only on its lease's job, and only while the lease lives.
ALTER TABLE striatumd.tokens ADD COLUMN lease_id text REFERENCES striatumd.leases;

-- The chain position a record template leaves open, filled in (see model/chain.py template):
-- one definition for every chain's append.
CREATE FUNCTION striatumd.fill_record(template bytea, seq bigint, at text, previous_hash text)
RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT convert_to(replace(replace(replace(convert_from(template, 'UTF8'),
               chr(1) || 'seq' || chr(1), seq::text),
               chr(1) || 'at' || chr(1), '"' || at || '"'),
               chr(1) || 'previous_hash' || chr(1), '"' || previous_hash || '"'), 'UTF8')
$$;

CREATE INDEX events_job_idx ON striatumd.events (run_id, job_id, seq) WHERE job_id IS NOT NULL;
CREATE INDEX leases_session_idx ON striatumd.leases (session_id) WHERE ended_at IS NULL;

-- 0003: live views (LISTEN striatum_events). 0013: the payload names the chain and the run,
-- not the row, so a transaction's equal notifications are sent once.
CREATE FUNCTION striatumd.notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('striatum_events', json_build_object(
        'chain', 'repo:' || NEW.repo_id, 'run_id', NEW.run_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON striatumd.events
    FOR EACH ROW EXECUTE FUNCTION striatumd.notify_event();

-- 0004: lane results and the human's notes.
ALTER TABLE striatumd.job_attempts ADD COLUMN commit_sha text;
ALTER TABLE striatumd.blockers ADD COLUMN note text;

-- 0005: who actually did the work (a session's declared provider, else the lane's).
ALTER TABLE striatumd.sessions ADD COLUMN provider text
    CHECK (provider IN ('claude_code', 'codex', 'gemini', 'command', 'human'));
ALTER TABLE striatumd.sessions ADD COLUMN model text;

ALTER TABLE striatumd.job_attempts ADD COLUMN provider text;
ALTER TABLE striatumd.job_attempts ADD COLUMN model text;
ALTER TABLE striatumd.job_attempts ADD COLUMN provider_source text
    CHECK (provider_source IN ('session', 'lane'));

-- 0006: chain records v2 (the writing host; null on v1 rows).
ALTER TABLE striatumd.events ADD COLUMN host text;
ALTER TABLE striatumd.audit_log ADD COLUMN host text;

-- 0007: who supervises a run (the resumable ones: supervised; the process by pid + identity).
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

-- 0008: what remains of a run, what failed, and its first ready job, without reading its jobs.
CREATE INDEX jobs_unfinished_idx ON striatumd.jobs (run_id)
    WHERE state NOT IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX jobs_failed_idx ON striatumd.jobs (run_id) WHERE state = 'failed';
CREATE INDEX jobs_ready_in_run_idx ON striatumd.jobs (run_id, position) WHERE state = 'ready';
CREATE INDEX jobs_moving_in_run_idx ON striatumd.jobs (run_id, position)
    WHERE state IN ('ready', 'leased');
CREATE INDEX tokens_live_lease_idx ON striatumd.tokens (lease_id)
    WHERE lease_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX blockers_noted_idx ON striatumd.blockers (run_id)
    WHERE state = 'resolved' AND coalesce(note, '') <> '';


-- 0009: a removed repository (`repo remove`) keeps its rows; the mark hides it.
ALTER TABLE striatumd.repositories ADD COLUMN removed_at timestamptz;

-- 0011: what each attempt used (docs/SPEC.md §9, usage). One row per report (the supervisor's
-- reading of the agent's CLI output, or `report-usage`), append-only like the `attempt.usage`
-- event that records the same report in the chain (`event_seq`); status sums the rows per
-- job, lane and provider. A figure not reported is NULL, never 0.
CREATE TABLE striatumd.attempt_usage (
    run_id        text NOT NULL,
    job_id        text NOT NULL,
    attempt       integer NOT NULL,
    event_seq     bigint NOT NULL,
    input_tokens  bigint CHECK (input_tokens >= 0),
    cached_tokens bigint CHECK (cached_tokens >= 0),
    output_tokens bigint CHECK (output_tokens >= 0),
    cost_usd      numeric(16, 6) CHECK (cost_usd >= 0),
    cost_source   text CHECK (cost_source IN ('reported', 'estimated')),
    model         text,
    reported_by   text NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, job_id, attempt, event_seq),
    FOREIGN KEY (run_id, job_id, attempt) REFERENCES striatumd.job_attempts,
    CHECK ((cost_usd IS NULL) = (cost_source IS NULL))
);

CREATE TRIGGER attempt_usage_append_only BEFORE UPDATE OR DELETE ON striatumd.attempt_usage
    FOR EACH ROW EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER attempt_usage_no_truncate BEFORE TRUNCATE ON striatumd.attempt_usage
    FOR EACH STATEMENT EXECUTE FUNCTION striatumd.refuse_change();

GRANT SELECT, INSERT ON striatumd.attempt_usage TO striatumd_runtime;

-- A job parked by a rate or usage limit (`park`) is ready again only from `ready_after`: claims
-- skip it until then. Every other move of the job clears it. The parked attempt ends as
-- `parked` (its lease's outcome too) and does not count against the job's max_attempts.
ALTER TABLE striatumd.jobs ADD COLUMN ready_after timestamptz;
-- (job_attempts.state and leases.outcome allow 'parked': in their CREATE TABLE above.)

-- Budgets (docs/SPEC.md §9, budgets): a run's, from its workflow or `run prepare`, and what
-- its attempts reported so far (kept beside the budget so that the report that crosses it
-- pauses the run in the same statement's answer, without summing the run's reports).
ALTER TABLE striatumd.runs ADD COLUMN budget_usd numeric(16, 6) CHECK (budget_usd > 0);
ALTER TABLE striatumd.runs ADD COLUMN budget_tokens bigint CHECK (budget_tokens > 0);
ALTER TABLE striatumd.runs ADD COLUMN spent_usd numeric(16, 6) NOT NULL DEFAULT 0;
ALTER TABLE striatumd.runs ADD COLUMN spent_tokens bigint NOT NULL DEFAULT 0;
-- (blockers.kind allows 'budget': in its CREATE TABLE above.)

-- Hard budgets stop the attempts already running too; lanes' budgets within a run.
ALTER TABLE striatumd.runs ADD COLUMN budget_hard boolean NOT NULL DEFAULT false;

-- A lane's budget within one run (from the workflow's lane, or `run budget --lane`), and what
-- the run's attempts on that lane reported so far: the usage report of a job on the lane
-- adds to it in the same statement that adds to the run's spend.
CREATE TABLE striatumd.lane_budgets (
    run_id        text NOT NULL REFERENCES striatumd.runs,
    lane          text NOT NULL,
    budget_usd    numeric(16, 6) CHECK (budget_usd > 0),
    budget_tokens bigint CHECK (budget_tokens > 0),
    hard          boolean NOT NULL DEFAULT false,
    spent_usd     numeric(16, 6) NOT NULL DEFAULT 0,
    spent_tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, lane)
);

GRANT SELECT, INSERT, UPDATE ON striatumd.lane_budgets TO striatumd_runtime;

-- 0013: the server-side event append, so that a statement changing rows records their events
-- in the same trip (each event's job moved when asked; a chain's head made on its first
-- append; the caller's rights).
CREATE FUNCTION striatumd.append_events(
    chain text, repo_id text, run_id text, actor text, host text,
    templates bytea[], types text[], job_ids text[], payloads jsonb[],
    move_states text[], move_attempts integer[], move_ready_afters timestamptz[]
) RETURNS TABLE (seq bigint, row_hash text, at text) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    n integer;
    prior text;  -- the head's hash: the new row's previous_hash
    sealed bytea;  -- the filled record: the new row's canonical
BEGIN
    -- Every parameter and output is written as append_events.<name>: a bare name is a column.
    FOR n IN 1 .. coalesce(array_length(append_events.templates, 1), 0) LOOP
        -- A job's move (a claim numbers its new attempt; a success forgets the job's
        -- addressed verdicts and past failures; a park sets when the job may be claimed
        -- again, any other move clears it).
        IF append_events.move_states[n] IS NOT NULL THEN
            UPDATE striatumd.jobs
            SET state = append_events.move_states[n], updated_at = clock_timestamp(),
                attempt = coalesce(append_events.move_attempts[n], attempt),
                failed_attempts = CASE WHEN append_events.move_states[n] = 'succeeded' THEN 0
                                       ELSE failed_attempts END,
                revision_verdicts = CASE WHEN append_events.move_states[n] = 'succeeded'
                                         THEN '{}' ELSE revision_verdicts END,
                ready_after = append_events.move_ready_afters[n]
            WHERE run_id = append_events.run_id AND job_id = append_events.job_ids[n];
        END IF;
        SELECT h.seq + 1, h.row_hash INTO append_events.seq, prior
        FROM striatumd.chain_heads h WHERE h.chain = append_events.chain FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO striatumd.chain_heads (chain, seq, row_hash)
            VALUES (append_events.chain, 0, repeat('0', 64)) ON CONFLICT (chain) DO NOTHING;
            SELECT h.seq + 1, h.row_hash INTO append_events.seq, prior
            FROM striatumd.chain_heads h WHERE h.chain = append_events.chain FOR UPDATE;
        END IF;
        append_events.at := to_char(clock_timestamp() AT TIME ZONE 'UTC',
                                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
        sealed := striatumd.fill_record(
            append_events.templates[n], append_events.seq, append_events.at, prior);
        append_events.row_hash := encode(sha256(sealed), 'hex');
        INSERT INTO striatumd.events
            (repo_id, seq, type, run_id, job_id, actor, host, payload, at, previous_hash,
             row_hash, canonical)
        VALUES (append_events.repo_id, append_events.seq, append_events.types[n],
                append_events.run_id, append_events.job_ids[n], append_events.actor,
                append_events.host, append_events.payloads[n], append_events.at::timestamptz,
                prior, append_events.row_hash, sealed);
        UPDATE striatumd.chain_heads
        SET seq = append_events.seq, row_hash = append_events.row_hash,
            updated_at = clock_timestamp()
        WHERE chain = append_events.chain;
        RETURN NEXT;
    END LOOP;
END
$$;

-- 0014: one repository, many checkouts (docs/MULTI_HOST.md). A repository's identity is its
-- repo_id, the same for every clone that joined it (`adopt --join`); where it lives on disk is
-- a property of a checkout, one per host. `repositories.path` stays as the path it was first
-- adopted at (shown where no checkout of this host is known); it is no longer unique: two
-- hosts may each have an unrelated repository at one path. `root_commit` is the first commit
-- of the adopting clone (the least root commit of HEAD), what `adopt --join auto` matches.
CREATE TABLE striatumd.checkouts (
    repo_id    text NOT NULL REFERENCES striatumd.repositories,
    host       text NOT NULL CHECK (host <> ''),
    path       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (host, path),
    UNIQUE (repo_id, host)
);

ALTER TABLE striatumd.repositories DROP CONSTRAINT repositories_path_key;
ALTER TABLE striatumd.repositories ADD COLUMN root_commit text
    CHECK (root_commit ~ '^[0-9a-f]{40,64}$');
CREATE INDEX repositories_by_root_commit ON striatumd.repositories (root_commit)
    WHERE root_commit IS NOT NULL;

GRANT SELECT, INSERT, DELETE ON striatumd.checkouts TO striatumd_runtime;

-- 0015: which host holds each lease (docs/MULTI_HOST.md): the host of the daemon that granted
-- it (a claim) or last handed it over (a transfer), so `status` can say where each job runs
-- when several hosts share the database. Null on leases granted before this migration.
ALTER TABLE striatumd.leases ADD COLUMN host text;

RESET ROLE;
