"""What a claimed job's packet and prompt tell the agent: its lease and scope, the run's
context documents and forbidden paths, the human's notes, and the verdict format."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _flow(tmp_path: Path, name: str, change: Any) -> Path:
    folder = tmp_path / name
    shutil.copytree(example(name).parent, folder)
    shutil.copytree(example(name).parent.parent / "agents", tmp_path / "agents", dirs_exist_ok=True)
    document = json.loads((folder / "workflow.json").read_text())
    change(document)
    (folder / "workflow.json").write_text(json.dumps(document))
    return folder / "workflow.json"


def test_the_prompt_names_the_lease_scope_context_and_forbidden_paths(
    operator: Operator, tmp_path: Path
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["context_docs"] = ["ARCHITECTURE.md"]
        document["forbidden_paths"] = ["vendor"]

    run_id = operator.prepare(_flow(tmp_path, "minimal-flow", change))
    packet = operator.claim(run_id)
    assert packet is not None
    lease = packet["lease"]["lease_id"]
    prompt = packet["prompt"]
    assert f"- Lease: `{lease}` (also in $STRIATUM_LEASE)" in prompt
    assert f"- Run: `{run_id}`; job: `draft` (task), attempt 1 of" in prompt
    assert "- You may write only under: `docs/striatum`" in prompt
    assert "- Never change: `vendor`" in prompt
    assert "## Read first\n\n- `ARCHITECTURE.md`" in prompt
    assert packet["forbidden_paths"] == ["vendor"]
    assert packet["context_docs"] == ["ARCHITECTURE.md"]


def test_a_write_scope_narrower_than_the_artifact_root_holds_the_attempt_paths(
    operator: Operator, tmp_path: Path
) -> None:
    """Validation and runtime agree: the scope is moved to the attempt's folder, as the
    artifact is, so the job can publish what validation accepted."""

    def change(document: dict[str, Any]) -> None:
        document["jobs"][0]["write_scope"] = ["docs/striatum/draft.md"]

    run_id = operator.prepare(_flow(tmp_path, "minimal-flow", change))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    packet = operator.claims[0]
    assert packet["write_scope"] == [f"docs/striatum/{run_id}/draft/attempt-1/draft.md"]


def test_the_human_note_on_an_escalation_reaches_the_next_attempt(
    operator: Operator, tmp_path: Path
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["lanes"]["author"]["max_attempts"] = 1

    run_id = operator.prepare(_flow(tmp_path, "minimal-flow", change))
    first = operator.claim(run_id)
    assert first is not None
    operator.cli("fail", "--lease", first["lease"]["lease_id"], "--reason", "tests are red")
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    operator.cli(
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "retry",
        "--note",
        "Use the v2 API, not v1.",
        principal=True,
    )
    second = operator.claim(run_id)
    assert second is not None and second["job"]["attempt"] == 2
    assert "## From the human" in second["prompt"]
    assert "Use the v2 API, not v1." in second["prompt"]
    assert second["human_notes"][0]["note"] == "Use the v2 API, not v1."


def test_a_checkpoint_note_reaches_the_jobs_it_releases(operator: Operator) -> None:
    operator.choices = {}
    run_id = operator.prepare(example("human-checkpoint-flow"))
    while operator.step(run_id):
        pass
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    operator.cli(
        "checkpoint",
        "decide",
        "--blocker",
        blocker["blocker_id"],
        "--choice",
        "continue",
        "--note",
        "Ship it, but mention the rate limit.",
        principal=True,
    )
    packet = operator.claim(run_id)
    assert packet is not None and packet["job"]["job_id"] == "publish"
    assert "Ship it, but mention the rate limit." in packet["prompt"]


def _claimed_review(operator: Operator) -> dict[str, Any]:
    """The review-flow example with its draft done and its review claimed."""
    run_id = operator.prepare(example("review-flow"))
    draft = operator.claim(run_id)
    assert draft is not None
    operator.do_work(draft)
    operator.cli("complete", "--lease", draft["lease"]["lease_id"])
    review = operator.claim(run_id)
    assert review is not None and review["job"]["kind"] == "review"
    return review


def test_a_review_prompt_shows_the_verdict_format_the_parser_reads(operator: Operator) -> None:
    review = _claimed_review(operator)
    assert "---\nverdict: accept | needs_revision | reject\n---" in review["prompt"]
    assert review["under_review"]["job_id"] == "draft"
    assert "## Under review" in review["prompt"]


def test_a_malformed_verdict_is_refused_naming_the_line(operator: Operator) -> None:
    review = _claimed_review(operator)
    path = operator.repo / review["expected_artifacts"][0]["path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\nverdict: looks-good\n---\nfine\n")
    result = operator.daemon.cli(
        "--repo", str(operator.repo), "complete", "--lease", review["lease"]["lease_id"]
    )
    assert result.returncode == 3
    assert (
        "line 2: `verdict: looks-good` is not one of accept, needs_revision, reject"
        in result.stderr
    )


def _complete_with_commit(operator: Operator, commit: str) -> subprocess.CompletedProcess[str]:
    """The minimal flow's job, done, completed through the CLI naming `commit`."""
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    operator.do_work(packet)
    return operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "complete",
        "--lease",
        packet["lease"]["lease_id"],
        "--commit",
        commit,
    )


