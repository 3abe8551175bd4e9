"""A read verb's start path loads only what answering needs.

`striatum whoami`, `status` and `list runs` are answered by the fast path against a real
daemon; the modules the console script imported (read from `python -X importtime`, less those
a bare `python -c pass` imports in the same environment) hold no click, no rendering or
database library, none of the catalog's modules, and neither typing nor the error classes,
which together cost more than the interpreter's own start-up. Behaviour, not timing: bench/cli.py
measures the time.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from striatum import errors
from tests.support.daemons import BIN, DaemonUnderTest

# Whole libraries a read verb must not load (the heavy ones are imported where a command or a
# human view needs them), and the modules of ours it answers without.
LIBRARIES = ("click", "pydantic", "psycopg", "rich", "jinja2", "markupsafe", "mcp", "starlette")
OURS = ("striatum.verbs", "striatum.model.verb_spec", "striatum.errors", "striatum.cli.main")
STDLIB = ("typing", "socket", "hashlib", "inspect", "dataclasses")


def imported(
    argv: list[str], env: dict[str, str]
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules `python -X importtime ARGV` imported, and how it ended."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", result.stderr, re.M))
    return names, result


def forbidden(names: set[str]) -> set[str]:
    def is_forbidden(name: str) -> bool:
        top = name.split(".")[0]
        return (
            top in LIBRARIES
            or name in STDLIB
            or any(name == ours or name.startswith(ours + ".") for ours in OURS)
        )

    return {name for name in names if is_forbidden(name)}


@pytest.mark.parametrize(
    "argv",
    [["whoami"], ["whoami", "--json"], ["status"], ["list", "runs"], ["list", "runs", "--json"]],
    ids=" ".join,
)
def test_a_read_verb_loads_no_click_catalog_typing_or_heavy_library(
    daemon: DaemonUnderTest, argv: list[str]
) -> None:
    bare, _ = imported(["-c", "pass"], daemon.env)
    names, result = imported([str(BIN / "striatum"), *argv], daemon.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the verb answered"
    assert "striatum.cli.fastpath" in names, "the fast path answered"
    assert forbidden(names - bare) == set()


def test_the_same_verb_through_click_does_load_them(daemon: DaemonUnderTest) -> None:
    """The probe can fail: `--repo` sends the call through the full click CLI."""
    names, result = imported([str(BIN / "striatum"), "--repo", "/", "whoami"], daemon.env)
    assert result.returncode == 0, result.stderr
    assert {"click", "typing", "striatum.verbs.catalog"} <= forbidden(names)


def test_a_failed_read_verb_still_ends_in_one_line_and_its_status(
    daemon: DaemonUnderTest,
) -> None:
    """The error classes load where a failure is reported: no daemon is exit 7, no traceback."""
    env = {**daemon.env, "STRIATUM_RUNTIME_DIR": str(daemon.base / "nowhere")}
    names, result = imported([str(BIN / "striatum"), "whoami"], env)
    assert result.returncode == errors.EXIT_CODES["daemon_unreachable"]
    assert result.stderr.count("striatum: error: no daemon is answering") == 1
    assert "Traceback" not in result.stderr
    assert "click" not in names
