-- 0002: what the run engine records beyond 0001: job graph columns, provenance of artifacts
-- and verdicts, lane tokens bound to a lease, per-repository notification hooks.

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