@pytest.mark.parametrize("commit", ["--output=/tmp/striatum-pwned", "HEAD", "abc", "g" * 40])
def test_complete_takes_only_a_commit_id(operator: Operator, commit: str) -> None:
    """The daemon later runs `git show` on it: an option-looking or symbolic value never gets
    there (a lane token holder must not make the daemon's git write a file)."""
    result = _complete_with_commit(operator, commit)
    assert result.returncode == 3 and "--commit must be a commit id" in result.stderr
    assert not Path("/tmp/striatum-pwned").exists()


def test_complete_refuses_a_commit_that_is_not_of_this_lease(operator: Operator) -> None:
    """The commit is shown to reviewers as this attempt's work: it must carry the lease's
    trailer (the supervisor's commit), not be any commit of the repository."""
    subprocess.run(
        [
            "git",
            "-C",
            str(operator.repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "unrelated",
        ],
        check=True,
    )
    sha = subprocess.run(
        ["git", "-C", str(operator.repo), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    result = _complete_with_commit(operator, sha)
    assert result.returncode == 3 and "is not a commit of this lease" in result.stderr


def test_the_human_note_on_a_revision_bound_reaches_the_revised_author(
    operator: Operator,
) -> None:
    """The gate ran out of revisions; the human says `revise`, with a note: the author's
    next attempt reads it."""
    operator.plan = {"code-review": "needs_revision"}
    run_id = operator.prepare(example("code-change-flow"))
    (blocker,) = operator.drive(run_id)["open_blockers"]
    assert blocker["reason_kind"] == "revision_bound"
    operator.cli(
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "revise",
        "--note",
        "Keep the public API; only fix the retry bound.",
        principal=True,
    )
    packet = operator.claim(run_id)
    assert packet is not None and packet["job"]["job_id"] == "change"
    assert "Keep the public API; only fix the retry bound." in packet["prompt"]


def test_the_inputs_are_what_the_parents_current_attempts_published_parent_by_parent(
    operator: Operator, tmp_path: Path
) -> None:
    """Read with the claim's own statement: parent by parent in the order the job names them,
    each parent's oldest first, and never what a parent's failed attempt published."""
    lanes = {"work": {"provider": "command", "command": ["true"]}}
    workflow = task_workflow(
        tmp_path, "inputs", lanes, [("a", "work", []), ("b", "work", []), ("c", "work", ["b", "a"])]
    )
    run_id = operator.prepare(workflow)

    def publish(packet: dict[str, Any], name: str) -> str:
        path = f"docs/striatum/{name}.md"
        (operator.repo / path).parent.mkdir(parents=True, exist_ok=True)
        (operator.repo / path).write_text(f"{name}\n")
        published = operator.cli(
            "publish-artifact", "--lease", packet["lease"]["lease_id"], "--path", path
        )
        return str(published["artifact_id"])

    a = operator.claim_job(run_id, "a")
    a_first, a_second = publish(a, "a-first"), publish(a, "a-second")
    operator.cli("complete", "--lease", a["lease"]["lease_id"])
    b = operator.claim_job(run_id, "b")
    publish(b, "b-failed")
    operator.cli("fail", "--lease", b["lease"]["lease_id"], "--reason", "try again")
    b = operator.claim_job(run_id, "b")
    assert b["job"]["attempt"] == 2
    b_kept = publish(b, "b-kept")
    operator.cli("complete", "--lease", b["lease"]["lease_id"])

    c = operator.claim_job(run_id, "c")
    assert [(i["job_id"], i["attempt"], i["path"], i["artifact_id"]) for i in c["inputs"]] == [
        ("b", 2, "docs/striatum/b-kept.md", b_kept),
        ("a", 1, "docs/striatum/a-first.md", a_first),
        ("a", 1, "docs/striatum/a-second.md", a_second),
    ]
    assert all(len(i["sha256"]) == 64 for i in c["inputs"])
