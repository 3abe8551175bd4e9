"""The human inbox (checkpoints and escalations waiting) and the doctor page (both chains)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from striatum.web import render
from striatum.web.calls import read


async def inbox_page(request: Request) -> Response:
    waiting = (await read("inbox"))["waiting"]
    graphs: dict[str, dict[str, Any]] = {}
    items = []
    for blocker in waiting:
        options: list[str] = []
        if blocker["kind"] == "checkpoint":
            if blocker["run_id"] not in graphs:
                graphs[blocker["run_id"]] = await read("run.graph", run_id=blocker["run_id"])
            options = [
                b["choice"]
                for b in graphs[blocker["run_id"]]["checkpoint_branches"]
                if b["checkpoint"] == blocker["job_id"]
            ]
        elif blocker["kind"] == "escalation":
            options = (await read("escalation.show", blocker=blocker["blocker_id"]))["outcomes"]
        # A budget blocker has no choices here: the principal raises the budget (`run budget`).
        items.append({**blocker, "options": options})
    return render.page(request, "inbox.html", items=items, live="/live")


async def doctor_page(request: Request) -> Response:
    deep = request.query_params.get("deep") == "1"
    report = await read("daemon.verify", deep=deep)
    return render.page(request, "doctor.html", report=report, deep=deep)


def routes() -> list[Route]:
    return [Route("/inbox", inbox_page, name="inbox"), Route("/doctor", doctor_page, name="doctor")]
