"""`striatum daemon install-service` writes a login service that runs this install's daemon
with the current settings (a systemd user unit on Linux, a launchd agent on macOS), which
`--uninstall` removes; nothing is enabled unless asked."""

from __future__ import annotations

import os
import plistlib
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def install_service(
    home: Path, *args: str, striatum_home: str = "striatum"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    env.update(
        HOME=str(home),
        STRIATUM_HOME=str(home / striatum_home),
        STRIATUM_DATABASE_URL="postgresql://u@db.example/striatum?sslmode=require",
        STRIATUM_TOKEN="secret-token-never-written",
    )
    return subprocess.run(
        [str(BIN / "striatum"), "daemon", "install-service", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections, each a list of (key, value) in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
            continue
        assert current is not None, line
        key, _, value = line.partition("=")
        sections[current].append((key, value))
    return sections


def test_install_service_writes_a_systemd_user_unit_and_uninstall_removes_it(
    tmp_path: Path,
) -> None:
    done = install_service(tmp_path, "--platform", "linux")
    assert done.returncode == 0, done.stderr
    unit = tmp_path / ".config" / "systemd" / "user" / "striatumd.service"
    assert "systemctl --user enable --now striatumd" in done.stdout
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600
    sections = parse_unit(unit.read_text())
    service = dict(sections["Service"])
    assert service["ExecStart"] == str(BIN / "striatumd")
    assert Path(service["ExecStart"]).is_absolute() and os.access(service["ExecStart"], os.X_OK)
    assert service["Restart"] == "on-failure" and service["KillMode"] == "process"
    environment = [v for k, v in sections["Service"] if k == "Environment"]
    assert f"STRIATUM_HOME={tmp_path / 'striatum'}" in environment
    assert any(v.startswith("STRIATUM_DATABASE_URL=postgresql://") for v in environment)
    assert any(v.startswith("PATH=") for v in environment)
    assert "secret-token" not in unit.read_text()
    assert dict(sections["Install"]) == {"WantedBy": "default.target"}
    removed = install_service(tmp_path, "--platform", "linux", "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not unit.exists()


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here: the unit is checked by parsing only")
    odd = 'a home with spaces, 100% "quoted"'  # systemd's quoting and specifiers
    assert install_service(tmp_path, "--platform", "linux", striatum_home=odd).returncode == 0
    unit = tmp_path / ".config" / "systemd" / "user" / "striatumd.service"
    assert '100%% \\"quoted\\"' in unit.read_text()
    checked = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify warns (and still exits 0) for a value it ignores: any line naming the unit fails.
    problems = [line for line in checked.stderr.splitlines() if unit.name in line]
    assert checked.returncode == 0 and problems == [], checked.stderr


def test_install_service_writes_a_launchd_agent_on_macos(tmp_path: Path) -> None:
    done = install_service(tmp_path, "--platform", "darwin")
    assert done.returncode == 0, done.stderr
    agent = tmp_path / "Library" / "LaunchAgents" / "dev.striatum.striatumd.plist"
    assert "launchctl bootstrap" in done.stdout
    document = plistlib.loads(agent.read_bytes())
    assert document["Label"] == "dev.striatum.striatumd"
    assert document["ProgramArguments"] == [str(BIN / "striatumd")]
    assert document["RunAtLoad"] is True and document["KeepAlive"] == {"SuccessfulExit": False}
    assert document["EnvironmentVariables"]["STRIATUM_HOME"] == str(tmp_path / "striatum")
    assert "STRIATUM_TOKEN" not in document["EnvironmentVariables"]
    assert plistlib.loads(plistlib.dumps(document)) == document
    assert install_service(tmp_path, "--platform", "darwin", "--uninstall").returncode == 0
    assert not agent.exists()


def test_uninstall_without_a_service_says_so(tmp_path: Path) -> None:
    done = install_service(tmp_path, "--platform", "linux", "--uninstall")
    assert done.returncode == 0 and "no service installed" in done.stdout
