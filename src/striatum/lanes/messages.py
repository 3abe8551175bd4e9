"""`striatum send`: a line of text into a running agent's input FIFO."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from striatum import errors
from striatum.client import rpc


def send(run_id: str, job_id: str, message: str, *, as_role: str | None = None) -> str:
    status = rpc.call("status", {"run_id": run_id}, as_role=as_role)
    job = next((j for j in status["jobs"] if j["job_id"] == job_id), None)
    if job is None:
        raise errors.NotFound(f"no job {job_id!r} in run {run_id}")
    if job["state"] != "leased":
        raise errors.Conflict(
            f"job {job_id} is {job['state']}; only a running agent can get messages"
        )
    fifo = (
        Path(status["run"]["repo"])
        / ".striatum"
        / "runs"
        / run_id
        / job_id
        / f"attempt-{job['attempt']}"
        / "input.fifo"
    )
    try:
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise errors.NotFound(
            f"no input FIFO at {fifo}: is a supervisor running this job?", path=str(fifo)
        ) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise errors.Conflict(f"{fifo} is a symlink; refusing to write through it") from None
        if error.errno == errno.ENXIO:
            raise errors.Conflict(
                f"the agent of {job_id} is not reading its input FIFO now",
                hint="agents read STRIATUM_INPUT_FIFO when they want messages; try again",
            ) from None
        raise
    if not stat.S_ISFIFO(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise errors.Conflict(f"{fifo} is not a FIFO; refusing to write to it")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(message.replace("\n", " ") + "\n")
    return f"sent to {job_id} (attempt {job['attempt']})"
