"""The README's quick start from a built wheel: `pip wheel` builds it from a copy of the
checkout, `pip install` puts it in a fresh environment outside the checkout (from the pip
cache where it can), and the README's quick start commands, read from the README and run as
written, take a shipped example to a succeeded run against a daemon of its own.
`make test-wheel` runs it (CI, after `make test-agents`); it skips, saying so, when pip
cannot reach a package index.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from striatum import __version__
from tests.support.agent_stubs import SYSTEM_PATH
from tests.support.servers import world_traversable_tempdir

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
# What a checkout holds that a wheel must not be built from (caches, environments, builds).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ".striatum", ".demo", "node_modules",
)  # fmt: skip
ENDED = ("succeeded", "failed", "cancelled")


@pytest.fixture
def base() -> Iterator[Path]:
    """A scratch folder outside the checkout that the embedded cluster's user can reach."""
    folder = world_traversable_tempdir("striatum-wheel-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pip(python: Path | str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def build_wheel(base: Path) -> Path:
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    built = pip(sys.executable, "wheel", "--no-deps", "-w", str(base / "dist"), str(source))
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (base / "dist").glob("striatum-*.whl")
    return wheel


def fresh_install(base: Path, wheel: Path) -> Path:
    """The wheel in a new environment; its `bin` folder."""
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=300)
    installed = pip(base / "venv" / "bin" / "python", "install", str(wheel))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return base / "venv" / "bin"


def quick_start() -> list[list[str]]:
    """The `striatum` commands of the README's quick start (its task, then its explicit
    workflow), in order, comments dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quick start\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```sh\n(.*?)```\n", section, re.S)
    return [
        shlex.split(line, comments=True)
        for block in blocks
        for line in block.splitlines()
        if line.strip() and line.startswith("striatum ")
    ]


class User:
    """A shell with only the installed wheel on PATH, in its own repository and home."""

    def __init__(self, base: Path, bin_dir: Path) -> None:
        self.repo = base / "my-project"
        self.bin = bin_dir
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("STRIATUM_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")
        }
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{SYSTEM_PATH}",
            STRIATUM_HOME=str(base / "home"),
            STRIATUM_RUNTIME_DIR=str(base / "run"),
        )

    def run(self, *args: str, allowed: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["striatum", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in allowed, f"striatum {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


def test_the_readme_quick_start_from_a_built_wheel_ends_in_a_succeeded_run(base: Path) -> None:
    reachable = pip(sys.executable, "download", "--no-deps", "-d", str(base / "probe"), "click")
    if reachable.returncode != 0:
        pytest.skip(f"pip cannot reach a package index: {reachable.stderr.strip()[-300:]}")
    user = User(base, fresh_install(base, build_wheel(base)))
    package = subprocess.run(
        [str(user.bin / "python"), "-c", "import striatum; print(striatum.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert Path(package.stdout.strip()).is_relative_to(base / "venv")  # not the checkout
    user.repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=user.repo, check=True, timeout=60)
    assert user.run("--version").stdout == f"striatum, version {__version__}\n"
    steps = quick_start()
    # From a fresh install the task alone: it starts the daemon and adopts the repository.
    assert steps[0][:2] == ["striatum", "task"] and ["striatum", "adopt"] not in steps
    run_ids: list[str] = []
    try:
        for argv in steps:
            args = [run_ids[-1] if word == "RUN" else word for word in argv[1:]]
            # `task` with no terminal: the run succeeded and landing waits for the human (20)
            done = user.run(*args, allowed=(0, 20) if argv[1] == "task" else (0,))
            if argv is steps[0]:
                said = " ".join(done.stderr.split())  # messages wrap to the terminal's width
                assert "no daemon was running: striatumd started" in said, done.stderr
                assert f"adopted {user.repo}" in said, done.stderr
            if argv[1] == "task" or argv[1:3] == ["run", "prepare"]:
                run_ids.append(re.findall(r"\brun_[0-9a-f]+\b", done.stdout + done.stderr)[0])
        assert len(run_ids) == 2, "the quick start starts a task, then prepares a run"
        for run_id in run_ids:
            deadline = time.monotonic() + 300
            while (state := user.json("status", "--run-id", run_id)["run"]["state"]) not in ENDED:
                assert time.monotonic() < deadline, f"run {run_id} still {state} after 300 s"
                time.sleep(1)
            assert state == "succeeded", user.run("why", run_id).stdout
        published = sorted(p.name for p in (user.repo / "docs" / "striatum").rglob("*.md"))
        assert {"draft.md", "review.md", "synthesis.md"} <= set(published)
    finally:
        subprocess.run(
            ["striatum", "daemon", "stop"], env=user.env, cwd=user.repo, timeout=120, check=False
        )
