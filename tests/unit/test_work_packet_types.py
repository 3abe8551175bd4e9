"""The work packet's types and the engine's typed reading of a run's workflow snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_type_hints

from striatum.engine import packets, snapshot
from striatum.lanes.assignment import Assignment
from striatum.model.engine.states import RunState
from striatum.model.packet import LaneSpec, WorkPacket
from striatum.model.workflow.schema import Lane, Workflow
from striatum.store.runs import Run

DOCUMENT: dict[str, Any] = {
    "schema_version": "striatum.workflow.v1",
    "id": "flow",
    "name": "Flow",
    "lanes": {"author": {"provider": "codex"}, "judge": {"provider": "claude_code"}},
    "jobs": [
        {
            "id": "draft",
            "kind": "task",
            "lane": "author",
            "artifacts": [{"path": "docs/striatum/a.md"}],
        },
        {
            "id": "check",
            "kind": "review",
            "lane": "judge",
            "depends_on": ["draft"],
            "review": {"target": "draft"},
        },
    ],
}


def _run(document: dict[str, Any], sha256: str) -> Run:
    """A run whose snapshot is `document` normalised as `run prepare` stores it."""
    normal = Workflow.model_validate(document).model_dump(mode="json", by_alias=True)
    return Run(
        run_id="run_1",
        repo_id="repo_1",
        repo_path="/tmp/repo",
        state=RunState.RUNNING,
        body={"workflow": normal, "files": {}},
        sha256=sha256,
        created_by="test",
        created_at=dt.datetime.now(dt.UTC),
        started_at=None,
        ended_at=None,
        ended_reason=None,
        workflow_path=None,
        notify_command=None,
    )


def test_lane_spec_names_every_field_of_the_lane_model_and_no_other() -> None:
    """The packet's `lane_spec` is the validated lane, whole: the TypedDict cannot drift."""
    assert list(get_type_hints(LaneSpec)) == list(Lane.model_fields)
    lane = Lane(provider="command", command=["run", "{prompt_file}"], env={"A": "b"})
    assert packets.lane_spec(lane) == lane.model_dump(mode="json")


def test_the_snapshot_is_read_through_the_model_with_its_defaults() -> None:
    run = _run(DOCUMENT, "sha-defaults")
    assert snapshot.gate(run, "check").max_revisions == 2
    assert snapshot.gate(run, "check").on_exhausted == "fail"
    lane = snapshot.lane_spec(run, "author")
    assert lane is not None and (lane.timeout_s, lane.max_concurrency) == (1800, 1)
    assert snapshot.lane_spec(run, None) is None
    assert snapshot.reviews_of(run, "draft") == ["check"]
    assert snapshot.expected_artifacts(run, "draft", 2) == [
        {
            "path": "docs/striatum/run_1/draft/attempt-2/a.md",
            "declared": "docs/striatum/a.md",
            "kind": "output",
            "required": True,
        }
    ]


def test_the_model_is_parsed_once_per_snapshot_hash() -> None:
    run = _run(DOCUMENT, "sha-once")
    assert snapshot.workflow(run) is snapshot.workflow(_run(DOCUMENT, "sha-once"))
    assert snapshot.workflow(run) is not snapshot.workflow(_run(DOCUMENT, "sha-other"))


def test_an_assignment_reads_the_packet_once_into_typed_values() -> None:
    lane: LaneSpec = packets.lane_spec(Lane(provider="codex", timeout_s=60))
    packet: WorkPacket = {
        "job": {
            "run_id": "run_1",
            "job_id": "draft",
            "kind": "task",
            "title": "",
            "lane": "author",
            "provider": "codex",
            "model": None,
            "attempt": 2,
            "max_attempts": 3,
        },
        "lease": {"lease_id": "lease_1", "expires_at": "2030-01-01 00:00:00+00:00", "ttl_s": 90},
        "token": "secret",
        "repo": "/tmp/repo",
        "prompt": "# draft\n",
        "inputs": [],
        "revision": None,
        "expected_artifacts": [
            {"path": "out/a.md", "declared": "a.md", "kind": "output", "required": True}
        ],
        "write_scope": ["out"],
        "forbidden_paths": ["secrets"],
        "context_docs": [],
        "under_review": None,
        "human_notes": [],
        "commands": packets.follow_ups("lease_1", "task", []),
        "lane_spec": lane,
        "workflow_dir": None,
        "artifact_root": "docs/striatum",
    }
    job = Assignment.from_packet(packet)
    assert (job.job_id, job.lane_name, job.attempt, job.lease_id) == (
        "draft",
        "author",
        2,
        "lease_1",
    )
    assert (job.output, job.write_scope, job.forbidden) == ("out/a.md", ("out",), ("secrets",))
    assert job.lane["timeout_s"] == 60 and job.ttl_s == 90
