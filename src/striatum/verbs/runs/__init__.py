"""A run's life: prepare, start, pause, resume, cancel, land; cancelling one job.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params


def _supervisor_params() -> tuple[Param, ...]:
    return (
        Param(
            name="host", type="string", required=True, max_length=255, help="The supervisor's host."
        ),
        Param(name="pid", type="integer", required=True, help="The supervisor's process id."),
    )


# The starter shapes (striatum.starters.shapes.SHAPES, which a test compares), named here so
# that reading the declarations imports no starter.
TASK_STYLES = ("minimal", "review", "code-change", "human-checkpoint", "evidence", "multi-review")


def _task_params() -> tuple[Param, ...]:
    return (
        Param(
            name="sentence",
            type="string",
            positional=True,
            local=True,
            max_length=20000,
            help="The task, in a sentence (or give --file).",
        ),
        Param(
            name="file",
            type="string",
            path=True,
            local=True,
            max_length=1000,
            help="A Markdown file holding the task (after the sentence, if both).",
        ),
        Param(
            name="style",
            type="string",
            local=True,
            choices=TASK_STYLES,
            default="code-change",
            help="The starter shape (default code-change).",
        ),
        Param(
            name="author",
            type="string",
            local=True,
            max_length=64,
            help="The author's provider: claude_code, codex or gemini.",
        ),
        Param(
            name="reviewer",
            type="string",
            local=True,
            max_length=200,
            help="Reviewers' providers, comma-separated (never the author's).",
        ),
        Param(
            name="max_revisions",
            type="integer",
            local=True,
            help="How many times a review may send the work back (0 to 20).",
        ),
        Param(
            name="save",
            type="string",
            path=True,
            local=True,
            max_length=1000,
            help="Also write the workflow into this directory, to edit and rerun.",
        ),
        Param(
            name="workflow",
            type="string",
            path=True,
            max_length=1000,
            help="Set by the door: the workflow it wrote (callers give the sentence).",
        ),
        params.repo(),
        Param(
            name="budget_usd",
            type="string",
            max_length=32,
            help="What the run may spend in US dollars: it pauses for the principal once "
            "its attempts reported that much.",
        ),
    )


VERBS: tuple[Verb, ...] = (
    Verb(
        name="run.prepare",
        summary="Validate a workflow, snapshot it, create a run.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.lifecycle:prepare",
        params=(
            Param(
                name="workflow",
                type="string",
                required=True,
                path=True,
                max_length=1000,
                help="The workflow.json file.",
            ),
            params.repo(),
            Param(
                name="start",
                type="boolean",
                local=True,
                help="Then start it, as `run start RUN` would (prints the id and both answers).",
            ),
            Param(
                name="no_supervise",
                type="boolean",
                local=True,
                help="With --start: start it with no supervisor (as `run start --no-supervise`).",
            ),
            Param(
                name="budget_usd",
                type="string",
                max_length=32,
                help="What the run may spend in US dollars (instead of the workflow's budget): "
                "it pauses for the principal once its attempts reported that much.",
            ),
            Param(
                name="budget_tokens",
                type="integer",
                help="What the run may spend in tokens of all kinds (instead of the workflow's).",
            ),
            Param(
                name="budget_hard",
                type="boolean",
                help="Once the budget is reached, also stop the attempts running (their "
                "jobs wait, ready, with no attempt counted) instead of letting them finish.",
            ),
        ),
        description="Warns when a lane's agent CLI is not on this machine's PATH or does not "
        "answer `--version`.",
        before="striatum.cli.after:check_prepare_flags",
        after="striatum.cli.after:prepare_then_start",
    ),
    Verb(
        name="run.task",
        summary="A run from one sentence: build a workflow from a starter with it as the "
        "task, prepare it and start it under a supervisor (detached).",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.tasks:start_task",
        params=_task_params(),
        description="Author: --author, else the first AI CLI on PATH (claude_code, codex, "
        "gemini); reviewers: --reviewer, else the others, never on the author's provider. "
        "With no AI CLI on PATH the lanes run the scripted agent, and the answer says so. "
        "The workflow is written under the repository's .striatum/tasks/ and kept with the "
        "run; it is checked by the validator and the agents' preflight first, and bad input "
        "creates nothing. It never lands the run: `striatum task` follows it, asks the human "
        "and lands it in a terminal.",
        before="striatum.cli.task_hooks:compose",
        after="striatum.cli.task_hooks:started",
    ),
    Verb(
        name="run.start",
        summary="Start a prepared run; a supervisor runs its agents unless --no-supervise.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.lifecycle:start",
        params=(
            params.run_id(),
            Param(
                name="no_supervise",
                type="boolean",
                help="Drive the run yourself (claim-next); start no supervisor, and none is "
                "ever started for it by itself.",
            ),
        ),
        description="Unless --no-supervise, refuses (agent_unavailable, exit 18) while a "
        "lane's agent CLI is not on PATH or does not answer `--version`; the run stays "
        "prepared. On a running run whose supervisor is gone (killed, the machine "
        "rebooted) it launches a new one; while that supervisor runs it refuses "
        "(conflict), naming its pid and host. The supervisor's environment (PATH, HOME, "
        "the lanes' provider keys, STRIATUM_* settings but no token) is kept in a 0600 "
        "file under the home, so the daemon can resume the run with it.",
        before="striatum.cli.agent_checks:refuse_on_start",
        after="striatum.cli.after:start_supervisor",
    ),
    Verb(
        name="supervisor.register",
        summary="A supervisor holds a run: record its host, pid and session (supervisors "
        "call this).",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.supervision:register",
        params=(
            params.run_id(subject=False),
            *_supervisor_params(),
            Param(
                name="identity",
                type="string",
                max_length=200,
                help="The process's boot id and start time (a reused pid is not it).",
            ),
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="The supervisor's session (ses_...).",
            ),
        ),
    ),
    Verb(
        name="supervisor.leave",
        summary="A supervisor stops holding a run (supervisors call this as they end).",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.supervision:leave",
        params=(
            params.run_id(subject=False),
            *_supervisor_params(),
            Param(name="outcome", type="string", max_length=200, help="Why it stopped."),
        ),
        description="Only the registered supervisor leaves; a supervised run still running "
        "is resumed by its host's daemon.",
    ),
    Verb(
        name="run.land",
        summary="Merge a succeeded run's branch (striatum/RUN) into the "
        "repository's checked-out branch.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.runs.landing:land",
        params=(params.run_id(),),
    ),
    Verb(
        name="run.retry",
        summary="Revive a failed or cancelled run from a job: it and everything downstream "
        "run again as new attempts.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.runs.revival:retry",
        params=(
            params.run_id(),
            Param(
                name="from",
                type="string",
                max_length=64,
                help="The job to start again from (default: where the run stopped, its "
                "earliest failed or cancelled jobs).",
            ),
            Param(
                name="no_supervise",
                type="boolean",
                help="Drive the run yourself: start no supervisor even if one drove it.",
            ),
        ),
        description="The job, every job downstream of it and every job that did not succeed "
        "go back to pending; the next claim of each numbers its attempt after the last. "
        "Earlier attempts, verdicts, artifacts and events stay. A review whose revisions "
        "ran out starts a fresh budget, and a reviewed job that runs again gets its review's "
        "last verdict as revision input. The run runs again (event `run.retried`); a run a "
        "supervisor drove gets one again, launched as after `run start`. Refuses (conflict) "
        "a run that is prepared, running, paused or succeeded, a job never reached, a run "
        "whose last supervisor is still leaving, a run of a removed repository, and a retry "
        "that would keep a job whose commit went with a force-cleaned branch; not_found for "
        "an unknown job.",
        after="striatum.cli.after:start_supervisor",
    ),
    Verb(
        name="run.clean",
        summary="Remove ended runs' worktrees, striatum/RUN branches and scratch; a dry "
        "run unless --yes.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.runs.cleaning:clean",
        params=(
            params.run_id(required=False),
            Param(
                name="finished",
                type="boolean",
                help="Every ended run of the repository.",
            ),
            Param(name="yes", type="boolean", help="Remove them (without it: only list them)."),
            Param(
                name="force",
                type="boolean",
                help="Also delete branches not merged into the checked-out branch, and "
                "worktrees with uncommitted changes.",
            ),
            params.repo(),
        ),
        description="Never touches a run that has not ended. A branch not merged into the "
        "repository's checked-out branch (a run not landed) is kept unless --force, and "
        "the answer says so per run. Published artifacts in the repository and everything "
        "in the database stay; each cleaned run gets a `run.cleaned` event.",
    ),
    Verb(
        name="run.pause",
        summary="Pause a run: nothing new is claimed.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.lifecycle:pause",
        params=(params.run_id(),),
    ),
    Verb(
        name="run.resume",
        summary="Resume a paused run.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.lifecycle:resume",
        params=(params.run_id(),),
    ),
    Verb(
        name="run.budget",
        summary="Set a run's or a lane's budget; a run a budget paused resumes once "
        "under every one.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.runs.budget:set_budget",
        params=(
            params.run_id(),
            Param(
                name="usd",
                type="string",
                max_length=32,
                help="The budget in US dollars, e.g. 5 (none: no dollar limit).",
            ),
            Param(
                name="tokens",
                type="integer",
                help="The budget in tokens of all kinds (0: no token limit).",
            ),
            Param(
                name="lane",
                type="string",
                max_length=64,
                help="Set this lane's budget within the run instead of the run's.",
            ),
            Param(
                name="hard",
                type="string",
                choices=("yes", "no"),
                help="yes: once reached, also stop the attempts running under it (their "
                "jobs wait, ready, with no attempt counted); no: let them finish.",
            ),
        ),
        description="What the run's attempts (or the lane's, with --lane) reported using "
        "counts against it (SPEC §9, budgets); a value not given stays as it was. Only the "
        "principal may change a budget: an agent cannot spend past one.",
    ),
    Verb(
        name="run.cancel",
        summary="Cancel a run, its leased jobs included.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.lifecycle:cancel",
        params=(
            params.run_id(),
            Param(
                name="reason", type="string", max_length=500, help="Why (recorded in the event)."
            ),
        ),
    ),
    Verb(
        name="job.cancel",
        summary="Cancel one job of a running run (its jobs downstream are cancelled too).",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.runs.jobs:cancel",
        params=(
            params.run_id(),
            params.job(),
            Param(
                name="reason", type="string", max_length=500, help="Why (recorded in the event)."
            ),
        ),
    ),
)
