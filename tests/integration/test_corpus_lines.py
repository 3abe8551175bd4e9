"""Bundle lines of v2 records are anchored end to end: each keeps its exact canonical text, so
changing any line's record, or a payload that was not redacted, fails both verifiers at that
line, even when the attacker also rewrites the manifest and SHA256SUMS to match."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from striatum.corpus import verify
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import (
    bundle_lines,
    register_repo,
    reseal_bundle,
    write_bundle,
)

STANDALONE = Path(__file__).parents[2] / "scripts" / "verify_corpus.py"
# run-1 and run-2 interleave; two of run-1's payloads hold a secret the repository redacts.
EVENTS = [("run-2", {"n": 0})] + [
    (f"run-{1 + n % 2}", {"n": n, "note": "secret-key" if n in (2, 6) else "ok"})
    for n in range(1, 9)
]


@pytest.fixture
def exported(runtime: db.Conn, tmp_path: Path) -> Path:
    register_repo(runtime)
    for run_id, payload in EVENTS:
        db.in_transaction(
            runtime,
            lambda c, r=run_id, p=payload: chains.append_event(  # type: ignore[misc]
                c, repo_id="r1", type="job.succeeded", actor="lane:x", payload=p, run_id=r
            ),
        )
    assert write_bundle(runtime, "r1", tmp_path / "b", run_id="run-1") == {"repo_pattern_1": 2}
    return tmp_path / "b"


def _both(folder: Path) -> tuple[str | None, str]:
    theirs = subprocess.run(
        [sys.executable, str(STANDALONE), str(folder)], capture_output=True, text=True, check=False
    )
    return verify.first_failure(folder), theirs.stdout


def test_every_line_of_a_redacted_run_bundle_is_anchored(exported: Path) -> None:
    lines = bundle_lines(exported)
    assert len(lines) == 7 and all("canonical" in line for line in lines)  # seq 3..9
    shapes = [
        sorted(set(line) - {"seq", "previous_hash", "row_hash", "canonical"}) for line in lines
    ]
    assert shapes.count(["payload", "redacted"]) == 2 and shapes.count(["omitted"]) == 3
    assert b"secret-key" not in (exported / "events.jsonl").read_bytes()
    assert _both(exported) == (None, f"{exported}: ok\n")


# Lines 1..7 are seq 3..9: run-1's at 1, 3, 5, 7 (1 and 5 redacted), run-2's omitted between.
CHANGES = [("canonical", index) for index in range(7)] + [("payload", 2), ("payload", 6)]


@pytest.mark.parametrize(("part", "index"), CHANGES)
def test_changing_any_line_fails_both_verifiers_at_that_line(
    exported: Path, part: str, index: int
) -> None:
    lines = bundle_lines(exported)
    line = lines[index]
    if part == "canonical":
        line["canonical"] = str(line["canonical"]).replace("lane:x", "lane:y")
    else:
        assert "redacted" not in line
        line["payload"] = {**line["payload"], "n": 42}  # type: ignore[dict-item]
    reseal_bundle(exported, lines)
    ours, theirs = _both(exported)
    where = f"events.jsonl line {index + 1} (seq {index + 3})"
    assert ours is not None and ours.startswith(where), ours
    assert f"BROKEN: {where}" in theirs, theirs
