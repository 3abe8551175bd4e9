"""Usage mistakes through the installed `striatum` script, as real processes, with no daemon:
exit 2 with click's message, the same as the click CLI alone prints, before any daemon is
asked (one that was asked would be exit 7, no daemon answering)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run

CLICK_ONLY = "from striatum.cli.main import main; main()"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "cancel"],
        ["--as", "principal", "token", "revoke"],
        ["status", "--bogus"],
        ["audit", "list", "--limit", "x"],
        ["token", "create", "--role", "lane"],
        ["whoami", "extra"],
        ["status", "--run-id"],
        ["run", "cancel", "run_a", "--run-id", "run_b"],
        ["--as", "operator", "whoami", "--as", "principal"],
    ],
)
def test_a_usage_mistake_is_exit_2_with_clicks_message_on_both_paths(
    argv: list[str], tmp_path: Path
) -> None:
    fast = run(["striatum", *argv], tmp_path / "home")
    click = subprocess.run(
        [sys.executable, "-c", CLICK_ONLY, *argv],
        env={"STRIATUM_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (2, "", click.stderr), fast.stderr
    assert click.returncode == 2 and "Error: " in fast.stderr
