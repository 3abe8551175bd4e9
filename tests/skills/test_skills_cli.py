"""`striatum skills install` through the real CLI: its documented exit codes (no daemon)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def install(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "striatum"),
            "--repo",
            str(repo),
            "skills",
            "install",
            "--profile",
            "claude_code",
            "--project",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_edited_skill_exits_5_and_force_replaces_it(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    skill = tmp_path / ".claude/skills/striatum-review/SKILL.md"
    skill.write_text("mine\n")
    refused = install(tmp_path)
    assert refused.returncode == 5 and str(skill) in refused.stderr
    assert "--force" in refused.stderr and skill.read_text() == "mine\n"
    assert install(tmp_path, "--force").returncode == 0
    assert skill.read_text().startswith("---\nname: striatum-review")


def test_a_directory_that_cannot_be_written_exits_17(tmp_path: Path) -> None:
    (tmp_path / ".claude").write_text("a file where the skills directory would go")
    result = install(tmp_path)
    assert result.returncode == 17 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
