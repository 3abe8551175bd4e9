"""`striatum doctor`: availability, provenance, skill bundles and agent CLIs, reported apart.

Availability (daemon reachable, database up, migrations current) and provenance (both hash
chains, anchors, append-only guards, as the daemon verifies them) are separate planes, so a
broken chain never hides behind a healthy daemon, nor stops it being reported healthy. Skill
bundles installed in the project or the home directory are checked against this version;
the agents plane (`agents_plane`) says whether each agent CLI is installed and configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from striatum import errors
from striatum.cli import agents_plane

EXIT_SKILLS = errors.EXIT_CODES["conflict"]  # something to reinstall


class Plane(NamedTuple):
    ok: bool
    checks: list[dict[str, Any]]  # {"check", "ok", "detail", "fix"?}


def gather(project: Path | None, *, deep: bool) -> dict[str, Any]:
    """Every plane's report; only the daemon's verdicts, never a direct database read."""
    from striatum.client import rpc
    from striatum.skills import install

    status, status_error = _attempt(lambda: rpc.call("daemon.status", {}))
    verified, verify_error = (
        (None, None)
        if status is None
        else _attempt(lambda: rpc.call("daemon.verify", {"deep": deep}))
    )
    bases = [b for b in (project, Path.home()) if b is not None]
    skills = [entry for base in dict.fromkeys(bases) for entry in install.check(base)]
    agents = Plane(*agents_plane.gather(project, None if status is None else rpc.call))
    return report(status, status_error, verified, verify_error, skills, agents)


def report(
    status: dict[str, Any] | None,
    status_error: errors.StriatumError | None,
    verified: dict[str, Any] | None,
    verify_error: errors.StriatumError | None,
    skills: list[dict[str, Any]],
    agents: Plane,
) -> dict[str, Any]:
    """Pure: the planes from what the daemon answered (or the error it raised)."""
    availability = _availability(status, status_error, verified, verify_error)
    provenance = _provenance(verified, verify_error, reachable=status is not None)
    skill_plane = Plane(
        all(s["state"] == "current" for s in skills),
        [
            {
                "check": s["directory"],
                "ok": s["state"] == "current",
                "detail": f"{s['state']} (written by {s['version']})",
                "fix": s["fix"],
            }
            for s in skills
        ],
    )
    planes = {
        "availability": availability,
        "provenance": provenance,
        "skills": skill_plane,
        "agents": agents,
    }
    return {
        "ok": all(p.ok for p in planes.values()),
        "exit_code": _exit_code(planes, status_error or verify_error),
        **{name: plane._asdict() for name, plane in planes.items()},
    }


def _availability(
    status: dict[str, Any] | None,
    status_error: errors.StriatumError | None,
    verified: dict[str, Any] | None,
    verify_error: errors.StriatumError | None,
) -> Plane:
    if status is None:
        assert status_error is not None
        return Plane(False, [_failed("daemon", status_error)])
    checks = [
        {
            "check": "daemon",
            "ok": True,
            "detail": f"pid {status['pid']} on {status['host']}, "
            f"version {status['version']}, up {status['uptime_s']}s",
        },
        {
            "check": "database",
            "ok": True,
            "detail": f"{status['database']}, PostgreSQL {status['server_version']}",
        },
    ]
    if verified is None:
        assert verify_error is not None
        if verify_error.code == "database_unavailable":
            checks.append(_failed("migrations", verify_error))
        else:  # a slow or failed verification is a provenance matter, not availability's
            checks.append(
                {
                    "check": "migrations",
                    "ok": True,
                    "detail": "not checked (daemon.verify did not answer)",
                }
            )
    else:
        migrations = verified["migrations"]
        problem = migrations["error"] or (
            f"pending: {', '.join(migrations['pending'])}" if migrations["pending"] else None
        )
        checks.append(
            {
                "check": "migrations",
                "ok": problem is None,
                "detail": problem or "current",
                "fix": "striatum daemon doctor --apply-migrations" if problem else None,
            }
        )
    return Plane(all(c["ok"] for c in checks), checks)


def _provenance(
    verified: dict[str, Any] | None, verify_error: errors.StriatumError | None, *, reachable: bool
) -> Plane:
    if verified is None:
        why = verify_error.message if verify_error else "the daemon is not reachable"
        return Plane(
            False,
            [
                {
                    "check": "chains",
                    "ok": False,
                    "detail": f"not verified: {why}",
                    "fix": "striatum daemon doctor (checks the database directly)",
                }
            ],
        )
    checks = [_chain_check(chain) for chain in verified["chains"]]
    checks += [
        {"check": f"anchor {a['chain']}", "ok": False, "detail": f"seq {a['seq']}: {a['reason']}"}
        for a in verified["anchor_breaks"]
    ]
    checks += [
        {"check": "append-only guards", "ok": False, "detail": p}
        for p in verified["privilege_problems"]
    ] or [{"check": "append-only guards", "ok": True, "detail": "in place"}]
    checks += [
        {"check": "spend ledger", "ok": False, "detail": p}
        for p in verified.get("ledger_problems") or []
    ] or [{"check": "spend ledger", "ok": True, "detail": "agrees with the chain"}]
    return Plane(all(c["ok"] for c in checks), checks)


def _chain_check(chain: dict[str, Any]) -> dict[str, Any]:
    name = f"chain {chain['chain']}"
    if chain["ok"]:
        return {"check": name, "ok": True, "detail": f"{chain['rows']} rows verify"}
    bad = chain["first_break"]
    return {
        "check": name,
        "ok": False,
        "detail": f"BROKEN at seq {bad['seq']}: {bad['reason']}",
        "fix": "striatum daemon doctor (names the row; see docs/SPEC.md on integrity)",
    }


def _failed(check: str, error: errors.StriatumError) -> dict[str, Any]:
    return {"check": check, "ok": False, "detail": error.message, "fix": error.hint}


def _exit_code(planes: dict[str, Plane], failure: errors.StriatumError | None) -> int:
    """The first plane that fails decides: availability, provenance, skills, agents."""
    if failure is not None:
        return failure.exit_code
    if not planes["availability"].ok:
        return errors.EXIT_CODES["migration"]
    if not planes["provenance"].ok:
        return errors.EXIT_CODES["integrity"]
    if not planes["skills"].ok:
        return EXIT_SKILLS
    return 0 if planes["agents"].ok else agents_plane.EXIT_AGENTS


def _attempt(call: Any) -> tuple[Any, errors.StriatumError | None]:
    try:
        return call(), None
    except errors.StriatumError as error:
        return None, error


def lines(result: dict[str, Any]) -> list[str]:
    out = [f"doctor: {'OK' if result['ok'] else 'PROBLEMS FOUND'}"]
    for name in ("availability", "provenance", "skills", "agents"):
        if name == "agents":
            out += agents_plane.lines(result[name])
            continue
        plane = result[name]
        if name == "skills" and not plane["checks"]:
            out.append("skills: none installed (striatum skills install --help)")
            continue
        out.append(f"{name}: {'ok' if plane['ok'] else 'PROBLEM'}")
        for check in plane["checks"]:
            out.append(f"  {'ok ' if check['ok'] else 'BAD'}  {check['check']}: {check['detail']}")
            if not check["ok"] and check.get("fix"):
                out.append(f"        fix: {check['fix']}")
    return out
