"""Deep or huge JSON, in a workflow file or an RPC frame: a validation or protocol error
naming what is wrong, never an internal error, and the daemon serves on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from striatum import errors
from striatum.model.bounded_json import MAX_DEPTH
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import example, new_repo

DEEP = 100_000
VALIDATION = errors.EXIT_CODES["validation"]


def hostile_workflows(folder: Path) -> dict[str, tuple[Path, str]]:
    """Copies of a valid example with a 100,000-deep value or a 5,000-digit integer spliced
    into a field: {name: (workflow file, the JSON path the error must name)}."""
    source = example("minimal-flow").parent
    document = json.loads((source / "workflow.json").read_text())
    first = dict(document["jobs"][0], x="SPLICE")
    text = json.dumps(dict(document, jobs=[first, *document["jobs"][1:]]))
    found = {}
    for name, value in {"deep": "[" * DEEP + "]" * DEEP, "huge": "9" * 5000}.items():
        target = shutil.copytree(source, folder / name)
        (target / "workflow.json").write_text(text.replace('"SPLICE"', value))
        found[name] = (target / "workflow.json", "$.jobs[0].x")
    return found


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return hostile_workflows(tmp_path_factory.mktemp("bounded"))


def assert_clean_validation_error(result_stderr: str, returncode: int, path: str) -> None:
    assert returncode == VALIDATION, result_stderr
    assert path in result_stderr
    assert "Traceback" not in result_stderr and "internal error" not in result_stderr


@pytest.mark.parametrize("name", ["deep", "huge"])
def test_workflow_validate_refuses_unbounded_json_with_exit_3_and_the_path(
    shared_daemon: DaemonUnderTest, workflows: dict[str, tuple[Path, str]], name: str
) -> None:
    file, path = workflows[name]
    result = shared_daemon.cli("workflow", "validate", str(file))
    assert_clean_validation_error(result.stderr, result.returncode, path)
    expected = f"nesting deeper than {MAX_DEPTH} levels" if name == "deep" else "64-bit range"
    assert expected in result.stderr
    assert f"{file}: error: {path}" in result.stderr


@pytest.mark.parametrize("name", ["deep", "huge"])
def test_run_prepare_refuses_unbounded_json_with_exit_3_and_the_path(
    shared_daemon: DaemonUnderTest,
    workflows: dict[str, tuple[Path, str]],
    tmp_path: Path,
    name: str,
) -> None:
    file, path = workflows[name]
    repo = new_repo(tmp_path)
    assert shared_daemon.cli("--repo", str(repo), "adopt").returncode == 0
    result = shared_daemon.cli("--repo", str(repo), "run", "prepare", "--workflow", str(file))
    assert_clean_validation_error(result.stderr, result.returncode, path)
    as_json = shared_daemon.cli(
        "--repo", str(repo), "run", "prepare", "--workflow", str(file), "--json"
    )
    assert as_json.returncode == VALIDATION
    assert path in as_json.stderr


def frame(params_json: str, request_id: str) -> bytes:
    head = json.dumps({"v": 1, "id": request_id, "method": "whoami", "token": None})
    return (head[:-1] + ', "params": ' + params_json + "}\n").encode()


@pytest.mark.parametrize(
    ("params_json", "problem"),
    [
        ("[" * DEEP + "]" * DEEP, f"nesting deeper than {MAX_DEPTH} levels"),
        ('{"n": ' + "9" * 5000 + "}", "outside the 64-bit range"),
        ('{"n": 1e999}', "too large for a double"),
        ('{"n": NaN}', "NaN is not a JSON number"),
    ],
    ids=["deep", "huge-int", "huge-float", "nan"],
)
def test_an_unbounded_rpc_frame_gets_a_protocol_error_and_the_next_request_is_served(
    shared_daemon: DaemonUnderTest, params_json: str, problem: str
) -> None:
    token = shared_daemon.token("operator")
    follow = json.dumps(
        {"v": 1, "id": "next", "method": "whoami", "params": {}, "token": token}
    ).encode()
    answers = [
        json.loads(line)
        for line in shared_daemon.rpc(frame(params_json, "bad") + follow + b"\n").splitlines()
    ]
    assert len(answers) == 2, answers
    refused, served = answers
    assert refused["ok"] is False and refused["error"]["code"] == "protocol"
    # a refused number leaves the id readable; a frame too deep to parse has none
    assert refused["id"] == (None if problem.startswith("nesting") else "bad")
    assert problem in refused["error"]["message"]
    assert errors.from_dict(refused["error"]).exit_code == errors.EXIT_CODES["protocol"] == 16
    assert served["id"] == "next" and served["ok"] is True
    assert served["result"]["role"] == "operator"
