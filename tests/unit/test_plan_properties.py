"""The engine's pure decisions (model/engine/plan.py) over generated runs: every decision is a
legal move of the state machines in states.py, and the run rules of SPEC.md and DESIGN.md hold
("a run whose remaining jobs can no longer become ready ends")."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.model.engine import plan
from striatum.model.engine.plan import AttemptDecision, GateDecision, JobView, RunView
from striatum.model.engine.states import (
    TERMINAL_JOB,
    TERMINAL_RUN,
    JobState,
    RunState,
    check_job,
    check_run,
)
from striatum.model.workflow.validate import validate_document
from tests.support.run_model import Action, ModelRun
from tests.support.run_views import (
    CANCEL,
    Gate,
    Shape,
    run_views,
    shapes,
    with_states,
)

PROPERTY = settings(max_examples=200, deadline=None)
# Jobs someone can act on: claim one, finish one, or answer the human's question.
IN_PLAY = frozenset({JobState.READY, JobState.LEASED, JobState.WAITING})
# Jobs the engine let go: each must have had every dependency succeed first.
RELEASED = IN_PLAY | {JobState.SUCCEEDED, JobState.FAILED}


def cleared(run: RunView, job: JobView, states: dict[str, JobState]) -> bool:
    """Every dependency succeeded, and every checkpoint among them chose a path through it."""
    for parent in job.depends_on:
        if states[parent] != JobState.SUCCEEDED:
            return False
        if parent in run.checkpoint_paths:
            choice = run.decided.get(parent)
            if choice is None or job.job_id not in run.checkpoint_paths[parent].get(choice, ()):
                return False
    return True


def doomed(run: RunView, job: JobView, states: dict[str, JobState]) -> bool:
    """A dependency was cancelled, or a decided checkpoint among them chose another path."""
    for parent in job.depends_on:
        if states[parent] == JobState.CANCELLED:
            return True
        if parent in run.checkpoint_paths and states[parent] == JobState.SUCCEEDED:
            choice = run.decided.get(parent)
            if choice is None or job.job_id not in run.checkpoint_paths[parent].get(choice, ()):
                return True
    return False


def states_of(run: RunView) -> dict[str, JobState]:
    return {job_id: job.state for job_id, job in run.jobs.items()}


def descendants(run: RunView, root: str) -> set[str]:
    found: set[str] = set()
    todo = [root]
    while todo:
        current = todo.pop()
        for job_id, job in run.jobs.items():
            if current in job.depends_on and job_id not in found:
                found.add(job_id)
                todo.append(job_id)
    return found


def live_cancel_choice(run: RunView) -> bool:
    """A checkpoint that stands decided (succeeded) chose `cancel`."""
    return any(
        choice == CANCEL and run.jobs[cp].state == JobState.SUCCEEDED
        for cp, choice in run.decided.items()
    )


@PROPERTY
@given(st.one_of(shapes(), shapes(with_review=True)))
def test_generated_workflows_pass_the_real_validator(shape: Shape) -> None:
    """The generator makes only workflows `run prepare` accepts (so the runs below are real)."""
    assert validate_document(shape.document()).errors == []


# promotions


MID_RUN = ("mid-run", "any")  # the moments where jobs still wait on others


@PROPERTY
@given(run_views(moments=MID_RUN))
def test_every_promotion_is_a_legal_move_of_a_pending_job_for_a_reason_it_shows(
    run: RunView,
) -> None:
    """Ready (waiting, for a checkpoint) only once every dependency succeeded on the path its
    checkpoints chose; cancelled only for a cancelled dependency or a path not chosen."""
    before = states_of(run)
    moves = plan.promotions(run)
    after = states_of(with_states(run, moves))
    for job_id, wanted in moves.items():
        job = run.jobs[job_id]
        assert job.state == JobState.PENDING
        check_job(job_id, job.state, wanted)
        if wanted == JobState.CANCELLED:
            assert doomed(run, job, after), job_id
        else:
            assert cleared(run, job, before), job_id
            assert (wanted == JobState.WAITING) == (job.kind == "checkpoint")


@PROPERTY
@given(run_views(moments=MID_RUN))
def test_after_promotions_nothing_could_move_and_a_run_going_on_has_work(run: RunView) -> None:
    """Asking again after the engine wrote the promotions changes nothing: cancellations
    cascade all the way down in one call. And (DESIGN) no run is left `running` with nothing
    to do: without an outcome, a job can be claimed, finished or answered, or a blocker is open."""
    after = with_states(run, plan.promotions(run))
    assert plan.promotions(after) == {}
    states = states_of(after)
    for job in after.jobs.values():
        if job.state == JobState.PENDING:
            assert not cleared(after, job, states), job.job_id
            assert not doomed(after, job, states), job.job_id
    if plan.outcome(after) is None:
        assert set(states.values()) & IN_PLAY or after.failed_with_open_blocker


@PROPERTY
@given(st.data())
def test_asking_about_some_jobs_in_rounds_gives_what_asking_about_all_gives(
    data: st.DataObject,
) -> None:
    """Incremental planning (engine/progress.advance): a question about some jobs, asked of a
    view holding only them and their parents, never answers differently from the whole
    run's; and asking again about the dependents of what it cancelled, round after round,
    finds every promotion the whole run's question finds."""
    run = data.draw(run_views(moments=MID_RUN))
    whole = plan.promotions(run)
    asked = set(data.draw(st.sets(st.sampled_from(sorted(run.jobs)))))
    found: dict[str, JobState] = {}
    while asked:
        parents = {p for j in asked for p in run.jobs[j].depends_on}
        partial = dataclasses.replace(
            with_states(run, found),
            jobs={j: v for j, v in with_states(run, found).jobs.items() if j in asked | parents},
        )
        moves = plan.promotions(partial, only=asked)
        assert all(whole[j] == wanted for j, wanted in moves.items())
        found.update(moves)
        asked = {
            d.job_id
            for d in run.jobs.values()
            for j, wanted in moves.items()
            if wanted == JobState.CANCELLED and j in d.depends_on
        }
    everything = set(run.jobs)
    assert plan.promotions(run, only=everything) == whole


