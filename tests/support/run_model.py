"""An in-memory run, moved the way `striatum.engine` and the verbs move it, deciding only
through `plan`: no database, no daemon.

Every job move goes through `states.check_job` and every run move through `states.check_run`
(a refused move raises `errors.Conflict`), and every handler ends with `advance`, as the
engine's do. Actions are plain tuples, so a failing Hypothesis example prints readably.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from striatum.model.engine import plan, revival
from striatum.model.engine.plan import AttemptDecision, GateDecision
from striatum.model.engine.states import TERMINAL_JOB, JobState, RunState, check_job, check_run
from tests.support.run_views import SUPERSEDED, Shape, with_states

Action = tuple[str, ...]
# needs_revision first: revisions are where runs get interesting (and shrinking goes there)
VERDICTS = ("needs_revision", "accept", "reject")
# Escalation outcomes the human may pick, by the escalation's reason (as in
# verbs.human.decisions.OUTCOMES).
OUTCOMES = {
    "blocked": ("retry", "fail"),
    "attempts_exhausted": ("retry", "fail"),
    "cannot_start": ("retry", "fail"),
    "revision_bound": ("accept", "revise", "fail"),
}
ACTIVE = (RunState.RUNNING, RunState.PAUSED)


@dataclass
class ModelRun:
    shape: Shape
    state: RunState = RunState.PREPARED
    jobs: dict[str, JobState] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # since last success or reset
    revisions: dict[str, int] = field(default_factory=dict)  # per review job
    decided: dict[str, str] = field(default_factory=dict)
    escalations: dict[str, str] = field(default_factory=dict)  # job -> reason kind, open ones
    cancelled_by_caller: bool = False

    @classmethod
    def started(cls, shape: Shape) -> ModelRun:
        run = cls(shape=shape, jobs={j: JobState.PENDING for j in shape.jobs})
        run.set_run(RunState.RUNNING)
        run.advance()
        return run

    def view(self) -> plan.RunView:
        return plan.RunView(
            state=self.state,
            jobs={
                j: dataclasses.replace(job, state=self.jobs[j])
                for j, job in self.shape.jobs.items()
            },
            checkpoint_paths=self.shape.checkpoint_paths,
            decided=dict(self.decided),
            failed_with_open_blocker=frozenset(
                j for j in self.escalations if self.jobs[j] == JobState.FAILED
            ),
        )

    def move(self, job_id: str, wanted: JobState) -> None:
        check_job(job_id, self.jobs[job_id], wanted)
        self.jobs[job_id] = wanted
        if wanted == JobState.SUCCEEDED:
            self.failures[job_id] = 0

    def set_run(self, wanted: RunState) -> None:
        check_run(self.state, wanted)
        self.state = wanted

    def advance(self) -> None:
        """progress.advance: promote what can move, then end the run if nothing more can."""
        if self.state not in ACTIVE:
            return
        for job_id, wanted in plan.promotions(self.view()).items():
            self.move(job_id, wanted)
        ending = plan.outcome(self.view())
        if ending is not None:
            self.end(ending)

    def end(self, wanted: RunState) -> None:
        """progress.end_run: cancel what has not finished, close every blocker."""
        self.set_run(wanted)
        for job_id, state in self.jobs.items():
            if state not in TERMINAL_JOB:
                self.move(job_id, JobState.CANCELLED)
        self.escalations.clear()

    def actions(self) -> list[Action]:
        """Every call a worker, a caller or the human could make now, in a stable order."""
        if self.state not in ACTIVE:
            return []
        found: list[Action] = [("pause",) if self.state == RunState.RUNNING else ("resume",)]
        for job_id, state in sorted(self.jobs.items()):
            if state == JobState.READY and self.state == RunState.RUNNING:
                found.append(("claim", job_id))
            if state == JobState.LEASED:
                found += [("release", job_id), ("block", job_id), ("fail", job_id)]
                found.append(("fail_permanently", job_id))
                verdicts = VERDICTS if job_id in self.shape.gates else ("accept",)
                found += [("complete", job_id, verdict) for verdict in verdicts]
            if state == JobState.WAITING and job_id in self.shape.checkpoint_paths:
                paths = self.shape.checkpoint_paths[job_id]
                found += [("decide", job_id, choice) for choice in sorted(paths)]
            if job_id in self.escalations:
                kind = self.escalations[job_id]
                found += [("resolve", job_id, outcome) for outcome in OUTCOMES[kind]]
            if state not in TERMINAL_JOB:
                found.append(("cancel", job_id))
        return found

    def finishing_action(self) -> Action | None:
        """What a diligent operator does next to bring the run to an end: claim, complete
        with success, decide, retry or accept what waits on the human."""
        if self.state == RunState.PAUSED:
            return ("resume",)
        found = self.actions()
        for name, last in (("claim", ""), ("complete", "accept"), ("decide", "")):
            for action in found:
                if action[0] == name and last in ("", action[-1]):
                    return action
        for action in found:
            if action[0] == "resolve" and action[-1] in ("retry", "accept"):
                return action
        return None

    def apply(self, action: Action) -> None:
        name, *rest = action
        getattr(self, f"_{name}")(*rest)

    def _pause(self) -> None:
        self.set_run(RunState.PAUSED)

    def _resume(self) -> None:
        self.set_run(RunState.RUNNING)

    def _claim(self, job_id: str) -> None:
        self.move(job_id, JobState.LEASED)

    def _release(self, job_id: str) -> None:
        self.move(job_id, JobState.READY)

    def _block(self, job_id: str) -> None:
        self.move(job_id, JobState.WAITING)
        self.escalations[job_id] = "blocked"

    def _fail(self, job_id: str) -> None:
        """outcomes.after_failure, then advance."""
        self.failures[job_id] = self.failures.get(job_id, 0) + 1
        limit = self.shape.jobs[job_id].max_attempts
        if plan.after_failed_attempt(self.failures[job_id], limit) == AttemptDecision.RETRY:
            self.move(job_id, JobState.READY)
        else:
            self.move(job_id, JobState.FAILED)
            self.escalations[job_id] = "attempts_exhausted"
        self.advance()

    def _fail_permanently(self, job_id: str) -> None:
        self.failures[job_id] = self.failures.get(job_id, 0) + 1
        self.move(job_id, JobState.FAILED)
        self.escalations[job_id] = "cannot_start"
        self.advance()

    def _complete(self, job_id: str, verdict: str) -> None:
        gate = self.shape.gates.get(job_id)
        if gate is None:
            self.move(job_id, JobState.SUCCEEDED)
        else:
            decision = plan.gate_decision(
                verdict,
                revisions=self.revisions.get(job_id, 0),
                max_revisions=gate.max_revisions,
                on_exhausted=gate.on_exhausted,
            )
            self.apply_gate(job_id, decision)
        self.advance()

    def apply_gate(self, review: str, decision: GateDecision) -> None:
        """outcomes.apply_gate."""
        if decision == GateDecision.ACCEPT:
            self.move(review, JobState.SUCCEEDED)
        elif decision == GateDecision.FAIL:
            self.move(review, JobState.FAILED)
        elif decision == GateDecision.ESCALATE:
            self.move(review, JobState.WAITING)
            self.escalations[review] = "revision_bound"
        else:
            self.request_revision(review)

    def request_revision(self, review: str) -> None:
        """outcomes.request_revision: same-state resets are skipped, as the engine does."""
        target = self.shape.gates[review].target
        self.revisions[review] = self.revisions.get(review, 0) + 1
        for job_id, wanted in plan.revision_resets(self.view(), target, review).items():
            self.close_blockers(job_id, SUPERSEDED)
            if self.jobs[job_id] != wanted:
                self.move(job_id, wanted)
            self.failures[job_id] = 0

    def close_blockers(self, job_id: str, why: str) -> None:
        """Close the job's open escalation, or its open checkpoint: progress.view then reads
        `why` as that checkpoint's newest choice, as the engine's view does."""
        self.escalations.pop(job_id, None)
        if job_id in self.shape.checkpoint_paths and self.jobs[job_id] == JobState.WAITING:
            self.decided[job_id] = why

    def _decide(self, checkpoint: str, choice: str) -> None:
        self.decided[checkpoint] = choice
        self.move(checkpoint, JobState.SUCCEEDED)
        self.advance()

    def _resolve(self, job_id: str, outcome: str) -> None:
        """verbs.human.decisions.resolve."""
        kind = self.escalations.pop(job_id)
        if kind == "revision_bound":
            gates = {"accept": GateDecision.ACCEPT, "revise": GateDecision.REVISE}
            self.apply_gate(job_id, gates.get(outcome, GateDecision.FAIL))
        elif outcome == "retry":
            self.move(job_id, JobState.READY)
        elif self.jobs[job_id] != JobState.FAILED:
            self.move(job_id, JobState.FAILED)
        self.advance()

    def _cancel(self, job_id: str) -> None:
        """verbs.runs.jobs.cancel: a run that would now succeed ends cancelled instead."""
        self.close_blockers(job_id, "job cancelled")
        self.move(job_id, JobState.CANCELLED)
        self.cancelled_by_caller = True
        view = self.view()
        after = plan.outcome(with_states(view, plan.promotions(view)))
        if after == RunState.SUCCEEDED:
            self.end(RunState.CANCELLED)
        else:
            self.advance()

    def retry(self, start: str | None) -> revival.Revival:
        """verbs.runs.revival.retry: the run runs again, the planned jobs go back to pending
        (failures forgotten, an exhausted revision budget renewed), then advance."""
        decided = revival.retry_plan("run_model", self.view(), start)
        bounds = {r: g.max_revisions for r, g in self.shape.gates.items()}
        revisions = {r: self.revisions.get(r, 0) for r in self.shape.jobs}
        fresh = revival.fresh_budgets(decided.resets, revisions, bounds)
        self.state = RunState.RUNNING  # the one move out of an ended state, retry's own
        for job_id in decided.resets:
            if self.jobs[job_id] != JobState.PENDING:
                self.move(job_id, JobState.PENDING)
            self.failures[job_id] = 0
            if job_id in fresh:
                self.revisions[job_id] = 0
        self.cancelled_by_caller = False
        self.advance()
        return decided
