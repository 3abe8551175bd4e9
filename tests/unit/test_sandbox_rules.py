"""The pure rules of lane sandboxes: which sandbox a lane gets, and the order of its mounts
(lanes/sandbox.py), and which folders under /tmp an agent's programs come from
(lanes/sandbox_plan.program_folders). The sandbox itself is tried by tests/e2e/test_sandbox.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from striatum import errors
from striatum.lanes import sandbox, sandbox_plan


@pytest.mark.parametrize(
    ("asked", "available", "gets"),
    [
        (None, True, "standard"),  # the default where a sandbox can be made
        (None, False, "none"),  # and where not (run start and the supervisor warn)
        ("none", True, "none"),
        ("standard", True, "standard"),
        ("standard", False, "standard"),  # asked for: refused at launch, never dropped
    ],
)
def test_a_lane_gets_the_sandbox_it_names_or_the_default(
    asked: str | None, available: bool, gets: str
) -> None:
    assert sandbox.effective(asked, available) == gets


def mounts(argv: list[str]) -> list[tuple[str, str]]:
    """The (option, path) mounts of a wrapped argv after its fixed prefix, in order."""
    out, i = [], argv.index("TMPDIR") + 2
    while argv[i] != "--chdir":
        option = argv[i]
        out.append((option, argv[i + 1]))
        i += 2 if option in ("--tmpfs", "--remount-ro") else 3
    return out


def test_mounts_go_shallowest_first_so_what_lies_inside_keeps_its_own_rule() -> None:
    plan = sandbox.Plan(
        workdir=Path("/h/home/worktrees/r/run"),  # inside the hidden home: writable
        protected=(Path("/t/bin"), Path("/t")),  # a PATH entry holding the hidden runtime
        writable=(Path("/repo/.git/worktrees/run"),),
        hidden=(Path("/h/home"), Path("/t/run")),
        socket=Path("/t/run/striatumd.sock"),
    )
    argv = sandbox.wrap("bwrap", plan, ["agent", "--flag"])
    assert argv[-3:] == ["--", "agent", "--flag"]
    assert argv[argv.index("--chdir") + 1] == "/h/home/worktrees/r/run"
    order = mounts(argv)
    where = {m: i for i, m in enumerate(order)}
    assert where[("--ro-bind", "/t")] < where[("--tmpfs", "/t/run")]  # hidden again inside
    assert where[("--tmpfs", "/t/run")] < where[("--bind", "/t/run/striatumd.sock")]
    assert where[("--tmpfs", "/h/home")] < where[("--bind", "/h/home/worktrees/r/run")]
    assert order[-2:] == [("--remount-ro", "/h/home"), ("--remount-ro", "/t/run")]


def test_at_one_path_hidden_wins_over_protected_and_writable_over_both() -> None:
    plan = sandbox.Plan(
        workdir=Path("/repo"),
        protected=(Path("/repo"), Path("/secret")),
        hidden=(Path("/secret"),),
    )
    order = mounts(sandbox.wrap("bwrap", plan, ["agent"]))
    assert order.index(("--tmpfs", "/secret")) > order.index(("--ro-bind", "/secret"))
    assert order.index(("--bind", "/repo")) > order.index(("--ro-bind", "/repo"))


def test_program_folders_are_those_under_tmp_on_path_and_named_by_the_command(
    tmp_path: Path,
) -> None:
    if not tmp_path.resolve().is_relative_to("/tmp"):
        pytest.skip(f"pytest's tmp_path {tmp_path} is not under /tmp here")
    stubs, scripts = tmp_path / "stubs", tmp_path / "scripts"
    stubs.mkdir()
    scripts.mkdir()
    search = f"{stubs}:/usr/bin::relative:{tmp_path / 'missing'}:/tmp:{stubs}"
    (scripts / "agent.py").write_text("")
    argv = ["python3", str(scripts / "agent.py"), "--out", "relative.md", str(tmp_path / "no")]
    found = sandbox_plan.program_folders(search, argv)
    assert found == (stubs.resolve(), scripts.resolve())  # /usr/bin is seen anyway
    assert sandbox_plan.program_folders("/usr/bin:/bin", ["claude", "-p"]) == ()


@pytest.mark.parametrize(
    ("template", "env", "folder"),
    [
        ("${CLAUDE_CONFIG_DIR:-~/.claude}", {"HOME": "/h"}, "/h/.claude"),
        ("${CLAUDE_CONFIG_DIR:-~/.claude}", {"HOME": "/h", "CLAUDE_CONFIG_DIR": "/c"}, "/c"),
        ("${CODEX_HOME:-~/.codex}", {"HOME": "/h", "CODEX_HOME": ""}, "/h/.codex"),
        ("${GEMINI_CLI_HOME:-~}/.gemini", {"HOME": "/h"}, "/h/.gemini"),
        ("${GEMINI_CLI_HOME:-~}/.gemini", {"HOME": "/h", "GEMINI_CLI_HOME": "/g"}, "/g/.gemini"),
        ("~/.tool", {"HOME": "/h"}, "/h/.tool"),
    ],
)
def test_a_clis_config_folder_follows_the_agents_environment(
    template: str, env: dict[str, str], folder: str
) -> None:
    """Where the CLI lets a variable move its folder, the sandbox makes that one writable."""
    assert sandbox_plan.config_folder(template, env) == Path(folder)


def test_a_config_folder_moved_anywhere_else_is_refused(tmp_path: Path) -> None:
    """A lane's env cannot turn another folder (`~/.ssh`, a repository) writable."""
    home = tmp_path / "home"
    env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(home / ".ssh")}
    with pytest.raises(errors.ValidationError, match=r"not named like the CLI's own \(\.claude"):
        sandbox_plan.config_folders("claude_code", env)
    assert not (home / ".ssh").exists()
    env["CLAUDE_CONFIG_DIR"] = str(home / ".claude-work")
    assert sandbox_plan.config_folders("claude_code", env) == [home / ".claude-work"]
    assert (home / ".claude-work").is_dir()
