"""`readOnlyHint` is true exactly for the verbs that write nothing, checked against what they do.

A verb is read-only when a call leaves every striatumd table as it was (the audit log and its
chain head aside: every request is audited) and creates, changes or removes no file under the
repository or the Striatum home (its logs aside). Each read-only tool is called here through a
real `striatum mcp serve` on a real daemon whose database holds a finished run, an artifact, a
verdict and an open escalation, and the database and the files are compared before and after.
Two writing verbs run through the same comparison first, so the detector is shown to see rows
(`run.pause`) and files (`corpus.export`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import psycopg
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from striatum.mcp.tools import TOOLS, tool_name
from striatum.verbs.catalog import BY_NAME, VERBS
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo

BIN = Path(sys.executable).parent
# Verbs known to write outside the database: files, directories, processes, git.
WRITES_FILES = {
    "corpus.export": "a bundle directory",
    "adopt": ".gitignore, and with --profile skills and agent configuration",
    "run.start": "a supervisor, its worktrees and logs",
    "run.land": "a git merge in the repository",
}
# Audited on every request, whatever the verb: not the verb's own writing.
AUDIT_CHAIN = "audit"


def test_verbs_that_write_files_are_not_read_only() -> None:
    for name in WRITES_FILES:
        spec = next(s for s in TOOLS.values() if s.verb.name == name)
        assert not spec.read_only and spec.verb.writes, name
    for spec in TOOLS.values():
        assert spec.read_only is (not spec.verb.writes), spec.name


def test_every_read_only_tool_writes_nothing(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    ids = _populate(daemon, repo)
    conninfo = daemon.database.admin_conninfo if daemon.database else ""
    home = Path(daemon.env["STRIATUM_HOME"])

    def state() -> tuple[dict[str, str], dict[str, str]]:
        return _tables(conninfo), _files(repo, home)

    async def scenario() -> dict[str, list[str]]:
        changed: dict[str, list[str]] = {}
        async with _client(daemon, repo) as client:
            for verb, arguments, writes in _calls(ids, tmp_path):
                before = state()
                result = await client.call_tool(tool_name(BY_NAME[verb]), arguments)
                after = state()
                text = result.content[0].text  # type: ignore[union-attr]
                differences = _diff(before, after)
                if writes:  # the detector's own check: a writing verb is seen writing
                    assert not result.is_error and differences, (verb, text)
                    continue
                assert not result.is_error, (verb, text)
                if differences:
                    changed[verb] = differences
        return changed

    changed = anyio.run(scenario)
    assert not changed, json.dumps(changed, indent=1)


def _calls(ids: dict[str, str], tmp_path: Path) -> list[tuple[str, dict[str, Any], bool]]:
    """(verb, arguments, expected to write) for the controls, then every read-only verb."""
    run = ids["run_id"]
    arguments: dict[str, dict[str, Any]] = {
        "daemon.verify": {"deep": True},
        "token.list": {"all": True},
        "audit.list": {},
        "status": {"run_id": run},
        "why": {"id": run},
        "list.jobs": {"run_id": run},
        "list.artifacts": {"run_id": run},
        "list.verdicts": {"run_id": run},
        "escalation.list": {"all": True},
        "escalation.show": {"blocker": ids["blocker"]},
        "recovery.list": {},
        "run.graph": {"run_id": run},
        "job.show": {"run_id": run, "job": ids["job"]},
        "artifact.show": {"artifact": ids["artifact"]},
        "events.wait": {"run_id": run, "timeout_s": 1},
    }
    controls: list[tuple[str, dict[str, Any], bool]] = [
        ("run.pause", {"run_id": ids["open_run_id"]}, True),
        ("corpus.export", {"run_id": run, "out": str(tmp_path / "repo" / "bundle")}, True),
    ]
    reads = [(v.name, arguments.get(v.name, {}), False) for v in VERBS if not v.writes]
    return controls + reads


def _populate(daemon: DaemonUnderTest, repo: Path) -> dict[str, str]:
    """A finished review run (artifacts, a verdict) and an open run with an escalation."""
    operator = Operator(daemon=daemon, repo=repo)
    run_id = operator.prepare(example("review-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    artifact = operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"][0]
    open_run = operator.cli("run", "prepare", "--workflow", str(example("minimal-flow")))
    operator.cli("run", "start", "--run-id", open_run["run_id"], "--no-supervise")
    packet = operator.claim(open_run["run_id"])
    assert packet is not None
    blocked = operator.cli("block", "--lease", packet["lease"]["lease_id"], "--reason", "why?")
    return {
        "run_id": run_id,
        "artifact": artifact["artifact_id"],
        "job": artifact["job_id"],
        "open_run_id": open_run["run_id"],
        "blocker": blocked["blocker_id"],
    }


@asynccontextmanager
async def _client(daemon: DaemonUnderTest, cwd: Path) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=str(BIN / "striatum"),
        args=["mcp", "serve"],
        cwd=str(cwd),
        env={**daemon.env, "STRIATUM_TOKEN": daemon.token("principal")},
    )
    async with Client(params, read_timeout_seconds=60) as client:
        yield client


def _tables(conninfo: str) -> dict[str, str]:
    """A digest of every striatumd table's rows (the audit log and its chain head aside)."""
    digests: dict[str, str] = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'striatumd' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'audit_log' ORDER BY 1"
            )
        ]
        for name in names:
            where = f" WHERE t.chain <> '{AUDIT_CHAIN}'" if name == "chain_heads" else ""
            query = (
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY "
                f"t::text), '')) FROM striatumd.{name} t{where}"
            )
            count, digest = conn.execute(query).fetchone() or (0, "")
            digests[name] = f"{count} rows, {digest}"
    return digests


# What the daemon writes on its own, whatever is called: its log and its chain anchors (the
# home's file, and the repository's anchor ref with the git objects it points at).
_BACKGROUND = [("logs",), ("anchors.jsonl",), (".git", "objects"), (".git", "refs", "striatum")]
_BACKGROUND += [(".git", "logs", "refs", "striatum")]


def _files(repo: Path, home: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in (repo, home):
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            background = any(relative.parts[: len(p)] == p for p in _BACKGROUND)
            if not path.is_file() or background:
                continue
            found[f"{root.name}/{relative}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _diff(
    before: tuple[dict[str, str], dict[str, str]], after: tuple[dict[str, str], dict[str, str]]
) -> list[str]:
    changes = []
    for old, new in zip(before, after, strict=True):
        changes += [
            f"{key}: {old.get(key)} -> {new.get(key)}"
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ]
    return changes
