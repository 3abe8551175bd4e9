"""How an agent's attempt ended, in words a human can act on: the CLI's own error quoted from
its JSON output (stdout) or its last words on stderr, and the log that holds the rest."""

from __future__ import annotations

import errno
import re
import time
from dataclasses import replace
from pathlib import Path

from striatum.lanes import agent_output, profiles
from striatum.lanes.agent_process import AgentProcess
from striatum.model.packet import LaneSpec

THREAD_ID = re.compile(r"[0-9A-Za-z-]{8,64}")
READ_LIMIT = 8 * 1024 * 1024  # the tail of a log that is read (results come last)


def judge(agent: AgentProcess, code: int) -> agent_output.AgentOutput:
    """The attempt's outcome: `failure` is None only for exit 0 with no error reported."""
    stdout_log, stderr_log = agent.scratch / "stdout.log", agent.scratch / "stderr.log"
    provider = agent.assignment.lane["provider"]
    output = (
        agent_output.read(provider, _tail(stdout_log), _tail(stderr_log), now=time.time())
        if provider in agent_output.READERS
        else agent_output.AgentOutput()
    )
    if provider == "codex" and output.model is None and output.session:
        output = replace(output, model=_codex_model(agent.env, output.session))
    found_in = stderr_log if output.in_stderr else stdout_log
    if code == 0:
        if output.failure is None:
            return output
        return replace(output, failure=f"{output.failure}; see {found_in}")
    if output.failure is not None:
        said, log = output.failure, found_in
    else:
        last = _last_line(_tail(stderr_log))
        said, log = (f"it said {last!r}" if last else "it printed nothing on stderr"), stderr_log
    return replace(output, failure=f"agent exited with {code}: {said}; see {log}")


def _codex_model(env: dict[str, str], thread: str) -> str | None:
    """Codex names its model only in its session file, found by the thread id."""
    if not THREAD_ID.fullmatch(thread):  # it goes into a glob pattern
        return None
    home = (
        Path(env["CODEX_HOME"])
        if env.get("CODEX_HOME")
        else Path(env.get("HOME", "~")).expanduser() / ".codex"
    )
    for rollout in (home / "sessions").glob(f"*/*/*/rollout-*{thread}.jsonl"):
        return agent_output.codex_model(_tail(rollout))
    return None


def launch_failure(lane: LaneSpec, error: BaseException) -> str:
    """Why the agent could not start, with what to do about it."""
    program = profiles.executable(lane) or "the lane's command"
    if isinstance(error, OSError) and error.errno == errno.ENOENT:
        profile = profiles.PROFILES.get(lane["provider"])
        hint = f" (install it: {profile.install_hint})" if profile else ""
        return f"could not launch the agent: `{program}` is not on PATH{hint}"
    if isinstance(error, OSError) and error.errno == errno.EACCES:
        return f"could not launch the agent: `{program}` is not executable"
    message = getattr(error, "message", None) or str(error)
    return f"could not launch the agent: {message}"


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - READ_LIMIT))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= 300 else last[:300] + "…"
