"""`status` (of one run, or of everything active), `list runs`, `list jobs`."""

from __future__ import annotations

from striatum import paths
from striatum.cli import humanize, layout
from striatum.cli.views import blockers, generic, states
from striatum.model import usage_text as used
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen


def status(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    if "run" not in result:
        return overview(result, screen, now)
    run = result["run"]
    out = [headline(run, screen, now)]
    out += layout.fields(run_fields(result, now), screen, indent="  ")
    jobs = result["jobs"]
    # `--jobs moving` shows only those: the title says so, never "jobs" for a part of them.
    title = "ready and leased jobs" if result.get("jobs_shown") == "moving" else "jobs"
    counted = states.counts([j["state"] for j in jobs])
    out.append(section(f"{title} ({len(jobs)}: {counted})" if jobs else f"{title} (none)", screen))
    out += job_table(jobs, screen, indent="  ")
    if result["leases"]:
        out.append(section("leases", screen))
        out += lease_table(result["leases"], screen, now)
    if result["open_blockers"]:
        out.append(section("waiting for a decision", screen))
        out += [line for b in result["open_blockers"] for line in blockers.block(b, screen, now)]
    return out + next_actions(result["next_actions"], screen)


def overview(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    """`status` without a run: the active runs, what waits for a human, what to do."""
    active = result.get("active_runs", [])
    out = [section(f"active runs ({len(active)})", screen)]
    out += runs_table(active, screen, now, indent="  ") if active else ["  (none)"]
    waiting = result.get("open_blockers", [])
    if waiting:
        out.append(section(f"waiting for a decision ({len(waiting)})", screen))
        out += [line for b in waiting for line in blockers.block(b, screen, now)]
    return out + next_actions(result.get("next_actions", []), screen)


def headline(run: dict[str, Any], screen: Screen, now: datetime, *, lead: str = "") -> str:
    """`lead`, the run's id, workflow, STATE, duration and why it ended, fitted to the width."""
    state = run["state"]
    took = humanize.between(run.get("started_at"), run.get("ended_at"))
    if took is None and state not in states.ENDED:
        took = humanize.between(run.get("started_at"), now.isoformat())
    line = f"{lead}{visible(run['run_id'])}  {visible(str(run['workflow_id']))}  "
    tail = f"  ({took})" if took else ""
    if run.get("ended_reason"):
        tail += f"  {visible(str(run['ended_reason']))}"
    room = screen.width - layout.width_of(line) - len(state)
    return line + screen.paint(state.upper(), states.style(state)) + layout.clip(tail, room)


def run_fields(result: dict[str, Any], now: datetime) -> list[tuple[str, str]]:
    run = result["run"]
    times = [f"created {humanize.scalar(run.get('created_at'), now)}"]
    times += [f"started {humanize.scalar(run['started_at'], now)}"] if run.get("started_at") else []
    times += [f"ended {humanize.scalar(run['ended_at'], now)}"] if run.get("ended_at") else []
    pairs = [("repo", visible(str(run.get("repo")))), ("when", ", ".join(times))]
    pairs += [("supervisor", supervisor(result.get("supervisor"), now))]
    for name, lane in (result.get("lanes") or {}).items():
        pairs.append((f"lane {visible(name)}", lane_text(lane)))
    parked = [job for job in result.get("jobs", []) if job.get("parked_until")]
    if parked:  # soonest first; when each may be claimed again
        parked.sort(key=lambda job: str(job["parked_until"]))
        waits = [humanize.between(now.isoformat(), job["parked_until"]) for job in parked]
        shown = ", ".join(
            f"{visible(str(job['job_id']))} in {wait or 'a moment'}"
            for job, wait in zip(parked[:3], waits, strict=False)
        )
        more = f" and {len(parked) - 3} more" if len(parked) > 3 else ""
        pairs.append(("parked", f"by a rate or usage limit: {shown}{more}"))
    budget = result.get("budget") or {}
    if budget.get("budget_usd") is not None or budget.get("budget_tokens") is not None:
        pairs.append(("budget", used.budget_text(budget)))
    for lane_budget in result.get("lane_budgets") or []:
        if lane_budget.get("budget_usd") is None and lane_budget.get("budget_tokens") is None:
            continue  # lifted
        pairs.append((f"budget {visible(lane_budget['lane'])}", used.budget_text(lane_budget)))
    if result.get("usage"):
        pairs.append(("used", used.total_text(result["usage"]["total"])))
        providers = result["usage"].get("by_provider") or {}
        if len(providers) > 1:
            pairs += [
                (f"  by {visible(name)}", used.total_text(total))
                for name, total in sorted(providers.items())
            ]
    head = result.get("chain_head")
    if head:
        pairs.append(("chain head", f"seq {head['seq']}, {str(head['row_hash'])[:12]}"))
    return pairs


def supervisor(found: dict[str, Any] | None, now: datetime) -> str:
    if found is None:
        return "none: driven by hand"
    who = f"pid {found['pid']} on {visible(str(found['host']))}" if found.get("pid") else ""
    words = [visible(str(found["state"])), who]
    words += ["gone"] if found.get("gone") else []
    words += [f"since {humanize.scalar(found.get('changed_at'), now)}"]
    return ", ".join(w for w in words if w)


def lane_text(lane: dict[str, Any]) -> str:
    words = [visible(str(lane.get("provider")))]
    words += [visible(str(lane["model"]))] if lane.get("model") else []
    if lane.get("command"):
        words.append(visible(" ".join(str(part) for part in lane["command"])))
    limits = []
    if lane.get("max_concurrency"):
        limits.append(f"{lane['max_concurrency']} at once")
    if lane.get("timeout_s"):
        limits.append(f"timeout {humanize.duration(float(lane['timeout_s']))}")
    if lane.get("max_attempts"):
        limits.append(f"{lane['max_attempts']} attempts")
    return " ".join(words) + (f" ({', '.join(limits)})" if limits else "")


def job_table(jobs: list[dict[str, Any]], screen: Screen, *, indent: str = "") -> list[str]:
    if not jobs:
        return [f"{indent}(none)"]
    revised = any(job.get("revisions") for job in jobs)
    # A USED column once some attempt reported what it used.
    spent = any(
        (job.get("usage") or {}).get("attempts", 0)
        > (job.get("usage") or {}).get("unreported_attempts", 0)
        for job in jobs
    )
    headers = ["JOB", "KIND", "STATE", "ATTEMPT", *(["REVISIONS"] if revised else [])]
    headers += [*(["USED"] if spent else []), "LANE"]
    rows = []
    for job in jobs:
        lane = str(job.get("lane") or "human")
        engine = "/".join(str(job[k]) for k in ("provider", "model") if job.get(k))
        state = "parked" if job.get("parked_until") else job["state"]
        row = [job["job_id"], job["kind"], state, str(job["attempt"])]
        row += [str(job.get("revisions", 0))] if revised else []
        row += [used.cell(job.get("usage"))] if spent else []
        rows.append([visible(cell) for cell in [*row, f"{lane} ({engine})" if engine else lane]])
    styles = {2: states.style}
    return layout.table(headers, rows, screen, indent=indent, styles=styles, keep=frozenset({0}))


def lease_table(leases: list[dict[str, Any]], screen: Screen, now: datetime) -> list[str]:
    """The live leases; with a HOST column when one is held through another host's daemon
    (several hosts share the database), so a single host's view stays as narrow as it was."""
    elsewhere = any(lease.get("host") not in (None, paths.host_name()) for lease in leases)
    headers = ["LEASE", "JOB", "ATTEMPT", "EXPIRES", "HEARTBEAT"] + (["HOST"] if elsewhere else [])
    rows = [
        [
            visible(lease["lease_id"]),
            visible(lease["job_id"]),
            str(lease["attempt"]),
            humanize.scalar(lease.get("expires_at"), now),
            f"{humanize.duration(float(lease['heartbeat_age_s']))} ago"
            if lease.get("heartbeat_age_s") is not None
            else "-",
        ]
        + ([visible(lease.get("host") or "-")] if elsewhere else [])
        for lease in leases
    ]
    return layout.table(headers, rows, screen, indent="  ", keep=frozenset({0, 1}))


def runs_table(
    runs: list[dict[str, Any]], screen: Screen, now: datetime, *, indent: str = ""
) -> list[str]:
    many_repos = len({r.get("repo_id") for r in runs}) > 1
    headers = ["RUN", "STATE", "WORKFLOW", "CREATED", "TOOK", *(["REPO"] if many_repos else [])]
    rows = []
    for run in runs:
        end = run.get("ended_at") or (None if run["state"] in states.ENDED else now.isoformat())
        took = humanize.between(run.get("started_at"), end) or "-"
        row = [run["run_id"], run["state"], str(run.get("workflow_id"))]
        row += [humanize.scalar(run.get("created_at"), now), took]
        row += [str(run.get("repo_id"))] if many_repos else []
        rows.append([visible(cell) for cell in row])
    styles = {1: states.style}
    return layout.table(headers, rows, screen, indent=indent, styles=styles, keep=frozenset({0}))


def run_list(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    runs = result.get("runs")
    if not isinstance(runs, list):
        return generic.draw(result, screen, now)
    return runs_table(runs, screen, now) if runs else ["(no runs)"]


def job_list(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    jobs = result.get("jobs")
    if not isinstance(jobs, list):
        return generic.draw(result, screen, now)
    return job_table(jobs, screen)


def section(title: str, screen: Screen) -> str:
    return screen.paint(layout.clip(title, screen.width), "bold")


def next_actions(actions: list[str], screen: Screen) -> list[str]:
    if not actions:
        return []
    return [section("next", screen)] + [
        line for action in actions for line in generic.bullet(action, screen)
    ]
