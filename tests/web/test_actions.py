"""The principal's actions: refused on a read-only server, guarded by a secret and a
same-origin check, and effective through the daemon's verbs when allowed."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support import rpc
from tests.support.operator import Operator, example
from tests.web.conftest import ORIGIN, SAME_ORIGIN, confirmed, form

ACTION_PATHS = [
    "/actions/runs/{run}/cancel",
    "/actions/runs/{run}/jobs/draft/cancel",
    "/actions/runs/{run}/retry",
    "/actions/runs/{run}/jobs/draft/retry",
    "/actions/runs/{run}/jobs/review/verdict",
    "/actions/blockers/blk_x/decide",
    "/actions/blockers/blk_x/resolve",
]


def _states(run_id: str) -> dict[str, str]:
    return {j["job_id"]: j["state"] for j in rpc.call("status", run_id=run_id)["jobs"]}


def _checkpoint(operator: Operator) -> tuple[str, dict[str, Any]]:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.drive(run_id)  # stops at the checkpoint
    blocker = rpc.call("status", run_id=run_id)["open_blockers"][0]
    return run_id, blocker


def test_a_read_only_server_refuses_every_action_and_shows_no_button(
    operator: Operator, reader: TestClient
) -> None:
    run_id, _ = _checkpoint(operator)
    for path in ACTION_PATHS:
        answer = reader.post(
            path.format(run=run_id), data=form(choice="continue"), headers=SAME_ORIGIN
        )
        assert answer.status_code == 403, path
        assert "read-only" in answer.text
    for page in (f"/runs/{run_id}", f"/runs/{run_id}/jobs/decide", "/inbox"):
        assert 'method="post"' not in reader.get(page).text, page
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "running"


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ({}, "test-secret-0123456789"),  # no Origin, no Referer
        ({"origin": "http://evil.example"}, "test-secret-0123456789"),
        ({"origin": "null"}, "test-secret-0123456789"),
        ({"referer": "http://127.0.0.1:9999/runs"}, "test-secret-0123456789"),
        ({"origin": ORIGIN}, "wrong"),
        ({"origin": ORIGIN}, ""),
    ],
)
def test_an_action_needs_the_same_origin_and_the_secret(
    operator: Operator, principal: TestClient, headers: dict[str, str], secret: str
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    answer = principal.post(
        f"/actions/runs/{run_id}/cancel", data={"secret": secret}, headers=headers
    )
    assert answer.status_code == 403
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "running"


def test_deciding_a_checkpoint_from_the_inbox_lets_the_run_go_on(
    operator: Operator, principal: TestClient
) -> None:
    run_id, blocker = _checkpoint(operator)
    inbox = principal.get("/inbox").text
    assert f'action="/actions/blockers/{blocker["blocker_id"]}/decide"' in inbox
    assert 'name="secret" value="test-secret-0123456789"' in inbox
    answer = principal.post(
        f"/actions/blockers/{blocker['blocker_id']}/decide",
        data=confirmed(
            f"/actions/blockers/{blocker['blocker_id']}/decide",
            choice="continue",
            note="ship it",
            next="/inbox",
        ),
        headers={"referer": f"{ORIGIN}/inbox"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    assert _states(run_id)["decide"] == "succeeded" and _states(run_id)["publish"] == "ready"
    again = principal.post(
        f"/actions/blockers/{blocker['blocker_id']}/decide",
        data=confirmed(f"/actions/blockers/{blocker['blocker_id']}/decide", choice="continue"),
        headers=SAME_ORIGIN,
    )
    assert again.status_code == 409 and "already settled" in again.text


def test_resolving_an_escalation_retries_the_blocked_job(
    operator: Operator, principal: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    blocker = rpc.call("block", lease=packet["lease"]["lease_id"], reason="which API?")
    answer = principal.post(
        f"/actions/blockers/{blocker['blocker_id']}/resolve",
        data=confirmed(
            f"/actions/blockers/{blocker['blocker_id']}/resolve",
            outcome="retry",
            next="//evil.example/",
        ),
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    assert _states(run_id)[packet["job"]["job_id"]] == "ready"


def test_cancelling_a_job_and_a_run_and_refusals_as_error_pages(
    operator: Operator, principal: TestClient
) -> None:
    run_id = operator.prepare(example("review-flow"))
    page = principal.get(f"/runs/{run_id}").text
    assert f'action="/actions/runs/{run_id}/jobs/draft/cancel"' in page
    assert "/retry" not in page  # a running run is not retried
    retry = principal.post(
        f"/actions/runs/{run_id}/jobs/draft/retry",
        data=confirmed(f"/actions/runs/{run_id}/jobs/draft/retry"),
        headers=SAME_ORIGIN,
    )
    assert retry.status_code == 409 and "revives a failed or cancelled run" in retry.text
    verdict = principal.post(
        f"/actions/runs/{run_id}/jobs/review/verdict",
        data=confirmed(
            f"/actions/runs/{run_id}/jobs/review/verdict", value="accept", reason="fine"
        ),
        headers=SAME_ORIGIN,
    )
    assert verdict.status_code == 409
    cancelled = principal.post(
        f"/actions/runs/{run_id}/jobs/draft/cancel",
        data=confirmed(f"/actions/runs/{run_id}/jobs/draft/cancel", next=f"/runs/{run_id}"),
        headers=SAME_ORIGIN,
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/runs/{run_id}"
    assert _states(run_id)["draft"] == "cancelled"
    other = operator.prepare(example("minimal-flow"))
    stopped = principal.post(
        f"/actions/runs/{other}/cancel",
        data=confirmed(f"/actions/runs/{other}/cancel"),
        headers=SAME_ORIGIN,
    )
    assert stopped.status_code == 303
    assert rpc.call("status", run_id=other)["run"]["state"] == "cancelled"
    audit = operator.daemon.json("--as", "principal", "audit", "list", "--limit", "3")["rows"]
    assert any(row["method"] == "run.cancel" and row["role"] == "principal" for row in audit)


def test_an_ended_run_is_retried_from_the_run_page_and_the_page_says_so(
    operator: Operator, principal: TestClient
) -> None:
    run_id = operator.prepare(example("review-flow"))
    rpc.call("run.cancel", run_id=run_id, reason="stopped to retry", as_role="principal")
    page = principal.get(f"/runs/{run_id}").text
    assert f'action="/actions/runs/{run_id}/retry"' in page
    assert f'action="/actions/runs/{run_id}/jobs/draft/retry"' in page
    assert "/cancel" not in page  # nothing left to cancel
    asked = principal.post(
        f"/actions/runs/{run_id}/jobs/draft/retry", data=form(), headers=SAME_ORIGIN
    )
    assert asked.status_code == 200 and "Retry run" in asked.text  # asks first, acts not
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "cancelled"
    retried = principal.post(
        f"/actions/runs/{run_id}/jobs/draft/retry",
        data=confirmed(f"/actions/runs/{run_id}/jobs/draft/retry"),
        headers=SAME_ORIGIN,
    )
    assert retried.status_code == 303 and retried.headers["location"] == f"/runs/{run_id}"
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "running"
    assert _states(run_id)["draft"] == "ready"
    shown = principal.get(f"/runs/{run_id}").text
    assert f"Run {run_id} retried from draft." in shown
    events = rpc.call("why", run_id=run_id, id=run_id)
    assert "run.retried" in str(events)


def test_a_form_that_is_not_urlencoded_is_refused(
    operator: Operator, principal: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    answer = principal.post(
        f"/actions/runs/{run_id}/cancel",
        content=b'{"secret": 1}',
        headers={**SAME_ORIGIN, "content-type": "application/json"},
    )
    assert answer.status_code == 403  # no secret can be read from it


def test_overriding_a_waiting_gate_from_the_job_page_accepts_the_work(
    operator: Operator, principal: TestClient
) -> None:
    operator.plan = {"code-review": "needs_revision,needs_revision,needs_revision"}
    run_id = operator.prepare(example("code-change-flow"))
    operator.drive(run_id)  # the revision bound is reached: the gate escalates
    assert _states(run_id)["code-review"] == "waiting"
    page = principal.get(f"/runs/{run_id}/jobs/code-review").text
    assert f'action="/actions/runs/{run_id}/jobs/code-review/verdict"' in page
    answer = principal.post(
        f"/actions/runs/{run_id}/jobs/code-review/verdict",
        data=confirmed(
            f"/actions/runs/{run_id}/jobs/code-review/verdict",
            value="accept",
            reason="good enough for now",
        ),
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 303
    assert _states(run_id)["code-review"] == "succeeded"
    assert _states(run_id)["handoff"] == "ready"
    verdicts = rpc.call("list.verdicts", run_id=run_id)["verdicts"]
    assert verdicts[-1]["value"] == "accept" and verdicts[-1]["overrides"]


def test_an_action_asks_to_confirm_first_then_acts_and_says_what_it_did(
    operator: Operator, principal: TestClient
) -> None:
    """One click never acts: the first POST answers a confirmation page (nothing changes);
    only its form, carrying the confirmation token, acts; the next page says what was done,
    once."""
    run_id = operator.prepare(example("minimal-flow"))
    path = f"/actions/runs/{run_id}/cancel"
    asked = principal.post(path, data=form(next=f"/runs/{run_id}"), headers=SAME_ORIGIN)
    assert asked.status_code == 200 and f"Cancel run {run_id}?" in asked.text
    assert f'name="confirm" value="{confirmed(path)["confirm"]}"' in asked.text
    assert f'name="next" value="/runs/{run_id}"' in asked.text
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "running"
    forged = principal.post(path, data=form(confirm="yes"), headers=SAME_ORIGIN)
    assert forged.status_code == 200 and "Confirm" in forged.text  # asked again, not done
    other_token = confirmed(f"/actions/runs/{run_id}/jobs/draft/cancel")
    assert principal.post(path, data=other_token, headers=SAME_ORIGIN).status_code == 200
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "running"
    done = principal.post(
        path, data=confirmed(path, next=f"/runs/{run_id}", reason="wrong repo"), headers=SAME_ORIGIN
    )
    assert done.status_code == 303 and done.headers["location"] == f"/runs/{run_id}"
    assert rpc.call("status", run_id=run_id)["run"]["state"] == "cancelled"
    shown = principal.get(f"/runs/{run_id}")
    assert f"Run {run_id} cancelled." in shown.text
    assert f"Run {run_id} cancelled." not in principal.get(f"/runs/{run_id}").text  # once
    principal.cookies.set("striatum_flash", "SGFja2Vk.0000")  # "Hacked", not signed by us
    assert "Hacked" not in principal.get("/").text