@PROPERTY
@given(st.data())
def test_decisions_do_not_depend_on_the_order_of_jobs_or_dependencies(
    data: st.DataObject,
) -> None:
    run = data.draw(run_views(moments=MID_RUN))
    order = data.draw(st.permutations(sorted(run.jobs)))
    shuffled = dataclasses.replace(
        run,
        jobs={
            j: dataclasses.replace(run.jobs[j], depends_on=tuple(reversed(run.jobs[j].depends_on)))
            for j in order
        },
    )
    assert plan.promotions(shuffled) == plan.promotions(run)
    assert plan.outcome(shuffled) == plan.outcome(run)


# outcome


@PROPERTY
@given(run_views(moments=("ended", "clean end")))
def test_an_outcome_is_a_legal_end_that_matches_the_jobs(run: RunView) -> None:
    """Failed: a job failed with no open blocker. Otherwise the run ends once every job
    finished and no blocker is open: cancelled if a checkpoint that stands decided chose
    `cancel`, else succeeded. Views are taken as the last job finishes."""
    ending = plan.outcome(run)
    states = states_of(run)
    unblocked_failure = any(
        s == JobState.FAILED and j not in run.failed_with_open_blocker for j, s in states.items()
    )
    settled = all(s in TERMINAL_JOB for s in states.values()) and not run.failed_with_open_blocker
    if ending is not None:
        check_run(run.state, ending)
    if unblocked_failure:
        assert ending == RunState.FAILED
    elif not settled:
        assert ending is None
    else:
        assert ending == (RunState.CANCELLED if live_cancel_choice(run) else RunState.SUCCEEDED)


@settings(max_examples=100, deadline=None)
@given(run_views(run_states=(RunState.PREPARED, *sorted(TERMINAL_RUN))))
def test_an_unstarted_or_ended_run_has_no_outcome_and_an_ended_one_no_promotion(
    run: RunView,
) -> None:
    """A run that ended has every job finished (end_run cancels the rest): nothing moves."""
    ended = with_states(
        run, {j: JobState.CANCELLED for j, s in states_of(run).items() if s not in TERMINAL_JOB}
    )
    assert plan.outcome(run) is None
    assert plan.outcome(ended) is None
    if run.state in TERMINAL_RUN:
        assert plan.promotions(ended) == {}


# revisions


