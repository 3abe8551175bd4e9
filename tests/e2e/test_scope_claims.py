"""The claim itself refuses a job whose write scope overlaps a live lease's job's (SPEC §10):
the rule lives in the database's transaction, so any claimer on any host is held to it, not
only the supervisor that knows what it runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_supervisor import background_supervisor
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _prepared(operator: Operator, tmp_path: Path) -> str:
    """Four independent jobs on one lane: a writes src/, b src/lib/ (inside a's), c docs/,
    d only artifacts."""
    scopes = {"a": ["src/"], "b": ["src/lib/"], "c": ["docs/"], "d": None}
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "scopes",
        "name": "Scopes",
        "lanes": {"one": {"provider": "command", "command": ["true"], "max_concurrency": 4}},
        "jobs": [
            {"id": job, "kind": "task", "lane": "one", **({"write_scope": s} if s else {})}
            for job, s in scopes.items()
        ],
    }
    workflow = tmp_path / "scopes.json"
    workflow.write_text(json.dumps(document))
    return operator.prepare(workflow)


def _claim_by_id(operator: Operator, session: str, run_id: str, job: str) -> Any:
    return operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "claim-next",
        "--session",
        session,
        "--run-id",
        run_id,
        "--job",
        job,
        "--json",
    )


def test_a_claim_overlapping_a_live_lease_is_refused_by_id_and_passed_over_by_run(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    first = operator.claim_job(run_id, "a")
    # Another claimer (a second session, as a worker on another host would have) asks for b.
    other = operator.cli("register-session", "--role", "operator")["session_id"]
    refused = _claim_by_id(operator, other, run_id, "b")
    assert refused.returncode == 5, refused.stderr
    assert "b may not start while a runs" in refused.stderr
    assert "'src/lib'" in refused.stderr and "'src'" in refused.stderr
    # By run, b (next in order) is passed over for c, then for d (no code scope at all).
    taken = [operator.claim(run_id), operator.claim(run_id)]
    assert [p["job"]["job_id"] for p in taken if p] == ["c", "d"]
    nothing = operator.cli("claim-next", "--session", other, "--run-id", run_id)
    assert nothing["claimed"] is False
    assert (
        "waiting for their write scope to be free: b may not start while a runs"
        in (nothing["reason"])
    )
    jobs = {j["job_id"]: j["state"] for j in operator.cli("status", run_id)["jobs"]}
    assert jobs == {"a": "leased", "b": "ready", "c": "leased", "d": "leased"}
    # Once a ends, b may start.
    operator.cli("complete", "--lease", first["lease"]["lease_id"])
    assert _claim_by_id(operator, other, run_id, "b").returncode == 0


def test_a_completion_claiming_next_passes_over_an_overlapping_job(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    operator.claim_job(run_id, "a")
    c = operator.claim_job(run_id, "c")
    done = operator.cli("complete", "--lease", c["lease"]["lease_id"], "--then-claim")
    assert done["next"]["claimed"] is True
    assert done["next"]["job"]["job_id"] == "d"  # b waits for a, whoever asks


def test_a_supervisor_refused_a_claim_waits_and_goes_on(operator: Operator, tmp_path: Path) -> None:
    """Someone else (here the operator, by hand) holds a: the supervisor's claim of b is
    refused by the daemon, which it logs once and outlives; b runs once a has ended."""
    run_id = _prepared(operator, tmp_path)
    first = operator.claim_job(run_id, "a")
    log = tmp_path / "supervisor.log"
    with log.open("w") as sink, background_supervisor(operator, run_id, stderr=sink.fileno()):
        wait_until(
            lambda: "b: not claimed: b may not start while a runs" in log.read_text(),
            "the supervisor never tried b",
        )

        def states() -> dict[str, str]:
            return {j["job_id"]: j["state"] for j in operator.cli("status", run_id)["jobs"]}

        wait_until(lambda: states()["c"] == states()["d"] == "succeeded", "c and d never ran")
        assert states()["b"] == "ready"  # still waiting for a
        operator.cli("complete", "--lease", first["lease"]["lease_id"])
        wait_until(
            lambda: operator.cli("status", run_id)["run"]["state"] == "succeeded",
            "b never ran after a ended",
        )
    assert log.read_text().count("b: not claimed") == 1  # said once, not at every read
