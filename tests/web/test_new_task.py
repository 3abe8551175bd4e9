"""The runs page's New task form: only with --allow-mutations, it starts a task (detached)
as `run task` does, and never lands one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support import rpc
from tests.support.agent_stubs import SYSTEM_PATH
from tests.support.daemons import BIN
from tests.support.operator import Operator
from tests.support.waiting import wait_until
from tests.support.web_server import CHROMIUM, chromium, serving
from tests.web.conftest import SAME_ORIGIN, confirmed, form


def test_a_read_only_server_shows_no_task_form_and_refuses_one(
    operator: Operator, reader: TestClient
) -> None:
    operator.cli("adopt")
    assert "New task" not in reader.get("/").text
    answer = reader.post(
        "/actions/tasks",
        data=form(sentence="Add a hello module", repo=str(operator.repo)),
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 403
    assert rpc.call("list.runs")["runs"] == []


def test_the_form_asks_first_and_names_the_repository(
    operator: Operator, principal: TestClient
) -> None:
    operator.cli("adopt")
    page = principal.get("/").text
    assert 'action="/actions/tasks"' in page and str(operator.repo) in page
    asked = principal.post(
        "/actions/tasks",
        data=form(sentence="Add a hello module", repo=str(operator.repo)),
        headers=SAME_ORIGIN,
    )
    assert asked.status_code == 200 and f"Start a task in {operator.repo}?" in asked.text
    assert rpc.call("list.runs")["runs"] == []  # nothing until confirmed


def test_bad_input_is_a_400_naming_the_field_and_starts_nothing(
    operator: Operator, principal: TestClient
) -> None:
    operator.cli("adopt")
    path = "/actions/tasks"
    answer = principal.post(
        path,
        data=confirmed(path, sentence="x", repo=str(operator.repo), author="copilot"),
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 400 and "--author: unknown provider" in answer.text
    assert rpc.call("list.runs")["runs"] == []
    assert not (operator.repo / ".striatum" / "tasks").exists()


@pytest.fixture
def web(operator: Operator) -> Iterator[str]:
    """`striatum serve --web --allow-mutations`, with no AI CLI on its PATH."""
    with serving({**operator.daemon.env, "PATH": f"{BIN}:{SYSTEM_PATH}"}) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium browser installed")
def test_a_browser_starts_a_task_that_runs_to_success_unlanded(
    operator: Operator, web: str, browser: Any
) -> None:
    operator.cli("adopt")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(web)
    page.click("#new-task summary")
    page.fill("textarea[name=sentence]", "Add a hello module")
    page.select_option("select[name=repo]", str(operator.repo))
    page.click("#start-task")
    assert page.inner_text("#confirm-question") == f"Start a task in {operator.repo}?"
    page.click("#confirm-yes")
    page.wait_for_url(f"{web}/runs/run_*")
    run_id = page.url.rsplit("/", 1)[1]
    assert page.inner_text("#flash").startswith(f"Task started: run {run_id} (scripted agents")
    wait_until(
        lambda: rpc.call("status", run_id=run_id)["run"]["state"] == "succeeded",
        "the task's run never succeeded",
        timeout=90,
    )
    events = rpc.call("why", id=run_id)["events"]
    assert "run.landed" not in {e["type"] for e in events}
