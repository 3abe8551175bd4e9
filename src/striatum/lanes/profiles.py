"""Provider profiles: how a job becomes an agent process (argv, stdin, environment).

Each profile is data: the headless invocation its CLI documents, with the prompt fed on stdin
(argv strings are capped at 128 KiB on Linux; prompts with inputs can be larger), the flags and
settings that make it fail fast when its model cannot be reached, the variables it needs from
the supervisor's environment, and how it is installed. What the CLI prints in its documented
JSON output is read by `agent_output` (the profile's own parser), never by the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from striatum import errors
from striatum.model.packet import LaneSpec
from striatum.model.workflow import placeholders


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    executable: str
    package: str  # where the CLI comes from, for the install hint
    headless: tuple[str, ...]  # the documented non-interactive flags
    model_flag: str | None  # how a model label is passed, if at all
    trailing: tuple[str, ...] = ()  # what must come last (a prompt marker)
    # Variables the CLI needs from the supervisor's environment: exact names, or prefixes
    # ending in `_` (a lane never sees another provider's key).
    needs_env: tuple[str, ...] = ()
    # Defaults that make an unreachable model fail an attempt in seconds, not minutes; a
    # lane's own `env` (or the supervisor's environment) wins over them.
    fail_fast_env: dict[str, str] = field(default_factory=dict)
    # Settings written to a file of the attempt's scratch folder, named by this variable
    # (for CLIs whose fail-fast knobs exist only as settings); the user's own file wins.
    defaults_file: tuple[str, dict[str, Any]] | None = None
    # The CLI's own folders (login, settings, sessions, caches): writable inside a lane's
    # sandbox, where the rest of $HOME is read-only. `${VAR:-default}` takes the variable from
    # the agent's environment where the CLI lets one move them; `~` is the agent's $HOME.
    config_folders: tuple[str, ...] = ()
    # What a `strict` sandbox lets its agents reach without the lane naming it: the CLI's
    # model API and sign-in hosts (model/egress_rules.py entries).
    hosts: tuple[str, ...] = ()

    @property
    def install_hint(self) -> str:
        return f"npm install -g {self.package}"


PROFILES: dict[str, Profile] = {
    # `claude -p` prints one JSON result; with no prompt argument it reads stdin.
    # acceptEdits lets it write files without an interactive permission prompt.
    "claude_code": Profile(
        name="claude_code",
        executable="claude",
        package="@anthropic-ai/claude-code",
        headless=("-p", "--output-format", "json", "--permission-mode", "acceptEdits"),
        model_flag="--model",
        needs_env=(
            "ANTHROPIC_",
            "CLAUDE_",
            "DISABLE_AUTOUPDATER",
            "DISABLE_TELEMETRY",
            "IS_SANDBOX",
            "AWS_",
            "CLOUD_ML_REGION",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "ANTHROPIC_VERTEX_PROJECT_ID",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "NO_PROXY",
        ),
        fail_fast_env={"CLAUDE_CODE_MAX_RETRIES": "1"},
        config_folders=("${CLAUDE_CONFIG_DIR:-~/.claude}",),
        hosts=("api.anthropic.com", "console.anthropic.com", "platform.claude.com", "claude.ai"),
    ),
    # `codex exec -` reads the prompt from stdin (with no `-` and an open stdin it waits for
    # EOF); --json streams events; the sandbox lets it write inside its working directory.
    # Without the feature switched off, Codex retries an unreachable endpoint for ever.
    "codex": Profile(
        name="codex",
        executable="codex",
        package="@openai/codex",
        headless=(
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--sandbox",
            "workspace-write",
            "-c",
            "features.unbounded_connection_retries=false",
        ),
        model_flag="--model",
        trailing=("-",),
        needs_env=(
            "CODEX_",
            "OPENAI_",
            "AZURE_OPENAI_",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "NO_PROXY",
            "SSL_CERT_FILE",
        ),
        config_folders=("${CODEX_HOME:-~/.codex}",),
        hosts=("api.openai.com", "auth.openai.com", "chatgpt.com"),
    ),
    # `gemini -p TEXT` runs headless with TEXT appended to what stdin holds. auto_edit
    # approves file edits; --skip-trust: a run's worktree is new, so never a trusted folder.
    "gemini": Profile(
        name="gemini",
        executable="gemini",
        package="@google/gemini-cli",
        headless=("--output-format", "json", "--approval-mode", "auto_edit", "--skip-trust"),
        model_flag="--model",
        trailing=("-p", "Follow the instructions above. Write the files they name."),
        needs_env=("GEMINI_", "GOOGLE_", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"),
        defaults_file=(
            "GEMINI_CLI_SYSTEM_DEFAULTS_PATH",
            {
                "general": {"maxAttempts": 1, "enableAutoUpdate": False},
                "privacy": {"usageStatisticsEnabled": False},
                "telemetry": {"enabled": False},
            },
        ),
        config_folders=("${GEMINI_CLI_HOME:-~}/.gemini",),
        hosts=(
            "generativelanguage.googleapis.com",
            "cloudcode-pa.googleapis.com",
            "oauth2.googleapis.com",
            "www.googleapis.com",
        ),
    ),
}


@dataclass(frozen=True, kw_only=True)
class Invocation:
    argv: list[str]
    stdin_file: str | None  # the prompt file fed on stdin, or None


def invocation(lane: LaneSpec, values: dict[str, str]) -> Invocation:
    """The argv for a lane and job. `values` fills the placeholders of `command`."""
    provider = lane["provider"]
    extra = [placeholders.fill(arg, values) for arg in lane["command"]]
    if provider == "command":
        if not extra:
            raise errors.ValidationError("a command lane needs its argv template")
        return Invocation(argv=extra, stdin_file=values.get("prompt_file"))
    profile = PROFILES[provider]
    model = [profile.model_flag, lane["model"]] if lane["model"] and profile.model_flag else []
    return Invocation(
        argv=[profile.executable, *profile.headless, *model, *extra, *profile.trailing],
        stdin_file=values["prompt_file"],
    )


def executable(lane: LaneSpec) -> str | None:
    """The program a lane launches (for the preflight): the profile's CLI or argv[0]."""
    if lane["provider"] == "command":
        command = lane["command"]
        if not command or "{" in command[0]:  # known only at launch
            return None
        return str(command[0])
    return PROFILES[lane["provider"]].executable
