"""An agent's PATH starts with a folder holding only a link to this installation's
`striatum`, so agents find it whatever PATH the supervisor's shell had, and nothing else of
Striatum's environment (its python3, its pip) shadows the agent's own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from striatum.lanes import environment
from striatum.model.packet import LaneSpec

BESIDE = Path(sys.executable).parent / "striatum"


def lane(*, inherit_env: bool = False, env: dict[str, str] | None = None) -> LaneSpec:
    return LaneSpec(
        provider="command",
        command=["true"],
        model=None,
        timeout_s=30,
        max_concurrency=1,
        max_attempts=1,
        park_backoff_s=300,
        max_parks=10,
        env=env or {},
        inherit_env=inherit_env,
        budget=None,
        sandbox=None,
        allow_hosts=[],
        placement="local",
    )


@pytest.mark.parametrize("inherit", [False, True])
def test_this_installation_s_striatum_is_first_on_the_agent_s_path(
    tmp_path: Path, inherit: bool
) -> None:
    source = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env = environment.build(lane(inherit_env=inherit), {}, source, tmp_path)
    first, rest = env["PATH"].split(os.pathsep, 1)
    assert rest == "/usr/bin:/bin"
    assert os.listdir(first) == ["striatum"]  # no python3, no pip: only the link
    found = shutil.which("striatum", path=env["PATH"])
    assert found is not None and os.path.samefile(found, BESIDE)


def test_a_lane_s_own_path_keeps_striatum_in_front(tmp_path: Path) -> None:
    spec = lane(env={"PATH": "/opt/tools/bin"})
    env = environment.build(spec, {}, {"PATH": "/usr/bin", "HOME": str(tmp_path)}, tmp_path)
    assert env["PATH"] == f"{tmp_path / 'bin'}{os.pathsep}/opt/tools/bin"


def test_no_path_at_all_still_finds_the_system_s_programs(tmp_path: Path) -> None:
    env = environment.build(lane(), {}, {"HOME": str(tmp_path)}, tmp_path)
    assert env["PATH"] == f"{tmp_path / 'bin'}{os.pathsep}{os.defpath}"


def test_a_second_attempt_in_the_same_folder_relinks(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "striatum").symlink_to(tmp_path / "gone")
    environment.build(lane(), {}, {"PATH": "/usr/bin"}, tmp_path)
    assert os.path.samefile(tmp_path / "bin" / "striatum", BESIDE)
