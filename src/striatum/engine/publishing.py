"""Recording an artifact file of the repository as the output of one attempt."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from striatum import errors, paths
from striatum.engine import files, snapshot
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.store import chains, records
from striatum.store.runs import JobRow, Run


def publish(
    ctx: Context, run: Run, job: JobRow, lease_id: str, relative: str, kind: str
) -> dict[str, Any]:
    """Check the path (scope, symlinks, .git/.striatum, existence), hash, record, emit.

    A supervised agent works in the run's worktree: an output it names there, absent from
    the repository, is recorded as the worktree holds it and copied to the same path in the
    repository after commit (artifact root only, never through a symlink; the same bytes
    already there are left alone).
    """
    repo, scopes = run.checkout(), snapshot.write_scope(run, job.job_id, job.attempt)
    files.check_relative(relative, scopes)  # before any file is looked at or copied
    worktree, artifact_id = paths.worktree(run.repo_id, run.run_id), new_id("art")
    data = None
    if worktree.is_dir() and not os.path.lexists(repo / relative):
        data = files.take_from_worktree(worktree, repo, relative, snapshot.artifact_root(run))
    if data is None:
        sha256, size = files.digest(files.check_path(repo, relative, scopes))
    else:
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        ctx.after_commit(functools.partial(_copy_in, repo, relative, data, artifact_id))
    published = chains.Event(
        type="artifact.published",
        payload={
            "run_id": run.run_id,
            "artifact_id": artifact_id,
            "path": relative,
            "sha256": sha256,
            "size_bytes": size,
            "attempt": job.attempt,
            "lease_id": lease_id,
        },
        job_id=job.job_id,
    )
    records.insert_artifact(  # and its event
        ctx.conn,
        events=chains.events_arguments(
            repo_id=run.repo_id, run_id=run.run_id, actor=ctx.actor, events=[published]
        ),
        artifact_id=artifact_id,
        repo_id=run.repo_id,
        run_id=run.run_id,
        job_id=job.job_id,
        attempt=job.attempt,
        path=relative,
        kind=kind,
        sha256=sha256,
        size_bytes=size,
        published_by=ctx.actor,
        lease_id=lease_id,
    )
    return {
        "artifact_id": artifact_id,
        "path": relative,
        "sha256": sha256,
        "size_bytes": size,
        "attempt": job.attempt,
    }


def _copy_in(repo: Path, relative: str, data: bytes, artifact_id: str) -> None:
    """After commit: put a worktree output's recorded bytes at its path in the repository."""
    try:
        files.place(repo, relative, data)
    except errors.StriatumError as error:
        raise type(error)(
            f"artifact {artifact_id} is recorded, but {relative} was not copied into the "
            f"repository: {error.message}",
            hint="make the repository writable (or free disk space), then publish it again",
            **error.details,
        ) from None


def publish_expected(ctx: Context, run: Run, job: JobRow, lease_id: str) -> list[str]:
    """Publish declared outputs of this attempt that exist but were not published; return
    the required ones still missing."""
    declared = snapshot.expected_artifacts(run, job.job_id, job.attempt)
    if not declared:
        return []
    done = {
        a.path
        for a in records.attempt_artifacts(
            ctx.conn, run_id=run.run_id, job_id=job.job_id, attempt=job.attempt
        )
    }
    missing = []
    for expected in declared:
        if expected["path"] in done:
            continue
        if (run.checkout() / expected["path"]).is_file():
            publish(ctx, run, job, lease_id, expected["path"], expected["kind"])
        elif expected["required"]:
            missing.append(expected["path"])
    return missing
