"""End to end in a real headless Chromium (Debian's, driven by Playwright): the live run
page, deciding a checkpoint, an artifact, and screenshots of every page.

Screenshots go to the test's tmp dir; with STRIATUM_DOCS_SCREENSHOTS=1 they are also copied
to docs/screenshots/ (how the committed ones were made).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_supervisor import (
    _stub_workflow,
    background_supervisor,
    leased,
    supervise,
)
from tests.support import rpc
from tests.support.operator import Operator, commit_file, example
from tests.support.waiting import wait_until
from tests.support.web_server import CHROMIUM, chromium, serving

DOCS_SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser installed (.ci/run installs Debian's)"
)


@pytest.fixture
def web(operator: Operator) -> Iterator[str]:
    """`striatum serve --web --allow-mutations` on a free port; its base URL."""
    with serving(operator.daemon.env) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _shoot(page: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("STRIATUM_DOCS_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(exist_ok=True)
        shutil.copyfile(target, DOCS_SHOTS / target.name)


def _refuse(dialog: Any, seen: list[str]) -> None:
    """An alert() means a script ran: remember it, and dismiss it so the page goes on."""
    seen.append(dialog.message)
    dialog.dismiss()


def _node_state(page: Any, job: str, state: str) -> None:
    page.wait_for_selector(f'svg.graph a[data-job="{job}"][data-state="{state}"]', timeout=15000)


def test_a_running_run_updates_live_and_goes_on_after_a_checkpoint(
    operator: Operator, web: str, browser: Any
) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: _refuse(dialog, dialogs))
    page.goto(f"{web}/runs/{run_id}")
    _node_state(page, "draft", "ready")
    page.evaluate("window.__sameDocument = true")
    packet = operator.claim(run_id)
    assert packet is not None
    _node_state(page, "draft", "leased")  # changed colour without a reload
    assert page.evaluate("window.__sameDocument") is True
    operator.do_work(packet)
    operator.cli("complete", "--lease", packet["lease"]["lease_id"])
    operator.drive(run_id)  # review, then it stops at the checkpoint
    _node_state(page, "decide", "waiting")
    page.click('form.decide button[data-choice="continue"]')
    page.wait_for_selector("#confirm-question:text('continue')")
    page.click("#confirm-yes")
    assert page.inner_text("#flash") == "Checkpoint decided: continue."
    _node_state(page, "decide", "succeeded")
    _node_state(page, "publish", "ready")  # the run goes on
    operator.drive(run_id)
    page.goto(f"{web}/runs/{run_id}")
    page.wait_for_selector("#run-state:text('succeeded')", timeout=15000)
    assert dialogs == []


def test_a_supervised_run_decided_from_the_inbox_and_every_page(
    operator: Operator, web: str, browser: Any, tmp_path: Path
) -> None:
    """Real (scripted) agents under the supervisor; the human decides in the browser."""
    run_id = operator.prepare(example("human-checkpoint-flow"))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    with background_supervisor(operator, run_id):
        page.goto(f"{web}/runs/{run_id}")
        _node_state(page, "decide", "waiting")
        _shoot(page, tmp_path, "run")
        artifact = rpc.call("job.show", run_id=run_id, job="draft")["artifacts"][0]
        for name, path in [
            ("runs", "/"),
            ("job", f"/runs/{run_id}/jobs/draft"),
            ("artifact", f"/artifacts/{artifact['artifact_id']}"),
            ("doctor", "/doctor"),
            ("inbox", "/inbox"),
        ]:
            page.goto(f"{web}{path}")
            assert page.query_selector("section.error") is None, path
            _shoot(page, tmp_path, name)
        assert page.inner_text("#content").count("Publish the reviewed proposal?") == 1
        page.click('form.decide button[data-choice="continue"]')
        page.click("#confirm-yes")
        page.wait_for_url(f"{web}/inbox")
        page.goto(f"{web}/runs/{run_id}")
        page.wait_for_selector("#run-state:text('succeeded')", timeout=30000)


def test_an_artifact_script_never_runs(operator: Operator, web: str, browser: Any) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    hostile = (
        "# Proposal\n\nA plan with **care**.\n\n<script>window.__owned = 1</script>\n\n"
        '<img src=x onerror="window.__owned = 2">\n\n[x](javascript:window.__owned=3)\n'
    )
    target = operator.repo / packet["expected_artifacts"][0]["path"]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hostile)
    operator.cli("complete", "--lease", packet["lease"]["lease_id"])
    job_id = packet["job"]["job_id"]
    artifact = rpc.call("job.show", run_id=run_id, job=job_id)["artifacts"][0]
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: _refuse(dialog, dialogs))
    page.goto(f"{web}/artifacts/{artifact['artifact_id']}")
    assert page.inner_text("article.markdown h1") == "Proposal"
    assert "<script>" in page.inner_text("article.markdown")  # shown as text
    assert page.query_selector("article.markdown a") is None  # the javascript: link is text
    assert page.query_selector("article.markdown img") is None
    assert page.evaluate("typeof window.__owned") == "undefined" and dialogs == []


def test_cancelling_a_job_asks_first_and_then_says_it_was_done(
    operator: Operator, web: str, browser: Any
) -> None:
    run_id = operator.prepare(example("review-flow"))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(f"{web}/runs/{run_id}")
    page.click('tr[data-job="draft"] button.danger')
    assert page.inner_text("#confirm-question") == f"Cancel job draft of run {run_id}?"
    assert rpc.call("status", run_id=run_id)["jobs"][0]["state"] != "cancelled"
    page.click("#confirm-no")  # going back changes nothing
    page.wait_for_url(f"{web}/runs/{run_id}")
    assert page.query_selector("#flash") is None
    page.click('tr[data-job="draft"] button.danger')
    page.fill("input[name=reason]", "wrong prompt")
    page.click("#confirm-yes")
    page.wait_for_url(f"{web}/runs/{run_id}")
    assert page.inner_text("#flash") == "Job draft cancelled."
    _node_state(page, "draft", "cancelled")
    other = operator.prepare(example("minimal-flow"))
    page.goto(f"{web}/runs/{other}")
    page.click('button.danger:text("Cancel run")')
    page.click("#confirm-yes")
    assert page.inner_text("#flash") == f"Run {other} cancelled."
    page.wait_for_selector("#run-state:text('cancelled')")
    page.reload()
    assert page.query_selector("#flash") is None  # shown once


def test_a_review_artifact_shows_its_front_matter_as_a_table(
    operator: Operator, web: str, browser: Any
) -> None:
    run_id = operator.prepare(example("review-flow"))
    operator.drive(run_id)
    artifact = rpc.call("job.show", run_id=run_id, job="review")["artifacts"][0]
    page = browser.new_page()
    page.goto(f"{web}/artifacts/{artifact['artifact_id']}")
    assert page.inner_text("table.front-matter tr:has(th:text-is('verdict')) td") == "accept"
    headings = page.locator("article.markdown :is(h1, h2, h3)").all_inner_texts()
    assert not any("verdict" in heading for heading in headings)
    assert page.query_selector("article.markdown hr") is None


def test_the_run_page_shows_its_branch_and_commits_and_the_diff_of_what_it_changed(
    operator: Operator, web: str, browser: Any, tmp_path: Path
) -> None:
    commit_file(operator.repo, "README.md", "user's file\n")
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["jobs"][0]["write_scope"] = ["src/", "docs/striatum/"]
    script = (
        "mkdir -p src && printf 'x = 1\\n<b>not html</b>\\n' > src/app.py"
        " && printf 'a\\0b' > src/blob.bin && echo done > \"$STRIATUM_OUTPUT\""
    )
    document["lanes"]["agent"]["command"] = ["sh", "-c", script]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    assert supervise(operator, run_id).returncode == 0
    sha = rpc.call("job.show", run_id=run_id, job="draft")["attempts"][0]["commit_sha"]
    assert sha
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(f"{web}/runs/{run_id}")
    assert page.inner_text("#branch") == f"striatum/{run_id}"
    assert page.query_selector(f'table.commits tr[data-commit="{sha}"]') is not None
    page.click("#changes-link")
    page.wait_for_url(f"{web}/runs/{run_id}/changes")
    added = page.locator("section.diff-file:has(h3:text-is('src/app.py')) .line.add")
    assert added.all_inner_texts() == ["+x = 1", "+<b>not html</b>"]  # text, never markup
    assert page.query_selector("pre.diff b") is None
    blob = page.inner_text("section.diff-file:has(h3:text-is('src/blob.bin'))")
    assert "Binary file changed" in blob
    page.goto(f"{web}/runs/{run_id}/jobs/draft")
    page.click('table.attempts tr[data-attempt="1"] a.commit')
    page.wait_for_url(f"{web}/runs/{run_id}/changes?commit={sha}")
    assert "draft" in page.inner_text("h1 + dl.facts")
    assert page.locator(".line.add").count() == 2
    missing = page.goto(f"{web}/runs/{run_id}/changes?commit=0000000")
    assert missing is not None and missing.status == 404


def test_the_runs_list_filters_by_state_workflow_and_text_and_shows_durations(
    operator: Operator, web: str, browser: Any
) -> None:
    first = operator.prepare(example("minimal-flow"))
    second = operator.prepare(example("minimal-flow"))
    review = operator.prepare(example("review-flow"))
    operator.drive(review)
    operator.cli("run", "cancel", "--run-id", second, "--reason", "wrong branch picked")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(web)

    def listed() -> set[str]:
        return set(page.locator("table.runs td:first-child").all_inner_texts())

    assert {first, second, review} <= listed()
    page.select_option("select[name=state]", "cancelled")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*state=cancelled*")
    assert listed() == {second}
    page.goto(web)
    page.fill("input[name=q]", "WRONG BRANCH")  # why it ended, case ignored
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=WRONG+BRANCH*")
    assert listed() == {second}
    assert page.input_value("input[name=q]") == "WRONG BRANCH"  # the form keeps the filter
    page.goto(f"{web}/?workflow=review&q={review[-6:]}")
    assert listed() == {review}
    assert page.inner_text("#runs-count").startswith("1 of ")
    page.goto(f"{web}/?q=no-such-run-anywhere")
    assert "match these filters" in page.inner_text("#content")
    page.goto(f"{web}/runs/{review}")
    durations = page.locator("table.jobs td.duration").all_inner_texts()
    assert durations and all(d.endswith("s") for d in durations)  # every job ran: a time each
    page.goto(f"{web}/runs/{review}/jobs/draft")
    assert page.inner_text("#job-duration").endswith("over 1 attempt")


def _wide_workflow(tmp_path: Path) -> Path:
    """30 jobs: ten layers of three, each job depending on the one before it in its lane."""
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    jobs = []
    for layer in range(10):
        for lane in range(3):
            job: dict[str, Any] = {"id": f"step-{layer}-{lane}", "kind": "task", "lane": "agent"}
            if layer:
                job["depends_on"] = [f"step-{layer - 1}-{lane}"]
            jobs.append(job)
    document["jobs"] = jobs
    document["lanes"]["agent"]["command"] = ["sh", "-c", "sleep 300"]  # never run here
    workflow.write_text(json.dumps(document))
    return workflow


def test_a_wide_graph_starts_fitted_and_zooms_in_out_and_back(
    operator: Operator, web: str, browser: Any, tmp_path: Path
) -> None:
    run_id = operator.prepare(_wide_workflow(tmp_path))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.goto(f"{web}/runs/{run_id}")
    assert page.locator("svg.graph a.node").count() == 30
    natural = int(page.get_attribute("svg.graph", "viewBox").split()[2])

    def width() -> float:
        return float(
            page.evaluate("document.querySelector('svg.graph').getBoundingClientRect().width")
        )

    box = float(page.evaluate("document.querySelector('.graph-scroll').clientWidth"))
    assert natural > box and width() <= box  # fitted at first: no sideways scrolling
    fitted = width()
    page.click("button[data-zoom=in]")
    assert width() == pytest.approx(fitted * 1.25, rel=0.02)
    page.click("button[data-zoom=out]")
    page.click("button[data-zoom=out]")
    assert width() == pytest.approx(fitted / 1.25, rel=0.02)
    page.click("button[data-zoom=reset]")
    assert (
        width() == pytest.approx(natural, abs=1) and page.inner_text("#graph-zoom-level") == "100%"
    )
    page.reload()  # the choice is kept for this page
    assert width() == pytest.approx(natural, abs=1)
    page.click("#graph-fit")
    assert width() <= box
    assert not [p for p in problems if "Content Security Policy" in p]


def test_the_job_page_follows_the_agents_log_while_it_runs(
    operator: Operator, web: str, browser: Any, tmp_path: Path
) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    script = (
        'for i in $(seq 1 40); do echo "line-$i <b>"; sleep 0.3; done; echo ok > "$STRIATUM_OUTPUT"'
    )
    document["lanes"]["agent"]["command"] = ["sh", "-c", script]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    with background_supervisor(operator, run_id) as supervisor:
        wait_until(lambda: leased(operator, run_id), "the job was never leased")
        page.goto(f"{web}/runs/{run_id}/jobs/draft")
        page.evaluate("window.__sameDocument = true")
        stdout = 'pre[data-log="stdout"]'
        page.wait_for_selector(f"{stdout}:has-text('line-3 <b>')", timeout=20000)
        page.wait_for_selector(f"{stdout}:has-text('line-25')", timeout=20000)  # it grew
        assert page.evaluate("window.__sameDocument") is True  # no reload
        assert page.get_attribute("#agent-output", "data-polled") is not None
        assert page.query_selector("#agent-output b") is None  # the agent's text is text
        assert supervisor.wait(60) == 0
    page.wait_for_selector(f"{stdout}:has-text('line-40')", timeout=20000)
    page.wait_for_selector("[data-log-live]", state="detached", timeout=20000)
