"""Regressions from the run engine's review: each was a real failure before its fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def test_parallel_reviews_asking_for_revisions_rerun_every_review(operator: Operator) -> None:
    run_id = operator.prepare(example("rfc-ledger-cleanup"))
    rfc = operator.claim(run_id)
    assert rfc is not None
    operator.do_work(rfc)
    operator.cli("complete", "--lease", rfc["lease"]["lease_id"])
    reviews = [operator.claim(run_id) for _ in range(3)]
    assert all(reviews)
    operator.plan = {"review-1": "needs_revision,accept", "review-2": "needs_revision,accept"}
    first = next(r for r in reviews if r and r["job"]["job_id"] == "review-1")
    operator.do_work(first)
    operator.cli("complete", "--lease", first["lease"]["lease_id"])
    stale = next(r for r in reviews if r and r["job"]["job_id"] == "review-2")
    late = operator.daemon.cli("complete", "--lease", stale["lease"]["lease_id"])
    assert late.returncode == 5 and "has ended (cancelled)" in late.stderr
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    attempts = {j["job_id"]: j["attempt"] for j in status["jobs"]}
    assert attempts["rfc"] == 2
    assert attempts["review-2"] >= 2 and attempts["review-3"] >= 2  # they judged attempt 2


def test_releases_do_not_use_up_attempts(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    for _ in range(3):
        packet = operator.claim(run_id)
        assert packet is not None
        operator.cli("release", "--lease", packet["lease"]["lease_id"])
    for _ in range(2):
        packet = operator.claim(run_id)
        assert packet is not None
        operator.cli("fail", "--lease", packet["lease"]["lease_id"], "--reason", "flaky")
    assert operator.cli("status", "--run-id", run_id)["jobs"][0]["state"] == "ready"


def test_an_operator_cannot_requeue_past_an_open_escalation(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    for _ in range(3):
        packet = operator.claim(run_id)
        assert packet is not None
        operator.cli("fail", "--lease", packet["lease"]["lease_id"], "--reason", "boom")
    denied = operator.daemon.cli("recovery", "requeue", "--run-id", run_id, "--job", "draft")
    assert denied.returncode == 6  # requeue is `run retry --from`: the principal's
    refused = operator.daemon.cli(
        "--as", "principal", "recovery", "requeue", "--run-id", run_id, "--job", "draft"
    )
    assert refused.returncode == 5 and "escalation resolve" in refused.stderr


def test_a_verdict_file_changed_after_publishing_is_not_believed(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    draft = operator.claim(run_id)
    assert draft is not None
    operator.do_work(draft)
    operator.cli("complete", "--lease", draft["lease"]["lease_id"])
    review = operator.claim(run_id)
    assert review is not None
    operator.do_work(review)  # front matter: verdict accept
    path = review["expected_artifacts"][0]["path"]
    operator.cli("publish-artifact", "--lease", review["lease"]["lease_id"], "--path", path)
    (operator.repo / path).write_text("---\nverdict: reject\n---\nswapped\n")
    result = operator.daemon.cli("complete", "--lease", review["lease"]["lease_id"])
    assert result.returncode == 3 and "gave no verdict" in result.stderr
    assert "changed since it was published" in result.stderr


def test_a_symlink_to_elsewhere_in_the_repository_is_refused(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    (operator.repo / "src").mkdir()
    (operator.repo / "src" / "secret.py").write_text("x = 1\n")
    scope = operator.repo / "docs" / "striatum"
    scope.mkdir(parents=True)
    os.symlink("../../src/secret.py", scope / "evil.md")
    result = operator.daemon.cli(
        "publish-artifact",
        "--lease",
        packet["lease"]["lease_id"],
        "--path",
        "docs/striatum/evil.md",
    )
    assert result.returncode == 3 and "outside the job's write scope" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("list", "runs", "--limit", "-1"),
        ("recovery", "sweep", "--limit", "0"),
    ],
)
def test_bad_limits_are_validation_errors(operator: Operator, args: tuple[str, ...]) -> None:
    result = operator.daemon.cli(*args)
    assert result.returncode == 3, result.stderr


def test_a_too_long_artifact_name_is_a_clear_error(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    result = operator.daemon.cli(
        "publish-artifact",
        "--lease",
        packet["lease"]["lease_id"],
        "--path",
        "docs/striatum/" + "x" * 300 + ".md",
    )
    assert result.returncode in (3, 4) and "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
