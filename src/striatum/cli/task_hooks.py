"""`run task` on the caller's machine: the workflow composed and written before the call, the
supervisor launched after it (the same for the CLI, the MCP server and the web UI).

Before: the arguments become a `starters.task.Task` (the AI CLIs on this PATH fill what was
not given), the workflow passes the validator and the agents' preflight, and the repository
is adopted if it was not (as `striatum adopt`); only then is anything written: the workflow
folder under the repository's `.striatum/tasks/` (kept: the run's `{workflow_dir}`) and the
--save copy. After: the supervisor is launched as `run start` launches it.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from striatum import errors

if TYPE_CHECKING:
    from striatum.starters.task import Task

TASKS_DIR = Path(".striatum") / "tasks"


def compose(params: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """Before-hook: write the task's workflow; the params to send name it."""
    from striatum.lanes.installed import ai_clis
    from striatum.model.budget_amounts import dollars
    from striatum.starters import task as tasks

    if params.get("workflow"):
        raise errors.UsageError(
            "run task writes its own workflow: give the task as a sentence",
            hint="a workflow of yours runs with: striatum run prepare --workflow FILE --start",
        )
    task = tasks.choose(
        text=_text(local),
        style=local.get("style") or tasks.DEFAULT_STYLE,
        author=local.get("author"),
        reviewers=local.get("reviewer"),
        max_revisions=local.get("max_revisions"),
        installed=ai_clis(),
    )
    if params.get("budget_usd") is not None:
        dollars(params["budget_usd"], "budget_usd")
    repo = _repo(params, local)
    folder = repo / TASKS_DIR / _folder_name()
    files = workflow_files(task)
    _preflight(files, folder, repo)
    save = local.get("save")
    _refuse_taken([folder, *([Path(save)] if save else [])], files)
    _adopt(repo, local)
    from striatum.starters.build import write

    write(folder, files)
    if save:
        write(Path(save), files)
    local["task"] = summary(task, folder, save)
    sent = {"workflow": str(folder / "workflow.json"), "repo": str(repo)}
    if params.get("budget_usd") is not None:
        sent["budget_usd"] = params["budget_usd"]
    return sent


def started(result: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """After-hook: the supervisor launched; the answer says who works on the task."""
    from striatum.cli.after import start_supervisor

    start_supervisor(result, local)
    return {**result, **local.get("task", {}), "adopted": bool(local.get("adopted"))}


def workflow_files(task: Task) -> dict[str, str]:
    """The folder's files: the composed workflow, its schema, and the scripted agent when
    its lanes run it. Checked by the validator `workflow validate` uses."""
    from striatum.model.workflow import json_schema
    from striatum.model.workflow.validate import validate_text
    from striatum.starters import task as tasks
    from striatum.starters.examples import scripted_agent

    files = tasks.compose(task)
    files["workflow.schema.json"] = json_schema.text()
    if task.scripted:
        files["agents/scripted_agent.py"] = scripted_agent()
    result = validate_text(files["workflow.json"], file_exists=files.__contains__)
    if not result.ok:  # a starter always passes; a task's changes must not break that
        raise errors.ValidationError(
            f"the composed workflow is invalid: {result.errors[0]}",
            problems=[p.to_dict() for p in result.errors],
        )
    return files


def summary(task: Task, folder: Path, save: str | None) -> dict[str, Any]:
    """What the answer adds: who works on the task, and where its workflow lives."""
    lanes = (
        "scripted agents (no AI CLI on PATH: claude, codex, gemini)"
        if task.scripted
        else f"author {task.author}, reviewers {', '.join(task.reviewers) or 'none'}"
    )
    found: dict[str, Any] = {
        "style": task.style,
        "author": task.author,
        "reviewers": list(task.reviewers),
        "scripted": task.scripted,
        "lanes": lanes,
        "workflow_dir": str(folder),
    }
    if save:
        found["saved_to"] = save
    return found


def _repo(params: dict[str, Any], local: dict[str, Any]) -> Path:
    """The repository the task runs in; `local["adopt"]`: whether it must be adopted."""
    from striatum.client import rpc

    given = params.get("repo")
    if not given:
        raise errors.ValidationError(
            "no repository: run inside a git repository or pass --repo DIR", parameter="repo"
        )
    repo = Path(given).resolve()
    adopted = rpc.call(
        "repo.list", {}, as_role=local.get("caller_role"), token=local.get("caller_token")
    )
    local["adopt"] = str(repo) not in {r.get("path") for r in adopted.get("repositories", [])}
    return repo


def _adopt(repo: Path, local: dict[str, Any]) -> None:
    """Adopt the repository if it was not (as `striatum adopt`: registered, `.striatum/`
    ignored in git), once everything else about the task was checked."""
    from striatum.client import rpc

    if local.pop("adopt", False):
        rpc.call(
            "adopt",
            {"repo": str(repo)},
            as_role=local.get("caller_role"),
            token=local.get("caller_token"),
        )
        local["adopted"] = True


def _text(local: dict[str, Any]) -> str:
    parts = [str(local.get("sentence") or "").strip()]
    if local.get("file"):
        path = Path(local["file"])
        try:
            parts.append(path.read_text(encoding="utf-8").strip())
        except FileNotFoundError:
            raise errors.NotFound(f"--file: no such file: {path}", parameter="file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise errors.ValidationError(f"--file: cannot read {path}: {error}") from None
    return "\n\n".join(p for p in parts if p)


def _folder_name() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def _preflight(files: dict[str, str], folder: Path, repo: Path) -> None:
    """Refuse (agent_unavailable) when a lane's agent could not start here."""
    import json

    from striatum.lanes import preflight

    lanes = json.loads(files["workflow.json"])["lanes"]
    checks = preflight.check_lanes(lanes, workflow_dir=str(folder), repo=str(repo))
    refusal = preflight.refusal(checks)
    if refusal is not None:
        fixes = dict.fromkeys(c.fix for c in checks if not c.ok and c.fix)
        refusal.hint = "; ".join(fixes) or None
        raise refusal


def _refuse_taken(folders: list[Path], files: dict[str, str]) -> None:
    taken = [str(f / name) for f in folders for name in files if (f / name).exists()]
    if taken:
        raise errors.Conflict(
            f"--save: refusing to overwrite {', '.join(taken[:3])}",
            hint="choose an empty directory",
            parameter="save",
        )