@st.composite
def revision_requests(draw: st.DrawFn) -> tuple[RunView, str, str]:
    """A review that can ask for a revision: leased (or waiting on its escalated gate), its
    target succeeded, everything else in any state."""
    shape = draw(shapes(with_review=True))
    review = draw(st.sampled_from(sorted(shape.gates)))
    target = shape.gates[review].target
    run = draw(run_views(shape))
    reviewing = draw(st.sampled_from((JobState.LEASED, JobState.WAITING)))
    return with_states(run, {review: reviewing, target: JobState.SUCCEEDED}), target, review


@PROPERTY
@given(revision_requests())
def test_a_revision_reopens_the_target_and_holds_back_exactly_what_follows_it(
    request: tuple[RunView, str, str],
) -> None:
    """The target becomes ready, everything downstream of it (the review included) pending,
    each a legal move; nothing else is touched, and nothing downstream is promoted again
    (only cancelled) before the target runs again."""
    run, target, review = request
    resets = plan.revision_resets(run, target, review)
    downstream = descendants(run, target)
    assert review in downstream
    assert set(resets) == downstream | {target}
    assert resets[target] == JobState.READY
    assert all(resets[j] == JobState.PENDING for j in downstream)
    for job_id, wanted in resets.items():
        if run.jobs[job_id].state != wanted:  # the engine skips a same-state reset
            check_job(job_id, run.jobs[job_id].state, wanted)
    moves = plan.promotions(with_states(run, resets))
    assert all(moves[j] == JobState.CANCELLED for j in downstream if j in moves)


# gates and attempts


@PROPERTY
@given(
    verdict=st.sampled_from(("accept", "needs_revision", "reject")),
    revisions=st.integers(min_value=0, max_value=25),
    max_revisions=st.integers(min_value=0, max_value=20),
    on_exhausted=st.sampled_from(("fail", "escalate")),
)
def test_a_gate_revises_only_within_its_bound(
    verdict: str, revisions: int, max_revisions: int, on_exhausted: str
) -> None:
    decision = plan.gate_decision(
        verdict, revisions=revisions, max_revisions=max_revisions, on_exhausted=on_exhausted
    )
    if verdict == "accept":
        assert decision == GateDecision.ACCEPT
    elif verdict == "reject":
        assert decision == GateDecision.FAIL
    elif revisions < max_revisions:
        assert decision == GateDecision.REVISE
    else:
        exhausted = GateDecision.ESCALATE if on_exhausted == "escalate" else GateDecision.FAIL
        assert decision == exhausted


@PROPERTY
@given(max_revisions=st.integers(min_value=0, max_value=20))
def test_a_reviewer_that_never_accepts_gets_exactly_max_revisions(max_revisions: int) -> None:
    revisions = 0
    while (
        plan.gate_decision(
            "needs_revision", revisions=revisions, max_revisions=max_revisions, on_exhausted="fail"
        )
        == GateDecision.REVISE
    ):
        revisions += 1
        assert revisions <= max_revisions
    assert revisions == max_revisions


@PROPERTY
@given(max_attempts=st.integers(min_value=1, max_value=20))
def test_a_job_that_always_fails_is_tried_exactly_max_attempts_times(max_attempts: int) -> None:
    """Failures are counted including the one just seen (outcomes.after_failure)."""
    decisions = [plan.after_failed_attempt(n, max_attempts) for n in range(1, max_attempts + 3)]
    retries = decisions.index(AttemptDecision.EXHAUSTED)
    assert retries + 1 == max_attempts
    assert set(decisions[retries:]) == {AttemptDecision.EXHAUSTED}


# whole runs, driven through plan as the engine drives them


def assert_engine_invariants(run: ModelRun) -> None:
    view = run.view()
    states = states_of(view)
    for job in view.jobs.values():
        if job.state in RELEASED:
            assert cleared(view, job, states), f"{job.job_id} is {job.state} too early"
    if run.state in (RunState.RUNNING, RunState.PAUSED):
        assert plan.promotions(view) == {}, "advance left a promotion undone"
        assert set(states.values()) & IN_PLAY or view.failed_with_open_blocker
        return
    assert run.state in TERMINAL_RUN
    assert all(s in TERMINAL_JOB for s in states.values())
    if run.state == RunState.SUCCEEDED:
        assert JobState.FAILED not in states.values()
        assert not live_cancel_choice(view)
    elif run.state == RunState.CANCELLED:
        assert run.cancelled_by_caller or live_cancel_choice(view)
    else:
        assert JobState.FAILED in states.values()


