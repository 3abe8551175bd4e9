"""Corpus bundles: replay-stable, verified offline by two verifiers, redacted, tamper-evident."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo

ROOT = Path(__file__).parents[2]
STANDALONE = ROOT / "scripts" / "verify_corpus.py"
BIN = Path(sys.executable).parent
SECRETS = {
    "anthropic": "sk-ant-api03-" + "A" * 40,
    "aws": "AKIA" + "Q" * 16,
    "github": "ghp_" + "b" * 36,
    "env": "DATABASE_PASSWORD=hunter2hunter2",
    "pattern": "project-zeta-internal",
}


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def verify_both(operator: Operator, bundle: Path) -> tuple[int, int]:
    ours = operator.daemon.cli("corpus", "verify", str(bundle))
    theirs = subprocess.run(
        [sys.executable, str(STANDALONE), str(bundle)], capture_output=True, text=True, check=False
    )
    return ours.returncode, theirs.returncode


def export(operator: Operator, run_id: str, out: Path) -> dict[str, object]:
    result: dict[str, object] = operator.cli(
        "corpus",
        "export",
        "--run-id",
        run_id,
        "--out",
        str(out),
        "--include-content",
        principal=True,
    )
    return result


@pytest.fixture
def finished(operator: Operator) -> str:
    run_id = operator.prepare(example("code-change-flow"))
    operator.plan = {"code-review": "needs_revision,accept"}
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    return run_id


def test_a_finished_run_exports_byte_identically_and_verifies(
    operator: Operator, finished: str, tmp_path: Path
) -> None:
    export(operator, finished, tmp_path / "a")
    export(operator, finished, tmp_path / "b")
    for name in sorted(p.name for p in (tmp_path / "a").iterdir()):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=tmp_path / "a",
        capture_output=True,
        text=True,
        check=False,
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert verify_both(operator, tmp_path / "a") == (0, 0)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["counts"]["verdicts"] == 2 and manifest["scope"]["run_id"] == finished
    # Who did each attempt travels with the evidence (the lanes' providers here: the
    # operator session declared none).
    attempts = [
        json.loads(line) for line in (tmp_path / "a" / "attempts.jsonl").read_text().splitlines()
    ]
    assert {a["provider"] for a in attempts} == {"command"}
    assert all({"model", "provider_source", "commit_sha"} <= set(a) for a in attempts)


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        "flip:events.jsonl",
        "flip:jobs.jsonl",
        "flip:manifest.json",
        "flip:SHA256SUMS",
        "drop-event",
        "reorder-events",
        "edit-manifest",
        "resum-after-edit",
    ],
)
def test_tampering_is_caught_by_both_verifiers(
    operator: Operator, finished: str, tmp_path: Path, damage: str
) -> None:
    bundle = tmp_path / "bundle"
    export(operator, finished, bundle)
    events = bundle / "events.jsonl"
    if damage.startswith("flip:"):
        _flip(bundle / damage.split(":")[1])
    elif damage == "drop-event":
        lines = events.read_text().splitlines(keepends=True)
        events.write_text("".join(lines[:3] + lines[4:]))
    elif damage == "reorder-events":
        lines = events.read_text().splitlines(keepends=True)
        lines[2], lines[3] = lines[3], lines[2]
        events.write_text("".join(lines))
    else:
        manifest = json.loads((bundle / "manifest.json").read_text())
        manifest["counts"]["runs"] = 7
        (bundle / "manifest.json").write_text(json.dumps(manifest))
        if damage == "resum-after-edit":  # even with SHA256SUMS rewritten to match
            subprocess.run(
                "sha256sum *.jsonl manifest.json > SHA256SUMS", shell=True, cwd=bundle, check=True
            )
    ours, theirs = verify_both(operator, bundle)
    assert ours == 8 and theirs == 1


def test_planted_secrets_never_reach_the_bundle(operator: Operator, tmp_path: Path) -> None:
    (operator.repo / ".striatum-redact").write_text("# ours\nproject-zeta-\\w+\n")
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "prompt.md").write_text(f"Use {SECRETS['anthropic']} for {SECRETS['pattern']}\n")
    script = (
        f"echo 'log {SECRETS['aws']}'; echo 'err {SECRETS['github']}' >&2; "
        f"printf '# out\\n{SECRETS['env']}\\n' > \"$STRIATUM_OUTPUT\""
    )
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "leaky",
                "name": "Leaky",
                "lanes": {
                    "agent": {
                        "provider": "command",
                        "command": ["sh", "-c", script],
                        "max_attempts": 2,
                    }
                },
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "agent",
                        "prompt": "prompt.md",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(folder / "workflow.json"))["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    session = operator.cli("register-session", "--role", "operator")["session_id"]
    first = operator.cli("claim-next", "--session", session, "--run-id", run_id)
    operator.cli(
        "fail",
        "--lease",
        first["lease"]["lease_id"],
        "--reason",
        f"leaked {SECRETS['anthropic']} from /root/.config",
    )
    supervised = subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env=operator.daemon.env,
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert supervised.returncode == 0, supervised.stderr
    scratch = operator.repo / ".striatum" / "runs" / run_id
    assert not (scratch / ".next").exists()  # the supervisor took its spare folder away
    spare = scratch / ".next" / "attempt-1"  # as one that died would leave it: no attempt's
    spare.mkdir(parents=True)
    (spare / "prompt.md").write_text("a spare folder's prompt\n")
    bundle = tmp_path / "bundle"
    result = export(operator, run_id, bundle)
    everything = b"".join(p.read_bytes() for p in bundle.iterdir())
    assert b"a spare folder" not in everything and b"draft/attempt-2/prompt.md" in everything
    for name, secret in SECRETS.items():
        assert secret.encode() not in everything, name
    assert b"/root/.config" not in everything
    counted = result["redactions"]
    assert isinstance(counted, dict)
    assert {
        "anthropic_key",
        "aws_access_key",
        "github_token",
        "secret_assignment",
        "repo_pattern_1",
        "home_path",
    } <= set(counted)
    assert verify_both(operator, bundle) == (0, 0)  # redacted events still verify
    redacted = [
        json.loads(line)
        for line in (bundle / "events.jsonl").read_text().splitlines()
        if "redacted" in line
    ]
    # Records v2: a redacted line keeps its exact canonical record (which holds only the
    # payload's digest) and carries the redacted payload beside it, naming the rules applied.
    assert redacted and all(
        {"canonical", "payload"} <= set(r) and r["redacted"]["rules"] for r in redacted
    )


def test_the_standalone_verifier_is_small_and_stdlib_only() -> None:
    import ast

    text = STANDALONE.read_text()
    assert len(text.splitlines()) < 160  # records v2 brought a 20-line RFC 8785 encoder
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported <= set(sys.stdlib_module_names)


def test_a_repository_export_of_5000_events_verifies(
    operator: Operator, daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    from bench.chain import load_events

    assert daemon.database is not None
    load_events(daemon.database, "big", 5000)
    bundle = tmp_path / "big"
    result = operator.cli(
        "corpus", "export", "--repo", "/bench/big", "--out", str(bundle), principal=True
    )
    assert result["events"] == 5000
    assert verify_both(operator, bundle) == (0, 0)


def test_one_flipped_byte_in_any_file_is_caught(
    operator: Operator, finished: str, tmp_path: Path
) -> None:
    import shutil

    pristine = tmp_path / "pristine"
    export(operator, finished, pristine)
    for file in sorted(p.name for p in pristine.iterdir()):
        if (pristine / file).stat().st_size == 0:
            continue  # an empty table has no byte to flip
        copy = tmp_path / f"copy-{file}"
        shutil.copytree(pristine, copy)
        _flip(copy / file)
        assert verify_both(operator, copy) == (8, 1), file


@pytest.mark.parametrize("damage", ["extra-sum", "omit-in-repo", "not-an-object", "two-kinds"])
def test_malformed_bundles_fail_cleanly_in_both_verifiers(
    operator: Operator, finished: str, tmp_path: Path, damage: str
) -> None:
    bundle = tmp_path / "bundle"
    export(operator, finished, bundle)
    events = bundle / "events.jsonl"
    if damage == "extra-sum":
        with open(bundle / "SHA256SUMS", "a") as handle:
            handle.write("0" * 64 + "  evil.sh\n")
    elif damage == "omit-in-repo":
        manifest = json.loads((bundle / "manifest.json").read_text())
        manifest["scope"] = {"kind": "repo", "repo_id": manifest["chain"]["repo_id"]}
        (bundle / "manifest.json").write_text(json.dumps(manifest))
    elif damage == "not-an-object":
        (bundle / "manifest.json").write_text("[1, 2]")
    else:
        lines = events.read_text().splitlines()
        first = json.loads(lines[0])
        first["omitted"] = "hidden"
        lines[0] = json.dumps(first)
        events.write_text("\n".join(lines) + "\n")
    ours = operator.daemon.cli("corpus", "verify", str(bundle))
    theirs = subprocess.run(
        [sys.executable, str(STANDALONE), str(bundle)], capture_output=True, text=True, check=False
    )
    assert (ours.returncode, theirs.returncode) == (8, 1)
    assert "Traceback" not in ours.stderr + theirs.stdout + theirs.stderr


def test_line_separators_inside_events_do_not_break_verification(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    operator.cli("run", "cancel", "--run-id", run_id, "--reason", "one\u2028two\u0085three")
    bundle = tmp_path / "bundle"
    export(operator, run_id, bundle)
    assert verify_both(operator, bundle) == (0, 0)
