"""Random verb sequences against a real daemon; the engine's invariants hold after each step."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import psycopg
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from striatum import errors
from striatum.model.engine.states import JOB_EDGES, JobState
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import AGENT, example, new_repo
from tests.support.rpc import aimed_at, call
from tests.support.servers import world_traversable_tempdir

TERMINAL = {"succeeded", "failed", "cancelled"}


def attempt(method: str, *, as_role: str | None = None, **params: Any) -> Any:
    """Call a verb; refusals are fine, internal errors are not."""
    try:
        return call(method, as_role=as_role, **params)
    except errors.StriatumError as error:
        assert error.code != "internal", f"{method} {params}: {error.message}"
        return None


class EngineMachine(RuleBasedStateMachine):
    daemon: DaemonUnderTest
    admin: str

    @initialize()
    def prepare(self) -> None:
        self.base = world_traversable_tempdir("striatum-sm-")
        self.repo = new_repo(self.base)
        attempt("adopt", repo=str(self.repo))
        self.run_id = call(
            "run.prepare", workflow=str(example("human-checkpoint-flow")), repo=str(self.repo)
        )["run_id"]
        call("run.start", run_id=self.run_id)
        self.session = call("register-session", role="operator")["session_id"]
        self.held: list[dict[str, Any]] = []

    def teardown(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    @rule()
    def claim(self) -> None:
        packet = attempt("claim-next", session=self.session, run_id=self.run_id)
        if packet and packet["claimed"]:
            self.held.append(packet)

    @rule(data=st.data(), write=st.booleans())
    def complete(self, data: st.DataObject, write: bool) -> None:
        if not self.held:
            return
        packet = self.held.pop(data.draw(st.integers(0, len(self.held) - 1)))
        if write:
            self._write(packet, data.draw(st.sampled_from(["accept", "needs_revision", "reject"])))
        attempt("complete", lease=packet["lease"]["lease_id"])

    @rule(data=st.data(), verb=st.sampled_from(["fail", "release", "heartbeat", "block"]))
    def other_work_verb(self, data: st.DataObject, verb: str) -> None:
        if not self.held:
            return
        index = data.draw(st.integers(0, len(self.held) - 1))
        lease = self.held[index]["lease"]["lease_id"]
        extra = {"reason": "random"} if verb in ("fail", "block") else {}
        attempt(verb, lease=lease, **extra)
        if verb != "heartbeat":
            self.held.pop(index)

    @rule(
        choice=st.sampled_from(["continue", "cancel"]),
        outcome=st.sampled_from(["retry", "fail", "accept", "revise"]),
    )
    def human(self, choice: str, outcome: str) -> None:
        for blocker in call("inbox")["waiting"]:
            if blocker["kind"] == "checkpoint":
                attempt(
                    "checkpoint.decide",
                    as_role="principal",
                    blocker=blocker["blocker_id"],
                    choice=choice,
                )
            else:
                attempt(
                    "escalation.resolve",
                    as_role="principal",
                    blocker=blocker["blocker_id"],
                    outcome=outcome,
                )

    @rule(verb=st.sampled_from(["run.pause", "run.resume", "run.cancel", "recovery.sweep"]))
    def drive(self, verb: str) -> None:
        if verb == "recovery.sweep":
            attempt(verb)
        else:
            attempt(verb, run_id=self.run_id)

    @rule(start=st.sampled_from([None, "draft", "review", "decide", "publish"]))
    def retry(self, start: str | None) -> None:
        """`run retry` at any moment: refused unless the run ended badly (and the job was
        reached), else the run goes on; the invariants and the daemon's plan crosscheck hold."""
        chosen = {} if start is None else {"from": start}
        attempt("run.retry", as_role="principal", run_id=self.run_id, **chosen)

    def _write(self, packet: dict[str, Any], verdict: str) -> None:
        for expected in packet["expected_artifacts"]:
            target = self.repo / expected["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"---\nverdict: {verdict}\n---\n\nrandom work\n")

    @invariant()
    def one_live_lease_per_job_and_legal_edges(self) -> None:
        if not hasattr(self, "run_id"):
            return
        with psycopg.connect(self.admin) as conn:
            doubled = conn.execute(
                "SELECT job_id FROM striatumd.leases WHERE ended_at IS NULL AND run_id = %s "
                "GROUP BY job_id HAVING count(*) > 1",
                (self.run_id,),
            ).fetchall()
            moves = conn.execute(
                "SELECT job_id, type, payload->>'previous' FROM striatumd.events "
                "WHERE run_id = %s AND type LIKE 'job.%%' ORDER BY seq",
                (self.run_id,),
            ).fetchall()
            (run_state,) = conn.execute(
                "SELECT state FROM striatumd.runs WHERE run_id = %s", (self.run_id,)
            ).fetchone() or ("?",)
            live = conn.execute(
                "SELECT count(*) FROM striatumd.leases WHERE run_id = %s AND ended_at IS NULL",
                (self.run_id,),
            ).fetchone()
            open_jobs = conn.execute(
                "SELECT count(*) FROM striatumd.jobs WHERE run_id = %s AND state NOT IN "
                "('succeeded', 'failed', 'cancelled')",
                (self.run_id,),
            ).fetchone()
        assert doubled == []
        for job_id, event_type, previous in moves:
            wanted = JobState(event_type.removeprefix("job."))
            assert wanted in JOB_EDGES[JobState(previous)], (job_id, previous, wanted)
        if run_state in TERMINAL:
            assert live == (0,) and open_jobs == (0,)


def test_random_verb_sequences_keep_the_invariants(daemon: DaemonUnderTest) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    assert daemon.database is not None
    EngineMachine.daemon = daemon
    EngineMachine.admin = daemon.database.admin_conninfo
    with aimed_at(daemon):
        run_state_machine_as_test(
            EngineMachine, settings=settings(max_examples=25, stateful_step_count=30, deadline=None)
        )
    assert Path(AGENT).is_file()
