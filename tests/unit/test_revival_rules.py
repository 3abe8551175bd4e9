"""`run retry`'s pure decisions (model/engine/revival.py): where a retry starts, what it
resets, which gates get a fresh budget, and that the run it leaves is one the planner agrees
with (generated runs driven to a bad end, then retried)."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from striatum import errors
from striatum.model.engine import plan, revival
from striatum.model.engine.plan import JobView, RunView
from striatum.model.engine.states import JobState, RunState
from tests.support.run_model import ModelRun
from tests.support.run_views import Shape, shapes
from tests.unit.test_plan_properties import assert_engine_invariants, draw_action

S, F, C, P = JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.PENDING


def _run(state: RunState, **jobs: tuple[JobState, tuple[str, ...]]) -> RunView:
    return RunView(
        state=state,
        jobs={
            job_id: JobView(job_id=job_id, kind="task", state=s, depends_on=parents)
            for job_id, (s, parents) in jobs.items()
        },
    )


# draft -> review -> synthesis, and a side branch cancelled as the run failed
REJECTED = _run(
    RunState.FAILED,
    draft=(S, ()),
    review=(F, ("draft",)),
    side=(C, ("draft",)),
    synthesis=(C, ("review", "side")),
)


def test_without_a_start_a_retry_starts_at_every_earliest_job_that_did_not_succeed() -> None:
    found = revival.retry_plan("run_1", REJECTED, None)
    assert found.from_jobs == ("review", "side")
    assert found.resets == ("review", "side", "synthesis")


def test_a_start_upstream_resets_it_everything_below_it_and_all_that_did_not_succeed() -> None:
    found = revival.retry_plan("run_1", REJECTED, "draft")
    assert found.from_jobs == ("draft",)
    assert found.resets == ("draft", "review", "side", "synthesis")


@pytest.mark.parametrize("state", [RunState.PREPARED, RunState.RUNNING, RunState.SUCCEEDED])
def test_only_a_failed_or_cancelled_run_is_retried(state: RunState) -> None:
    view = RunView(state=state, jobs=REJECTED.jobs)
    with pytest.raises(errors.Conflict, match=f"run_1 is {state.value}"):
        revival.retry_plan("run_1", view, None)


def test_an_unknown_job_is_not_found_and_one_never_reached_is_a_conflict() -> None:
    with pytest.raises(errors.NotFound, match="run_1 has no job 'nope'"):
        revival.retry_plan("run_1", REJECTED, "nope")
    with pytest.raises(
        errors.Conflict,
        match="synthesis of run run_1 was never reached: its dependency review is failed",
    ):
        revival.retry_plan("run_1", REJECTED, "synthesis")
    pending = _run(RunState.CANCELLED, first=(P, ()))
    with pytest.raises(errors.Conflict, match="first of run run_1 was never reached"):
        revival.retry_plan("run_1", pending, "first")


def test_a_checkpoint_whose_cancel_ended_the_run_is_where_it_starts_again() -> None:
    view = RunView(
        state=RunState.CANCELLED,
        jobs={
            "decide": JobView(job_id="decide", kind="checkpoint", state=S),
            "go": JobView(job_id="go", kind="task", state=C, depends_on=("decide",)),
        },
        checkpoint_paths={"decide": {"continue": ("go",), "cancel": ()}},
        decided={"decide": "cancel"},
    )
    found = revival.retry_plan("run_1", view, None)
    assert found.from_jobs == ("decide", "go") and found.resets == ("decide", "go")


def test_only_gates_whose_revisions_ran_out_get_a_fresh_budget() -> None:
    fresh = revival.fresh_budgets(
        ("review", "other", "task"),
        {"review": 2, "other": 1, "task": 0},
        {"review": 2, "other": 3, "kept": 0},
    )
    assert fresh == {"review": 2}


@settings(max_examples=200, deadline=None)
@given(shape=st.one_of(shapes(), shapes(with_review=True)), data=st.data())
def test_a_run_that_ended_badly_retried_from_where_it_stopped_goes_on_and_can_finish(
    shape: Shape, data: st.DataObject
) -> None:
    """Drive a generated run at random to its end; if it failed or was cancelled, retry it:
    every reset is a legal move, the planner agrees with what is left (nothing to promote,
    work to do), and a diligent operator brings the run to an end again."""
    run = ModelRun.started(shape)
    for _ in range(60):
        actions = run.actions()
        if not actions:
            break
        run.apply(draw_action(data, actions))
    for _ in range(6 * len(shape.jobs) + 2):
        diligent = run.finishing_action()
        if diligent is None:
            break
        run.apply(diligent)
    if run.state not in revival.REVIVABLE:
        return
    reached = [
        job_id
        for job_id, job in run.view().jobs.items()
        if job.state != JobState.PENDING
        and all(run.jobs[p] == JobState.SUCCEEDED for p in job.depends_on)
    ]
    start = data.draw(st.sampled_from([None, *reached]))
    run.retry(start)
    event(f"retried from {'where it stopped' if start is None else 'a job'}: {run.state.value}")
    if start is None:
        assert run.state == RunState.RUNNING, "a retry from where it stopped ended at once"
    if run.state != RunState.RUNNING:
        return  # the engine refuses such a retry (the transaction rolls back)
    assert_engine_invariants(run)
    assert plan.promotions(run.view()) == {}
    for _ in range(8 * len(shape.jobs) + 2):
        diligent = run.finishing_action()
        if diligent is None:
            break
        run.apply(diligent)
        assert_engine_invariants(run)
    assert run.state != RunState.RUNNING or run.finishing_action() is None
