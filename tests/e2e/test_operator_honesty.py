"""Operator mode: one AI session may claim both a draft and its review. Sessions declare the
provider they are, claims record it, the co-blindness rule holds against what actually
happened, and verdicts say who really reviewed whom."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _session(operator: Operator, provider: str, model: str) -> str:
    opened: dict[str, Any] = operator.cli(
        "register-session", "--role", "operator", "--provider", provider, "--model", model
    )
    assert (opened["provider"], opened["model"]) == (provider, model)
    return str(opened["session_id"])


def _finish(operator: Operator, packet: dict[str, Any]) -> None:
    operator.do_work(packet)
    operator.cli("complete", "--lease", packet["lease"]["lease_id"])


def _claim(operator: Operator, session: str, run_id: str, *extra: str) -> dict[str, Any]:
    packet: dict[str, Any] = operator.cli(
        "claim-next", "--session", session, "--run-id", run_id, *extra
    )
    return packet


def _verdict(operator: Operator, run_id: str) -> dict[str, Any]:
    (verdict,) = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    return dict(verdict)


def test_a_claude_session_may_not_review_its_own_draft_but_a_codex_session_may(
    operator: Operator,
) -> None:
    run_id = operator.prepare(example("review-flow"))
    claude = _session(operator, "claude_code", "claude-opus-4")
    draft = _claim(operator, claude, run_id, "--job", "draft")
    assert draft["worker"] == {
        "provider": "claude_code",
        "model": "claude-opus-4",
        "provider_source": "session",
    }
    _finish(operator, draft)

    refused = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "claim-next",
        "--session",
        claude,
        "--run-id",
        run_id,
        "--job",
        "review",
        "--json",
    )
    assert refused.returncode == 5, refused.stderr
    assert "review review judges draft, which was done by claude_code" in refused.stderr
    assert "allow_same_provider: true" in refused.stderr and "hint:" in refused.stderr

    skipped = _claim(operator, claude, run_id)
    assert skipped["claimed"] is False
    assert "co-blindness" in skipped["reason"] and "review" in skipped["reason"]
    assert skipped["skipped"] == [{"run_id": run_id, "job_id": "review"}]

    codex = _session(operator, "codex", "gpt-5-codex")
    review = _claim(operator, codex, run_id)
    assert review["job"]["job_id"] == "review"
    _finish(operator, review)
    verdict = _verdict(operator, run_id)
    assert (verdict["reviewer_provider"], verdict["reviewer_model"]) == ("codex", "gpt-5-codex")
    assert (verdict["author_provider"], verdict["author_model"]) == ("claude_code", "claude-opus-4")
    assert verdict["cross_provider"] is True
    leased = operator.cli("why", review["lease"]["lease_id"])["events"]
    claimed = next(e for e in leased if e["type"] == "job.leased")
    assert claimed["payload"]["provider"] == "codex"
    sessions = {s["session_id"]: s for s in operator.cli("list", "sessions")["sessions"]}
    assert (sessions[claude]["provider"], sessions[claude]["model"]) == (
        "claude_code",
        "claude-opus-4",
    )


def test_the_refusal_is_the_documented_conflict_shape(operator: Operator) -> None:
    """Over RPC: code `conflict` (exit 5), details naming the job, provider and gate option."""
    run_id = operator.prepare(example("review-flow"))
    claude = _session(operator, "claude_code", "claude-opus-4")
    _finish(operator, _claim(operator, claude, run_id, "--job", "draft"))
    frame = {
        "v": 1,
        "id": "r1",
        "method": "claim-next",
        "token": operator.daemon.token("operator"),
        "params": {"session": claude, "run_id": run_id, "job": "review"},
    }
    response = json.loads(operator.daemon.rpc(json.dumps(frame).encode() + b"\n"))
    assert response["ok"] is False
    error = response["error"]
    assert error["code"] == "conflict" and error["hint"]
    assert error["details"] == {
        "job_id": "review",
        "target": "draft",
        "provider": "claude_code",
        "option": "review.allow_same_provider",
        "run_id": run_id,
    }


def test_a_transfer_cannot_hand_a_review_to_the_authors_provider(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    claude = _session(operator, "claude_code", "claude-opus-4")
    _finish(operator, _claim(operator, claude, run_id, "--job", "draft"))
    review = _claim(operator, _session(operator, "codex", "gpt-5-codex"), run_id)
    moved = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "lease",
        "transfer",
        "--lease",
        review["lease"]["lease_id"],
        "--session",
        claude,
    )
    assert moved.returncode == 5 and "co-blindness" in moved.stderr


def test_a_gate_allowing_the_same_provider_lets_one_session_do_both(
    operator: Operator,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "same-provider"
    shutil.copytree(example("review-flow").parent, folder)
    workflow = json.loads((folder / "workflow.json").read_text())
    review = next(j for j in workflow["jobs"] if j["id"] == "review")
    review["review"]["allow_same_provider"] = True
    (folder / "workflow.json").write_text(json.dumps(workflow))
    run_id = operator.prepare(folder / "workflow.json")
    operator.session = _session(operator, "claude_code", "claude-opus-4")
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    verdict = _verdict(operator, run_id)
    assert verdict["reviewer_provider"] == verdict["author_provider"] == "claude_code"
    assert verdict["cross_provider"] is False


def test_a_session_without_a_provider_records_the_lanes_as_before(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    status = operator.drive(run_id)  # one session, no provider: claims every job
    assert status["run"]["state"] == "succeeded", status
    verdict = _verdict(operator, run_id)
    assert (verdict["reviewer_provider"], verdict["reviewer_model"]) == (
        "command",
        "scripted-reviewer1",
    )
    assert (verdict["author_provider"], verdict["author_model"]) == ("command", "scripted-author")
    assert verdict["cross_provider"] is True
    assert all(c["worker"]["provider_source"] == "lane" for c in operator.claims)
    shown = operator.cli("job", "show", "--run-id", run_id, "--job", "draft")
    assert shown["attempts"][0]["provider_source"] == "lane"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--provider", "command"), 3),  # a command session names its model
        (("--provider", "vim"), 2),
    ],
)
def test_register_session_validates_the_provider(
    operator: Operator, args: tuple[str, ...], code: int
) -> None:
    result = operator.daemon.cli("register-session", "--role", "operator", *args)
    assert result.returncode == code, result.stderr
