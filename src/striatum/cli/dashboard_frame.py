"""The dashboard's frames, fitted to a screen's width and height (pure: data in, lines out).

A run's frame: its headline, its jobs one line each, what waits for a human, the last events,
and the daemon's next actions (supervisor-aware: a supervised run's ready jobs are its
supervisor's, so it never suggests `claim-next`). When the jobs do not fit the height, the
ones that need attention (waiting, failed, leased, ready) are shown first and the rest are
counted on one line. The all-runs frame: a repository's runs, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from striatum import paths
from striatum.cli import humanize, layout
from striatum.cli.terminal import Screen
from striatum.cli.views import runs as run_views
from striatum.cli.views import states
from striatum.model import usage_text
from striatum.model.terminal_text import visible

ATTENTION = ("waiting", "failed", "leased", "ready")
MOST_EVENTS = 8
FEWEST_EVENTS = 2


def run_frame(
    status: dict[str, Any], events: list[dict[str, Any]], screen: Screen, now: datetime
) -> list[str]:
    run, jobs = status["run"], status["jobs"]
    head = [run_views.headline(run, screen, now, lead="run ")]
    head.append(
        layout.clip(
            f"  {len(jobs)} jobs: {states.counts([j['state'] for j in jobs])}; supervisor "
            f"{run_views.supervisor(status.get('supervisor'), now)}",
            screen.width,
        )
    )
    total = (status.get("usage") or {}).get("total") or {}
    budget = status.get("budget") or {}
    limited = budget.get("budget_usd") is not None or budget.get("budget_tokens") is not None
    if limited or total.get("attempts", 0) > total.get("unreported_attempts", 0):
        spent = f"  used: {usage_text.total_text(total)}"  # and of what budget
        spent += f"; budget {usage_text.budget_text(budget)}" if limited else ""
        head.append(layout.clip(spent, screen.width))
    blockers = [_blocker_line(b, screen) for b in status["open_blockers"]]
    actions = [screen.paint("  next:", "bold")]
    actions += [line for action in status["next_actions"] for line in _action(action, screen)]
    room = screen.height - len(head) - len(blockers) - len(actions) - 1  # -1: events title
    job_room = max(1, room - min(MOST_EVENTS, max(FEWEST_EVENTS, room - len(jobs))))
    shown = job_lines(jobs, status["leases"], screen, job_room)
    event_room = max(FEWEST_EVENTS, room - len(shown))
    recent = [_event_line(e, screen, now) for e in events[-min(MOST_EVENTS, event_room) :]]
    return [*head, *shown, *blockers, "  last events:", *recent, *actions]


def _action(action: str, screen: Screen) -> list[str]:
    """The command whole (wrapped between words if it must be), its note in parentheses cut
    to what is left of the line: the blocker lines above already show a reason whole."""
    command, gap, note = visible(action).partition("  (")
    lines = layout.wrap(command, screen.width, indent="      ", first="    ")
    room = screen.width - layout.width_of(lines[-1]) - 2
    if gap and room > 8:
        lines[-1] += "  " + layout.clip("(" + note, room)
    return lines


def job_lines(
    jobs: list[dict[str, Any]], leases: list[dict[str, Any]], screen: Screen, room: int
) -> list[str]:
    """One line per job, in workflow order; past `room` lines, the jobs that need attention
    first and one line counting the others."""
    if len(jobs) > room:
        keep = max(0, room - 1)
        wanted = [j for j in jobs if j["state"] in ATTENTION][:keep]
        others = [j for j in jobs if j["state"] not in ATTENTION]
        wanted += others[: keep - len(wanted)]
        kept = {id(j) for j in wanted}
        hidden = [j["state"] for j in jobs if id(j) not in kept]
        shown = [j for j in jobs if id(j) in kept]
    else:
        shown, hidden = jobs, []
    width = max([len(visible(j["job_id"])) for j in shown] + [3])
    by_job = {lease["job_id"]: lease for lease in leases}
    out = [_job_line(job, by_job.get(job["job_id"]), width, screen) for job in shown]
    if hidden:
        out.append(f"  … {len(hidden)} more: {states.counts(hidden)}")
    return out


def _job_line(job: dict[str, Any], lease: dict[str, Any] | None, width: int, screen: Screen) -> str:
    state = job["state"]
    mark = screen.paint(states.MARKS.get(state, " "), states.style(state))
    engine = "/".join(str(job[k]) for k in ("provider", "model") if job.get(k))
    lane = visible(f"{job.get('lane') or 'human'}" + (f" ({engine})" if engine else ""))
    beat = lease.get("heartbeat_age_s") if lease else None
    tail = f"  heartbeat {humanize.duration(float(beat))} ago" if beat is not None else ""
    host = lease.get("host") if lease else None
    if host and host != paths.host_name():  # granted by another host's daemon: it runs there
        tail += f" on {visible(host)}"
    name = layout.pad(layout.clip(visible(job["job_id"]), width), width)
    text = f"{layout.pad(state, 9)} attempt {job['attempt']:<2} {lane}{tail}"
    room = screen.width - 5 - width
    shown = layout.clip(text, room)
    painted = screen.paint(shown[:9], states.style(state)) + shown[9:]
    return f"  {mark} {name} {painted}"


def _blocker_line(blocker: dict[str, Any], screen: Screen) -> str:
    text = visible(
        f"{blocker['kind']} {blocker['blocker_id']} on {blocker['job_id']}: {blocker['reason']}"
    )
    return "  " + screen.paint("!", "yellow bold") + " " + layout.clip(text, screen.width - 4)


def _event_line(event: dict[str, Any], screen: Screen, now: datetime) -> str:
    when = humanize.scalar(event.get("at"), now)
    text = visible(f"{when:>10}  {event['type']}  {event.get('job_id') or ''}".rstrip())
    return layout.clip("    " + text, screen.width)


def plain_event(event: dict[str, Any], width: int, now: datetime) -> str:
    """A change as one line of a log (no terminal): its clock time, type, job, payload."""
    at = str(event.get("at", ""))
    payload = event.get("payload")
    details = {}
    if isinstance(payload, dict):
        details = {k: v for k, v in payload.items() if k not in ("run_id", "job_id")}
    text = f"{at[11:19]} {event['type']} {event.get('job_id') or ''}".rstrip()
    if details:
        text += "  " + humanize.summary(details, now)
    return layout.clip(visible(text), width)


def runs_frame(
    title: str, found: list[dict[str, Any]], waiting: int, screen: Screen, now: datetime
) -> list[str]:
    """A repository's runs, newest first, as many as the height holds."""
    head = [screen.paint(layout.clip(visible(title), screen.width), "bold")]
    tail = [f"  {waiting} waiting for a decision: striatum inbox"] if waiting else []
    tail.append("  striatum dashboard --run-id RUN: one run's jobs")
    room = max(1, screen.height - len(head) - len(tail) - 1)
    if not found:
        return [*head, "  (no runs yet: striatum run prepare --workflow FILE)", *tail]
    shown = found[:room]
    table = run_views.runs_table(shown, screen, now, indent="  ")
    more = [f"  … {len(found) - len(shown)} older runs"] if len(found) > len(shown) else []
    return [*head, *table, *more, *tail]
