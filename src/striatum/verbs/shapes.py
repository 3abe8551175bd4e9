"""The wire shapes of the rows the views show: which columns, in which order.

A store row carries every column of its table; each view names the ones it has always shown,
so that its JSON stays the same (the views' tests pin it)."""

from __future__ import annotations

# run status: the live leases of a run
LEASE_LIVE = (
    "lease_id",
    "job_id",
    "attempt",
    "session_id",
    "expires_at",
    "heartbeat_age_s",
    "host",
)
# job show: every lease of the job, newest first
LEASE_LISTED = (
    "lease_id",
    "job_id",
    "attempt",
    "session_id",
    "holder",
    "lane",
    "host",
    "acquired_at",
    "heartbeat_at",
    "expires_at",
    "ended_at",
    "outcome",
    "heartbeat_age_s",
)
# recovery list: leases past their expiry
LEASE_EXPIRED = ("lease_id", "run_id", "job_id", "attempt")
# status, inbox, job show, recovery list: open blockers, oldest first
BLOCKER_OPEN = (
    "blocker_id",
    "run_id",
    "job_id",
    "kind",
    "reason_kind",
    "reason",
    "opened_by",
    "opened_at",
)
# escalation list: open (or all) escalations, newest first
BLOCKER_LISTED = (
    "blocker_id",
    "run_id",
    "job_id",
    "kind",
    "reason_kind",
    "reason",
    "state",
    "opened_by",
    "opened_at",
    "resolution",
    "resolved_by",
    "resolved_at",
    "outcome",
)
# escalation show: one blocker
BLOCKER_SHOWN = (
    "blocker_id",
    "run_id",
    "job_id",
    "kind",
    "reason",
    "state",
    "opened_by",
    "opened_at",
    "resolution",
    "resolved_by",
    "resolved_at",
    "reason_kind",
    "outcome",
)
# list artifacts, job show: a run's artifacts, oldest first
ARTIFACT_LISTED = (
    "artifact_id",
    "job_id",
    "attempt",
    "path",
    "kind",
    "sha256",
    "size_bytes",
    "published_by",
    "created_at",
)
# list verdicts, job show: a run's verdicts, oldest first
VERDICT_LISTED = (
    "verdict_id",
    "review_job_id",
    "target_job_id",
    "attempt",
    "value",
    "findings_artifact_id",
    "actor",
    "overrides",
    "reason",
    "reviewer_lane",
    "reviewer_provider",
    "reviewer_model",
    "author_lane",
    "author_provider",
    "author_model",
    "cross_provider",
    "applied",
    "created_at",
)
# job show: the job's attempts, newest first
ATTEMPT_LISTED = (
    "attempt",
    "state",
    "reason",
    "provider",
    "model",
    "provider_source",
    "started_at",
    "ended_at",
    "duration_s",
    "commit_sha",  # the commit the attempt made on the run's branch (the web's code page)
)
