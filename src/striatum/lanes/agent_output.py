"""What a provider's CLI reported about an attempt, read from its documented JSON output.

Exit 0 is not success for these CLIs: a refused tool or a failed model call may still end
with exit 0, the error in the JSON output (on stdout; Gemini CLI prints its error document at
the end of stderr). Each profile's reader finds the error (quoted in the attempt's failure
reason), a change the agent tried to make and was refused (Claude's permission denials,
Codex's failed file changes, Gemini's failed write or shell tools; a failing test command is
ordinary work and does not count), the model that answered, what the attempt used (tokens and
the CLI's own dollars, never estimated here: `cli_usage`), and a provider's rate or usage
limit when that is why it stopped (`usage_limits`; still a failure). This reads machine output the
CLI documents, never its human-oriented text; a `command` lane has no reader. Pure functions
over the captured text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from striatum.lanes import cli_usage, usage_limits
from striatum.lanes.usage_limits import Limit
from striatum.model import bounded_json
from striatum.model.usage import Usage

QUOTE_LIMIT = 300


CHANGING_TOOLS = ("write_file", "replace", "edit", "run_shell_command")  # Gemini's
# Older Claude Code printed its usage limit as a result without is_error; only that exact
# shape counts there, so a final message that merely mentions a limit is not one.
CLAUDE_PLAIN_LIMIT = re.compile(r"Claude AI usage limit reached\|\d+|[\w -]*limit reached\s*[∙·]")


@dataclass(frozen=True, kw_only=True)
class AgentOutput:
    failure: str | None = None  # why the attempt failed although the CLI may have exited 0
    model: str | None = None  # the model that answered, as the CLI named it
    session: str | None = None  # the CLI's own id of the session (Codex: its thread)
    in_stderr: bool = False  # the failure was found on stderr
    usage: Usage | None = None  # what the CLI reported the attempt used; None: nothing
    limit: Limit | None = None  # the provider's rate or usage limit stopped it (a failure too)


def read(provider: str, stdout: str, stderr: str = "", *, now: float | None = None) -> AgentOutput:
    """What the CLI's output says; `now` (epoch seconds) places a limit's reset said as a
    time of day."""
    reader = READERS.get(provider)
    if reader is None:
        return AgentOutput()
    found = reader(stdout, now)
    if found.failure is None and not stdout.strip() and stderr:
        late = reader(_last_object(stderr), now)
        if late.failure is not None:
            return replace(late, in_stderr=True)
    return found


def codex_model(rollout: str) -> str | None:
    """The model named by the last turn context of a Codex session file (its `--json` events
    do not name it)."""
    model = None
    for event in _documents(rollout):
        payload = event.get("payload")
        if event.get("type") == "turn_context" and isinstance(payload, dict):
            model = _string(payload.get("model")) or model
    return model


def _claude(stdout: str, now: float | None) -> AgentOutput:
    result = next((doc for doc in _documents(stdout) if doc.get("type") == "result"), None)
    if result is None:
        return AgentOutput()
    models = result.get("modelUsage")
    model = _main_model(models) if isinstance(models, dict) else None
    usage = cli_usage.claude(result, model)
    failed = result.get("is_error") or str(result.get("subtype", "success")) != "success"
    text = result.get("result") or result.get("subtype") or "an error result"
    status = result.get("api_error_status")
    limit = usage_limits.recognise(
        str(text) if failed or CLAUDE_PLAIN_LIMIT.match(str(text)) else "",
        status=status if failed and isinstance(status, int) else None,  # a retried 429 is no limit
        now=now,
    )
    if failed or limit:
        return AgentOutput(
            failure=f"Claude Code reported an error: {_quote(text)}",
            model=model,
            usage=usage,
            limit=limit,
        )
    denied = [
        d.get("tool_name", "?")
        for d in result.get("permission_denials") or []
        if isinstance(d, dict)
    ]
    if denied:
        return AgentOutput(
            failure="Claude Code was refused permission for "
            + ", ".join(sorted(set(map(str, denied))))
            + " (permission_denials in its result)",
            model=model,
            usage=usage,
        )
    return AgentOutput(model=model, usage=usage)


def _codex(stdout: str, now: float | None) -> AgentOutput:
    failure, model, thread, refused = None, None, None, []
    limit: Limit | None = None
    events = list(_documents(stdout))
    for event in events:
        kind = event.get("type")
        model = _string(event.get("model")) or model
        thread = _string(event.get("thread_id")) or thread
        item = event["item"] if isinstance(event.get("item"), dict) else {}
        if kind == "turn.failed":
            error = event.get("error") or {}
            failure = f"Codex turn failed: {_quote(_message(error))}"
            limit = usage_limits.recognise(_message(error), now=now) or limit
        elif kind == "error" and failure is None:
            failure = f"Codex reported an error: {_quote(_message(event))}"
        if kind == "error":  # the first may be the limit, the last one only "retry limit"
            limit = limit or usage_limits.recognise(_message(event), now=now)
        elif kind == "turn.completed":
            failure, limit = None, None  # a later turn succeeded after a retried stream error
        elif (
            kind == "item.completed"
            and item.get("type") == "file_change"
            and item.get("status") == "failed"
        ):
            refused += [
                str(c.get("path")) for c in item.get("changes") or [] if isinstance(c, dict)
            ]
    if failure is None and refused:
        failure = "Codex could not change " + ", ".join(refused)
    usage = cli_usage.codex(events, model)
    return AgentOutput(failure=failure, model=model, session=thread, usage=usage, limit=limit)


def _gemini(stdout: str, now: float | None) -> AgentOutput:
    result = next(iter(_documents(stdout)), None)
    if result is None:
        return AgentOutput()
    stats = result.get("stats") or {}
    models = stats.get("models") if isinstance(stats, dict) else None
    model = _main_model(models) if isinstance(models, dict) else None
    usage = cli_usage.gemini(stats, model) if isinstance(stats, dict) else None
    error = result.get("error")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        limit = usage_limits.recognise(
            _message(error), status=code if isinstance(code, int) else None, now=now
        )
        return AgentOutput(
            failure=f"Gemini CLI reported an error: {_quote(_message(error))}",
            model=model,
            usage=usage,
            limit=limit,
        )
    tools = stats.get("tools") if isinstance(stats, dict) else None
    by_name = tools.get("byName") if isinstance(tools, dict) else None
    refused = sorted(
        name
        for name, tool in (by_name or {}).items()
        if isinstance(tool, dict)
        and (
            (tool.get("decisions") or {}).get("reject", 0)
            or (name in CHANGING_TOOLS and tool.get("fail", 0))
        )
    )
    if refused:
        return AgentOutput(
            failure="Gemini CLI's " + ", ".join(refused) + " failed or was "
            "refused (stats.tools in its result)",
            model=model,
            usage=usage,
        )
    return AgentOutput(model=model, usage=usage)


READERS: dict[str, Callable[[str, float | None], AgentOutput]] = {
    "claude_code": _claude,
    "codex": _codex,
    "gemini": _gemini,
}


def _documents(stdout: str) -> Iterator[dict[str, Any]]:
    """JSON objects in the output: the whole text as one, else one per line (JSONL)."""
    text = stdout.strip()
    try:
        whole = bounded_json.loads(text, locate=False)  # an agent's output: anything
    except ValueError:
        pass
    else:
        if isinstance(whole, dict):
            yield whole
        return
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            found = bounded_json.loads(line, locate=False)
        except ValueError:
            continue
        if isinstance(found, dict):
            yield found


def _last_object(text: str) -> str:
    """The last JSON object printed in `text` (after a stack trace, say), or ''."""
    decoder = json.JSONDecoder()
    position = len(text)
    while (position := text.rfind("{", 0, position)) >= 0:
        if position == 0 or text[position - 1] == "\n":
            try:
                found, end = decoder.raw_decode(text, position)
            except (ValueError, RecursionError):
                continue
            if isinstance(found, dict) and not text[end:].strip():
                return text[position:end]
    return ""


def _main_model(models: dict[str, Any]) -> str | None:
    """The model that did most of the work (most output tokens) when several answered."""

    def weight(item: tuple[str, Any]) -> float:
        usage = item[1] if isinstance(item[1], dict) else {}
        tokens = usage.get("tokens") if isinstance(usage.get("tokens"), dict) else usage
        for key in ("outputTokens", "candidates", "output_tokens", "total"):
            value = tokens.get(key) if isinstance(tokens, dict) else None
            if isinstance(value, int | float):
                return float(value)
        return 0.0

    ranked = sorted(models.items(), key=weight, reverse=True)
    return str(ranked[0][0]) if ranked else None


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or json.dumps(error)[:200])
    return str(error)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _quote(text: Any) -> str:
    flat = " ".join(str(text).split())
    return repr(flat if len(flat) <= QUOTE_LIMIT else flat[:QUOTE_LIMIT] + "…")
