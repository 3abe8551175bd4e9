"""Provider profiles: how a job becomes an agent process (argv, stdin, env, cwd).

Each profile is data: the headless invocation its CLI documents, with the prompt fed on
stdin (argv strings are capped at 128 KiB on Linux; prompts with inputs can be larger).
The core never parses what an agent prints: results come back through verbs (the lane token
is in the environment) or through the declared output files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from striatum import errors


@dataclass(frozen=True, kw_only=True)
class Profile:
    executable: str
    headless: tuple[str, ...]  # the documented non-interactive flags
    model_flag: str | None  # how a model label is passed, if at all
    trailing: tuple[str, ...] = ()  # what must come last (a prompt marker)


PROFILES: dict[str, Profile] = {
    # `claude -p` prints one result; with no prompt argument it reads the prompt on stdin.
    # acceptEdits lets it write files without an interactive permission prompt.
    "claude_code": Profile(executable="claude",
                           headless=("-p", "--output-format", "json",
                                     "--permission-mode", "acceptEdits"),
                           model_flag="--model"),
    # `codex exec -` reads the prompt from stdin; --json streams events; the sandbox lets
    # it write inside its working directory only.
    "codex": Profile(executable="codex",
                     headless=("exec", "--json", "--sandbox", "workspace-write"),
                     model_flag="--model", trailing=("-",)),
    # `gemini -p TEXT` runs headless with TEXT appended to what stdin holds.
    # auto_edit approves file edits, which headless mode cannot ask about.
    "gemini": Profile(executable="gemini",
                      headless=("--output-format", "json", "--approval-mode", "auto_edit"),
                      model_flag="--model",
                      trailing=("-p", "Follow the instructions above. Write the files they "
                                "name.")),
}


@dataclass(frozen=True, kw_only=True)
class Invocation:
    argv: list[str]
    stdin_file: str | None  # the prompt file fed on stdin, or None


def invocation(lane: dict[str, Any], values: dict[str, str]) -> Invocation:
    """The argv for a lane and job. `values` fills the placeholders of `command`."""
    provider = lane["provider"]
    extra = [_fill(arg, values) for arg in lane.get("command", [])]
    if provider == "command":
        if not extra:
            raise errors.ValidationError("a command lane needs its argv template")
        return Invocation(argv=extra, stdin_file=values.get("prompt_file"))
    profile = PROFILES[provider]
    model = [profile.model_flag, lane["model"]] if lane.get("model") and profile.model_flag \
        else []
    return Invocation(argv=[profile.executable, *profile.headless, *model, *extra,
                            *profile.trailing], stdin_file=values["prompt_file"])


def _fill(template: str, values: dict[str, str]) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise errors.ValidationError(f"cannot fill {template!r}: {error}") from None
