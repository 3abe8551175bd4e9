"""Who supervises a run, and whether that supervisor is gone: pure decisions.

A run started by `run start` (without `--no-supervise`) is *supervised*: a background
supervisor process on one host drives it, and that host's daemon resumes the run when the
process is gone. Gone means: the supervisor left (it ended while the run still runs: a
signal, a shutdown), or the process registered is not there any more (dead, its pid reused
by another process, the machine rebooted), or a launch never registered within a grace.
Whether a process is there is asked by the caller on the supervisor's own host; a pid means
nothing elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

LAUNCH_GRACE_S = 60.0  # a launched supervisor registers within seconds; a minute is generous
# A supervisor that held the run this long was not crash-looping: the streak starts again.
STABLE_S = 60.0
# Automatic resumes in a row (each supervisor dying within STABLE_S, or never registering)
# before the daemon stops and leaves the run to a human (`run start`, which starts over).
MAX_STREAK = 5


@dataclass(frozen=True, kw_only=True)
class Supervision:
    run_id: str
    supervised: bool  # started with a supervisor: resumed when it is gone
    host: str  # whose daemon may resume it
    state: str  # launching (not registered yet) | supervising (pid set) | left
    pid: int | None
    identity: str | None  # the process's boot id and start time, when it registered
    session_id: str | None
    generation: int  # grows with every change: the compare in a compare-and-set
    resumes: int
    streak: int  # automatic resumes since a supervisor last held the run for STABLE_S
    changed_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "supervised": self.supervised,
            "host": self.host,
            "state": self.state,
            "pid": self.pid,
            "session_id": self.session_id,
            "resumes": self.resumes,
            "streak": self.streak,
            "changed_at": self.changed_at.isoformat(),
        }


def gone(
    found: Supervision,
    *,
    identity_now: str | None,
    now: dt.datetime,
    grace_s: float = LAUNCH_GRACE_S,
) -> bool:
    """Whether no supervisor works for the run. `identity_now` is the identity of the
    process now at `found.pid` on its host (None: no such process)."""
    if found.state == "left":
        return True
    if found.state == "launching":
        return (now - found.changed_at).total_seconds() > grace_s
    return identity_now is None or identity_now != found.identity


def restart_refusal(found: Supervision | None, *, host: str, is_gone: bool) -> str | None:
    """Why `run start` on a running run must not launch another supervisor, or None.
    `is_gone` is `gone(...)` as seen from `host` (meaningless for another host's process)."""
    if found is None or (found.state == "left" and found.host == host):
        return None
    who = f"pid {found.pid} on host {found.host}" if found.pid else f"host {found.host}"
    if found.host != host and found.state != "left":
        return (
            f"run {found.run_id} is supervised from host {found.host} ({who}); "
            "only that host can tell whether its supervisor is gone"
        )
    if not is_gone:
        doing = "is starting" if found.state == "launching" else "is running"
        return f"run {found.run_id} already has a supervisor: it {doing} ({who})"
    return None


def resumable(found: Supervision, *, host: str, run_state: str, is_gone: bool) -> bool:
    """Whether `host`'s daemon relaunches the run's supervisor now: never past MAX_STREAK
    resumes whose supervisors all died at once (a crash loop: a human looks)."""
    return (
        found.supervised
        and found.host == host
        and run_state == "running"
        and is_gone
        and found.streak < MAX_STREAK
    )


def rebooted_since(before: Supervision | None, now: Supervision) -> bool:
    """Whether the host rebooted between two supervisors' registrations (their identities'
    boot ids differ). Only then can no process of the earlier one's attempts be alive: its
    leases may end at once. Otherwise they run out their TTL, the window in which a writer
    that escaped every marker finishes before the next attempt starts (SPEC §10)."""
    if before is None or before.identity is None or now.identity is None:
        return False
    old, new = before.identity.split(":", 1)[0], now.identity.split(":", 1)[0]
    return old != "ps" and new != "ps" and old != new