# How often each kind of call is drawn: mostly work going forward, now and then a failure, a
# block, a job cancelled or a pause (drawn evenly, cancels would end most runs at once).
WEIGHTS = {
    "claim": 20,
    "complete": 20,
    "decide": 10,
    "resolve": 10,
    "resume": 10,
    "fail": 4,
    "release": 2,
    "block": 2,
    "fail_permanently": 1,
    "cancel": 1,
    "pause": 1,
    "stop": 1,
}


def draw_action(data: st.DataObject, actions: list[Action]) -> Action:
    offered = {a[0] for a in actions}  # in WEIGHTS order: shrinking goes towards claims
    kinds = [kind for kind, weight in WEIGHTS.items() if kind in offered for _ in range(weight)]
    kind = data.draw(st.sampled_from(kinds))
    return data.draw(st.sampled_from([a for a in actions if a[0] == kind]))


@PROPERTY
@given(shape=st.one_of(shapes(), shapes(with_review=True)), data=st.data())
def test_a_run_driven_at_random_keeps_the_invariants_and_can_always_be_finished(
    shape: Shape, data: st.DataObject
) -> None:
    """Random calls (claims, verdicts, failures, blocks, checkpoint choices, escalation answers,
    job cancels, pauses), each a legal move, then a diligent operator finishes the run: it
    always ends, within a few steps per job."""
    run = ModelRun.started(shape)
    assert_engine_invariants(run)
    for _ in range(60):
        actions = run.actions()
        if not actions:
            break
        action = draw_action(data, [*actions, ("stop",)])
        if action == ("stop",):  # hand over to the diligent operator
            break
        run.apply(action)
        assert_engine_invariants(run)
    for _ in range(6 * len(shape.jobs) + 2):
        diligent = run.finishing_action()
        if diligent is None:
            break
        run.apply(diligent)
        assert_engine_invariants(run)
    assert run.state in TERMINAL_RUN


# examples


def job(job_id: str, state: JobState, *parents: str, kind: str = "task") -> JobView:
    return JobView(job_id=job_id, kind=kind, state=state, depends_on=parents)


def test_a_checkpoint_waits_instead_of_becoming_ready() -> None:
    run = RunView(
        state=RunState.RUNNING,
        jobs={
            "draft": job("draft", JobState.SUCCEEDED),
            "gate": job("gate", JobState.PENDING, "draft", kind="checkpoint"),
        },
        checkpoint_paths={"gate": {"go": ("ship",), CANCEL: ()}},
    )
    assert plan.promotions(run) == {"gate": JobState.WAITING}


def test_a_decided_checkpoint_releases_its_chosen_path_and_cancels_the_others() -> None:
    run = RunView(
        state=RunState.RUNNING,
        jobs={
            "gate": job("gate", JobState.SUCCEEDED, kind="checkpoint"),
            "ship": job("ship", JobState.PENDING, "gate"),
            "rework": job("rework", JobState.PENDING, "gate"),
            "after": job("after", JobState.PENDING, "rework"),
        },
        checkpoint_paths={"gate": {"go": ("ship",), "again": ("rework",)}},
        decided={"gate": "go"},
    )
    assert plan.promotions(run) == {
        "ship": JobState.READY,
        "rework": JobState.CANCELLED,
        "after": JobState.CANCELLED,
    }


def test_cancellation_cascades_through_a_chain_in_one_call() -> None:
    run = RunView(
        state=RunState.RUNNING,
        jobs={
            "c": job("c", JobState.PENDING, "b"),  # listed first: the loop must come back to it
            "b": job("b", JobState.PENDING, "a"),
            "a": job("a", JobState.CANCELLED),
        },
    )
    assert plan.promotions(run) == {"b": JobState.CANCELLED, "c": JobState.CANCELLED}
    assert plan.outcome(with_states(run, plan.promotions(run))) == RunState.SUCCEEDED


def test_a_failed_job_with_an_open_escalation_holds_the_run_open() -> None:
    jobs = {"a": job("a", JobState.FAILED), "b": job("b", JobState.PENDING, "a")}
    waiting = RunView(state=RunState.RUNNING, jobs=jobs, failed_with_open_blocker=frozenset({"a"}))
    assert plan.promotions(waiting) == {}
    assert plan.outcome(waiting) is None
    answered = dataclasses.replace(waiting, failed_with_open_blocker=frozenset())
    assert plan.outcome(answered) == RunState.FAILED


