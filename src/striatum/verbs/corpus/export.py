"""corpus.export: write a redacted, replay-stable bundle of a run or a repository.

The bundle is built in memory inside the transaction (one consistent view of the chain) and
written after commit, so a retried transaction never meets its own first output.
"""

from __future__ import annotations

import functools
import getpass
import os
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.corpus import bundle
from striatum.corpus.redact import Redactor, repo_patterns
from striatum.engine import files
from striatum.engine.context import Context
from striatum.model.chain import GENESIS_HASH
from striatum.store import corpus, runs
from striatum.verbs.repos import adoption


def export(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run_id = params.get("run_id")
    if run_id:
        repo = adoption.resolve(ctx, runs.get(ctx.conn, run_id).repo_path)
    else:
        repo = adoption.resolve(ctx, params.get("repo"))
    repo_path = Path(repo.path)
    redactor = _redactor(repo_path)
    scoped_runs = corpus.runs(ctx.conn, run_id=run_id, repo_id=repo.repo_id)
    run_ids = [r["run_id"] for r in scoped_runs]
    raw = corpus.tables(ctx.conn, run_ids)
    data: dict[str, list[Any]] = {"runs": redactor.value(scoped_runs)}
    data.update({name: redactor.value(rows) for name, rows in raw.items()})
    rows = corpus.chain_rows(ctx.conn, repo_id=repo.repo_id, run_ids=run_ids if run_id else None)
    data["events"] = bundle.event_lines(rows, set(run_ids) if run_id else None, redactor)
    if params["include_content"]:
        data["contents"] = _contents(repo_path, raw["artifacts"], redactor)
        data["scratch"] = _scratch(repo_path, run_ids, redactor)
    chain = {
        "repo_id": repo.repo_id,
        "first_seq": rows[0].seq if rows else 1,
        "first_previous_hash": rows[0].previous_hash if rows else GENESIS_HASH,
        "last_seq": rows[-1].seq if rows else 0,
        "head_hash": rows[-1].row_hash if rows else GENESIS_HASH,
    }
    scope = (
        {"kind": "run", "run_id": run_id} if run_id else {"kind": "repo", "repo_id": repo.repo_id}
    )
    out = Path(params["out"])
    _check_empty(out)
    payload = bundle.assemble(data, scope=scope, chain=chain, redactions=redactor.counts)
    ctx.after_commit(functools.partial(_write, out, payload))
    return {
        "out": params["out"],
        "files": sorted(payload),
        "events": len(data["events"]),
        "redactions": dict(redactor.counts),
        "head_hash": chain["head_hash"],
    }


def _redactor(repo: Path) -> Redactor:
    extra: list[str] = []
    patterns = repo / ".striatum-redact"
    if patterns.is_file():
        try:
            extra = repo_patterns(patterns.read_text("utf-8"))
        except (ValueError, OSError) as error:
            raise errors.ValidationError(f"{patterns}: {error}") from None
    return Redactor.build(home=os.path.expanduser("~"), user=getpass.getuser(), extra=extra)


def _contents(
    repo: Path, artifacts: list[dict[str, Any]], redactor: Redactor
) -> list[dict[str, Any]]:
    found = []
    for artifact in artifacts:
        text = files.read_recorded(repo, artifact["path"], artifact["sha256"])
        found.append(
            {
                "artifact_id": artifact["artifact_id"],
                "content": None if text is None else redactor.text(text),
            }
        )
    return found


def _scratch(repo: Path, run_ids: list[str], redactor: Redactor) -> list[dict[str, Any]]:
    """Prompts and agent logs the supervisor kept under .striatum/runs/, redacted (not a
    hidden folder's: the supervisor's spare for its next attempt is no attempt's)."""
    found = []
    for run_id in run_ids:
        base = repo / ".striatum" / "runs" / run_id
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            hidden = any(part.startswith(".") for part in path.relative_to(base).parts)
            if path.name in ("prompt.md", "stdout.log", "stderr.log") and not hidden:
                data = files.read_head(path, 1 << 20)  # regular files only, no symlinks
                if data is not None:
                    found.append(
                        {
                            "path": str(path.relative_to(repo)),
                            "text": redactor.text(data.decode("utf-8", "replace")),
                        }
                    )
    return found


def _check_empty(out: Path) -> None:
    """Refuse an export into anything but a new or empty directory."""
    try:
        if out.exists() and not out.is_dir():
            raise errors.ValidationError(
                f"{out} is not a directory; export into a new directory", parameter="out"
            )
        if out.exists() and any(out.iterdir()):
            raise errors.Conflict(f"{out} is not empty; export into a new directory")
    except OSError as error:  # e.g. a name too long, a directory we may not read
        raise errors.ValidationError(
            f"cannot export into {out}: {error.strerror}", parameter="out"
        ) from None


def _write(out: Path, payload: dict[str, bytes]) -> None:
    """After commit: write the bundle (the directory is checked again: something may have
    appeared there meanwhile)."""
    _check_empty(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, body in payload.items():
            (out / name).write_bytes(body)
    except OSError as error:  # e.g. a full disk, a read-only file system
        raise errors.ValidationError(
            f"cannot export into {out}: {error.strerror}", parameter="out"
        ) from None
