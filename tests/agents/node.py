"""Node 22 and the official MCP conformance suite, installed once from npm into a cache.

The suite (`@modelcontextprotocol/conformance`) needs Node 22+; the `node` package on npm ships
a Node binary, so one `npm install --prefix` brings both, whatever node runs npm itself. The
cache is `$STRIATUM_AGENTS_CACHE/conformance` (default `~/.cache/striatum/agents`); parallel
workers wait on a file lock, and a stamp file names what a finished install holds. When npm
is missing or the install fails, the caller's test is skipped with the reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

NODE = "node@22"
CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16"
INSTALL_TIMEOUT_S = 600


class Suite(NamedTuple):
    node: Path  # a Node 22 binary
    cli: Path  # the suite's entry point, run as `node cli server --url … --scenario …`


def cache_dir() -> Path:
    base = os.environ.get("STRIATUM_AGENTS_CACHE") or Path.home() / ".cache/striatum/agents"
    return Path(base) / "conformance"


def conformance_suite() -> Suite:
    """The installed suite; installs it first if this cache has none (skips on failure)."""
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    suite = Suite(
        node=target / "node_modules/node/bin/node",
        cli=target / "node_modules/@modelcontextprotocol/conformance/dist/index.js",
    )
    stamp = target / ".installed"
    wanted = f"{NODE} {CONFORMANCE}\n"
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (stamp.exists() and stamp.read_text() == wanted and _runs(suite)):
            _install(target)
            if not _runs(suite):
                pytest.skip(f"npm installed {NODE} into {target}, but its node does not run")
            stamp.write_text(wanted)
    return suite


def _install(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH: cannot install Node 22 and the MCP conformance suite")
    command = [
        npm,
        "install",
        "--prefix",
        str(target),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        NODE,
        CONFORMANCE,
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=INSTALL_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"`{' '.join(command)}` could not run: {error}")
    if result.returncode != 0:
        pytest.skip(
            f"`{' '.join(command)}` failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-800:]}"
        )


def _runs(suite: Suite) -> bool:
    if not (suite.node.exists() and suite.cli.exists()):
        return False
    try:
        version = subprocess.run(
            [str(suite.node), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return False
    return version.startswith("v") and int(version[1:].split(".")[0]) >= 22
