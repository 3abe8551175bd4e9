"""`PROFILE=claude_code|codex|gemini make demo` with the real CLI pointed at the scripted
model: the demo's author is the real CLI (its model settings come from the environment, as a
user's would), the reviewer stays scripted, and the demo stops its daemon whatever happens."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.agents import clis
from tests.agents.scripted_model import ScriptedModel, lane_script

pytestmark = [pytest.mark.agents, pytest.mark.timeout(600)]

ROOT = Path(__file__).parents[2]
PROFILES: dict[str, clis.Cli] = {"claude_code": "claude", "codex": "codex", "gemini": "gemini"}


def user_env(cli: clis.Cli, home: Path, port: int) -> dict[str, str]:
    """What a user pointed at this model would have exported (Codex: its key as
    OPENAI_API_KEY, a variable the codex profile passes to its lanes)."""
    env = clis.lane_env(cli, home, port)
    if cli == "codex":
        config = Path(env["CODEX_HOME"]) / "config.toml"
        config.write_text(config.read_text().replace(clis.CODEX_KEY_VAR, "OPENAI_API_KEY"))
        env["OPENAI_API_KEY"] = env.pop(clis.CODEX_KEY_VAR)
    return env


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_make_demo_succeeds_with_the_real_cli(tmp_path: Path, profile: str) -> None:
    reason = clis.skip_reason()
    if reason:
        pytest.skip(reason)
    with ScriptedModel(lane_script()) as model:
        env = {
            **os.environ,
            **user_env(PROFILES[profile], tmp_path / "home", model.port),
            "PATH": f"{clis.agents_bin()}:{os.environ['PATH']}",
            "PROFILE": profile,
            "STRIATUM_HOME": str(tmp_path / "striatum"),
            "DEMO_DIR": str(tmp_path / "demo"),
        }
        for name in ("STRIATUM_RUNTIME_DIR", "STRIATUM_DATABASE_URL", "STRIATUM_TOKEN"):
            env.pop(name, None)
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "demo.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=560,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "doctor: OK" in result.stdout
    assert re.search(rf"\bauthor\s+{profile}\s", result.stdout)  # verdicts name the real CLI
    pid_file = tmp_path / "striatum" / "run" / "striatumd.pid"
    assert not pid_file.exists()  # the demo stopped its daemon
