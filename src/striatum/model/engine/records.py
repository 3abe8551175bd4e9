"""The closed sets a run's records carry: attempt states, lease outcomes, verdict values,
blocker kinds, states and reasons. The store turns their columns into these on the way up."""

from __future__ import annotations

import enum


class AttemptState(enum.StrEnum):
    RUNNING = "running"  # claimed and not finished: a lease holds it (or held it until now)
    SUCCEEDED = "succeeded"  # completed by its holder
    FAILED = "failed"  # its holder reported failure
    CANCELLED = "cancelled"  # released, blocked, or stopped by a cancel, revision or run end
    EXPIRED = "expired"  # its holder stopped heartbeating and the sweep took the lease back
    PARKED = "parked"  # stopped by a rate or usage limit: the job waits, no attempt is spent


class LeaseOutcome(enum.StrEnum):
    COMPLETED = "completed"  # the holder completed the job
    FAILED = "failed"  # the holder reported failure
    RELEASED = "released"  # the holder gave the job back (release, or block for the human)
    EXPIRED = "expired"  # the holder went silent; the sweep ended the lease
    PARKED = "parked"  # the holder hit a rate or usage limit (`park`)
    CANCELLED = "cancelled"  # ended from outside: job or run cancelled, revision, run end


class VerdictValue(enum.StrEnum):
    ACCEPT = "accept"  # the reviewed work stands
    NEEDS_REVISION = "needs_revision"  # the reviewed job runs again with the findings
    REJECT = "reject"  # the reviewed work is refused: the gate fails


class BlockerKind(enum.StrEnum):
    ESCALATION = "escalation"  # something went wrong and the human decides what next
    CHECKPOINT = "checkpoint"  # the workflow asks the human to choose a path
    BUDGET = "budget"  # the run spent its budget: the human raises it (`run budget`) or not


class BlockerState(enum.StrEnum):
    OPEN = "open"  # waits for the human
    RESOLVED = "resolved"  # decided (or closed because its job or run ended)


class BlockerReason(enum.StrEnum):
    BLOCKED = "blocked"  # an agent stopped and asked the human (the `block` verb)
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  # a job failed every attempt its lane allows
    CANNOT_START = "cannot_start"  # an agent could not even start: retrying would not help
    PARKED_TOO_OFTEN = "parked_too_often"  # a limit that never lifts, or an agent parking forever
    REVISION_BOUND = "revision_bound"  # a review still asks for revisions past its bound
    CHECKPOINT = "checkpoint"  # a workflow checkpoint (its blocker kind is checkpoint)
    BUDGET = "budget"  # the run spent its budget (its blocker kind is budget)
