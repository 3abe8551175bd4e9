"""Every read page through the Starlette test client, against a real daemon."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from bench.scratch import tree_dag
from striatum import errors
from striatum.web.app import WebConfig, create_app
from striatum.web.security import CSP
from tests.support import rpc
from tests.support.operator import Operator, example


def _publish(operator: Operator, run_id: str, text: str) -> str:
    """Claim the run's next job, write `text` as its output, complete it; the artifact id."""
    packet = operator.claim(run_id)
    assert packet is not None
    for expected in packet["expected_artifacts"]:
        target = operator.repo / expected["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    operator.cli("complete", "--lease", packet["lease"]["lease_id"])
    shown = rpc.call("job.show", run_id=run_id, job=packet["job"]["job_id"])
    artifact_id: str = shown["artifacts"][0]["artifact_id"]
    return artifact_id


def test_runs_list_shows_runs_and_filters_them(operator: Operator, reader: TestClient) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    page = reader.get("/")
    assert page.status_code == 200 and run_id in page.text and "minimal-flow" in page.text
    assert str(operator.repo) in page.text
    assert run_id not in reader.get("/?state=succeeded").text
    assert run_id in reader.get("/?state=running&workflow=MINIMAL").text
    assert run_id not in reader.get("/?workflow=nothing-like-it").text
    assert run_id not in reader.get("/?repo=/elsewhere").text
    refused = reader.get("/?state=exploded")
    assert refused.status_code == 400 and "unknown run state" in refused.text


def test_run_page_draws_the_graph_with_states_back_edges_and_branches(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    page = reader.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert '<svg class="graph"' in page.text
    assert 'data-job="draft" data-state="ready"' in page.text
    assert 'data-job="publish" data-state="pending"' in page.text
    assert 'class="back-edge"' in page.text and "revise ≤1" in page.text
    assert ">continue</text>" in page.text  # the checkpoint branch is labelled
    assert f'data-live="/live?run_id={run_id}&amp;after=' in page.text
    assert "striatum claim-next" in page.text  # next actions
    fragment = reader.get(f"/runs/{run_id}?fragment=1")
    assert "<html" not in fragment.text and '<svg class="graph"' in fragment.text


def test_job_page_shows_attempts_lease_artifacts_and_events(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    job_id = packet["job"]["job_id"]
    page = reader.get(f"/runs/{run_id}/jobs/{job_id}")
    assert page.status_code == 200
    assert packet["lease"]["lease_id"] in page.text and "heartbeat" in page.text
    assert "job.leased" in page.text
    operator.do_work(packet)
    operator.cli("complete", "--lease", packet["lease"]["lease_id"])
    page = reader.get(f"/runs/{run_id}/jobs/{job_id}")
    assert 'data-state="succeeded"' in page.text or ">succeeded<" in page.text
    assert "/artifacts/art_" in page.text


def test_artifact_page_renders_markdown_with_its_hash_and_recording_event(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    artifact_id = _publish(operator, run_id, "# Findings\n\n- **one** thing\n")
    detail = rpc.call("artifact.show", artifact=artifact_id)
    page = reader.get(f"/artifacts/{artifact_id}")
    assert page.status_code == 200
    assert "<h1>Findings</h1>" in page.text and "<strong>one</strong>" in page.text
    assert detail["artifact"]["sha256"] in page.text
    assert "artifact.published" in page.text and detail["recorded_by"]["row_hash"] in page.text


def test_an_artifact_cannot_inject_script_or_javascript_links(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    hostile = (
        "# Hi\n\n<script>alert('owned')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [fine](https://example.org)\n"
    )
    page = reader.get(f"/artifacts/{_publish(operator, run_id, hostile)}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "<img src=x" not in page.text and 'href="javascript:' not in page.text
    assert '<a href="https://example.org">fine</a>' in page.text
    assert page.headers["content-security-policy"] == CSP


def test_unknown_ids_and_paths_give_clear_error_pages(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    for path, words in [
        ("/runs/run_nope", "no run"),
        ("/artifacts/art_nope", "no artifact"),
        (f"/runs/{run_id}/jobs/nope", "no job"),
        ("/nowhere", "no such page"),
        ("/live?after=-3", "non-negative"),
        ("/runs/" + "x" * 100, "longer than 64"),
        ("/artifacts/a%00b", "contains a NUL"),
    ]:
        page = reader.get(path)
        assert page.status_code in (400, 404), path
        assert words in page.text and "Traceback" not in page.text, path


def test_every_response_is_guarded_and_foreign_hosts_are_refused(reader: TestClient) -> None:
    for path in ("/", "/inbox", "/doctor", "/static/style.css", "/nowhere"):
        headers = reader.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"]
    rebound = reader.get("/", headers={"host": "evil.example:8765"})
    assert rebound.status_code == 400 and "Host" in rebound.text
    assert "<script>" not in reader.get("/").text.replace(
        '<script src="/static/live.js" defer></script>', ""
    )


def test_a_non_loopback_host_is_refused() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.org", "::"):
        try:
            create_app(WebConfig(host=host))
        except errors.UsageError as error:
            assert error.exit_code == 2
        else:
            raise AssertionError(f"{host} was accepted")
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        create_app(WebConfig(host=host))


def test_inbox_lists_what_waits_with_its_options(operator: Operator, reader: TestClient) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.drive(run_id)  # stops at the checkpoint: nobody decides it
    page = reader.get("/inbox")
    assert page.status_code == 200 and "Publish the reviewed proposal?" in page.text
    assert "options: cancel, continue" in page.text
    assert "<form" not in page.text  # read-only: no buttons


def test_doctor_page_shows_both_chains_and_a_broken_one_in_red(
    operator: Operator, reader: TestClient
) -> None:
    operator.prepare(example("minimal-flow"))
    page = reader.get("/doctor")
    assert page.status_code == 200 and "all checks hold" in page.text
    assert "<code>audit</code>" in page.text and "repo:" in page.text
    assert operator.daemon.database is not None
    with psycopg.connect(operator.daemon.database.admin_conninfo, autocommit=True) as conn:
        original = conn.execute("SELECT canonical FROM striatumd.events WHERE seq = 2").fetchone()
        assert original is not None
        conn.execute("ALTER TABLE striatumd.events DISABLE TRIGGER USER")
        conn.execute(
            "UPDATE striatumd.events SET canonical = canonical || '\\x20'::bytea WHERE seq = 2"
        )
        try:
            broken = reader.get("/doctor")
        finally:
            conn.execute("UPDATE striatumd.events SET canonical = %s WHERE seq = 2", original)
            conn.execute("ALTER TABLE striatumd.events ENABLE TRIGGER USER")
    assert "BROKEN" in broken.text and 'class="chain-broken"' in broken.text
    assert "seq 2:" in broken.text


def test_a_200_job_run_page_draws_every_job_in_its_own_box(
    operator: Operator, reader: TestClient, tmp_path: Path
) -> None:
    workflow = tmp_path / "workflow.json"
    workflow.write_text(json.dumps(tree_dag(200, 4, {"provider": "command", "command": ["true"]})))
    run_id = operator.prepare(workflow)
    started = time.monotonic()
    page = reader.get(f"/runs/{run_id}")
    assert page.status_code == 200 and time.monotonic() - started < 10
    boxes = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', page.text)
    assert len(boxes) == 200 and len(set(boxes)) == 200
    assert page.text.count('class="edge"') == 199


def test_without_a_daemon_pages_say_so_with_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIATUM_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("STRIATUM_TOKEN", raising=False)
    app = create_app(WebConfig(port=8765))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/")
    assert page.status_code == 503 and "no daemon is answering" in page.text
    assert "striatum daemon start" in page.text


def test_a_run_over_its_budget_shows_what_it_used_and_waits_in_the_inbox(
    operator: Operator, reader: TestClient
) -> None:
    operator.cli("adopt")
    run_id = operator.cli(
        "run", "prepare", "--workflow", str(example("minimal-flow")), "--budget-usd", "0.10"
    )["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    operator.session = operator.cli("register-session", "--role", "operator")["session_id"]
    packet = operator.claim(run_id)
    assert packet is not None
    operator.cli(
        "report-usage",
        "--lease",
        packet["lease"]["lease_id"],
        "--cost-usd",
        "0.25",
        "--input-tokens",
        "1200",
        "--output-tokens",
        "300",
    )
    page = reader.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "1,500 tokens, $0.25" in page.text
    assert "$0.25 of $0.10 spent: reached, the run waits for the principal" in page.text
    inbox = reader.get("/inbox")
    assert "budget</strong> of" in inbox.text and "run budget --run-id" in inbox.text