@pytest.mark.parametrize(
    ("on_exhausted", "expected"),
    [("escalate", GateDecision.ESCALATE), ("fail", GateDecision.FAIL)],
)
def test_a_zero_revision_gate_escalates_or_fails_at_the_first_request(
    on_exhausted: str, expected: GateDecision
) -> None:
    decision = plan.gate_decision(
        "needs_revision", revisions=0, max_revisions=0, on_exhausted=on_exhausted
    )
    assert decision == expected


def test_a_revision_reopens_a_job_a_checkpoint_cancelled() -> None:
    """CANCELLED -> PENDING is the one edge out of cancelled, and a revision takes it: the
    checkpoint is decided again once the target has run again."""
    run = RunView(
        state=RunState.RUNNING,
        jobs={
            "draft": job("draft", JobState.SUCCEEDED),
            "gate": job("gate", JobState.SUCCEEDED, "draft", kind="checkpoint"),
            "alt": job("alt", JobState.CANCELLED, "gate"),
            "review": job("review", JobState.LEASED, "gate", kind="review"),
        },
        checkpoint_paths={"gate": {"go": ("review",), "other": ("alt",)}},
        decided={"gate": "go"},
    )
    resets = plan.revision_resets(run, "draft", "review")
    assert resets == {
        "draft": JobState.READY,
        "gate": JobState.PENDING,
        "alt": JobState.PENDING,
        "review": JobState.PENDING,
    }


def test_a_cancel_choice_undone_by_a_revision_does_not_cancel_the_run() -> None:
    """Regression: outcome counted every `cancel` ever chosen, even of a checkpoint a revision
    reset and that was then cancelled by another path (never decided again), so a run whose
    every other job succeeded ended `cancelled`. Only a checkpoint that stands decided
    (succeeded) can cancel the run."""
    run = RunView(
        state=RunState.RUNNING,
        jobs={
            "route": job("route", JobState.SUCCEEDED, kind="checkpoint"),
            "confirm": job("confirm", JobState.CANCELLED, "route", kind="checkpoint"),
            "publish": job("publish", JobState.SUCCEEDED, "route"),
        },
        checkpoint_paths={"route": {"careful": ("confirm",), "quick": ("publish",)}},
        decided={"route": "quick", "confirm": CANCEL},
    )
    assert plan.outcome(run) == RunState.SUCCEEDED
    standing = with_states(run, {"confirm": JobState.SUCCEEDED, "publish": JobState.CANCELLED})
    standing = dataclasses.replace(standing, decided={"route": "careful", "confirm": CANCEL})
    assert plan.outcome(standing) == RunState.CANCELLED


def test_the_engine_path_to_a_stale_cancel_ends_the_run_succeeded() -> None:
    """The same, driven as the engine drives it: the human cancels at `confirm`, a review of
    `draft` asks for a revision (resetting everything after `draft`), and the second time the
    human routes around `confirm`."""
    shape = Shape(
        jobs={
            "draft": job("draft", JobState.PENDING),
            "route": job("route", JobState.PENDING, "draft", kind="checkpoint"),
            "confirm": job("confirm", JobState.PENDING, "route", kind="checkpoint"),
            "ship": job("ship", JobState.PENDING, "confirm"),
            "publish": job("publish", JobState.PENDING, "route"),
            "check": job("check", JobState.PENDING, "draft", kind="review"),
        },
        checkpoint_paths={
            "route": {"careful": ("confirm",), "quick": ("publish",)},
            "confirm": {"go": ("ship",), CANCEL: ()},
        },
        gates={"check": Gate(target="draft", max_revisions=1, on_exhausted="fail")},
    )
    assert validate_document(shape.document()).errors == []
    run = ModelRun.started(shape)
    for action in [
        ("claim", "draft"),
        ("complete", "draft", "accept"),
        ("decide", "route", "careful"),
        ("decide", "confirm", CANCEL),
        ("claim", "check"),
        ("complete", "check", "needs_revision"),
        ("claim", "draft"),
        ("complete", "draft", "accept"),
        ("decide", "route", "quick"),
        ("claim", "publish"),
        ("complete", "publish", "accept"),
        ("claim", "check"),
    ]:
        assert action in run.actions()
        run.apply(action)
        assert run.state == RunState.RUNNING
    run.apply(("complete", "check", "accept"))
    assert run.jobs["confirm"] == JobState.CANCELLED
    assert run.state == RunState.SUCCEEDED
