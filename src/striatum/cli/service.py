"""`striatum daemon install-service`: start the daemon at login, and again after a crash.

Linux: a systemd user unit (`~/.config/systemd/user/striatumd.service`); macOS: a launchd
agent (`~/Library/LaunchAgents/dev.striatum.striatumd.plist`). Either runs this install's
`striatumd` in the foreground with the Striatum settings of the shell that installed it
(home, runtime directory, database URL) and PATH, so the daemon that comes up after a reboot
is the same instance, and the supervisors it relaunches find the agent CLIs. Writing the
file changes nothing else; enabling it is the user's step (printed), or `--enable`.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from striatum import atomic, errors, paths

UNIT = "striatumd.service"
LABEL = "dev.striatum.striatumd"
KEPT = ("PATH", "LANG", "LC_ALL", "TZ")
NOT_KEPT = ("STRIATUM_TOKEN", "STRIATUM_LEASE", "STRIATUM_RUN_ID", "STRIATUM_JOB_ID")


@dataclass(frozen=True, kw_only=True)
class Service:
    """Where the service file goes, what it holds, and the commands that (de)activate it."""

    path: Path
    content: bytes
    enable: tuple[tuple[str, ...], ...]
    disable: tuple[tuple[str, ...], ...]


def command() -> list[str]:
    """The daemon in the foreground, by absolute path: a service has no PATH to search."""
    beside = Path(sys.executable).parent / "striatumd"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("striatumd")
    if found:
        return [str(Path(found).absolute())]
    return [sys.executable, "-m", "striatum.cli.striatumd"]


def settings(source: Mapping[str, str]) -> dict[str, str]:
    """Pure: what the service's daemon is started with: Striatum's settings (never a token
    or an attempt's markers) and the few general variables a daemon and its supervisors use."""
    return {
        name: value
        for name, value in sorted(source.items())
        if value
        and (name in KEPT or name.startswith("STRIATUM_"))
        and name not in NOT_KEPT
        and "TOKEN" not in name
    }


def systemd_unit(argv: Sequence[str], env: Mapping[str, str], log: Path) -> str:
    """Pure: the unit file's text."""
    lines = [
        "[Unit]",
        "Description=Striatum daemon (striatumd)",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={' '.join(_systemd_word(word) for word in argv)}",
        *(f"Environment={_systemd_word(f'{name}={value}')}" for name, value in env.items()),
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=90",
        # Stop only the daemon (it stops its embedded PostgreSQL itself): the supervisors it
        # relaunched keep working across a restart and wait for it, as they do for any outage.
        "KillMode=process",
        f"StandardOutput=append:{_systemd_escape(str(log))}",
        f"StandardError=append:{_systemd_escape(str(log))}",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def _systemd_escape(text: str) -> str:
    if any(c in text for c in "\n\r\0"):
        raise errors.ValidationError("a service setting cannot hold a line break or NUL")
    return text.replace("%", "%%")


def _systemd_word(text: str) -> str:
    """One word of a unit's command line or Environment=, quoted when needed (`%` doubled:
    systemd reads it as a specifier)."""
    escaped = _systemd_escape(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' if any(c in escaped for c in " \t\"\\'") else escaped


def launchd_plist(argv: Sequence[str], env: Mapping[str, str], log: Path) -> bytes:
    """Pure: the agent's property list."""
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": list(argv),
            "EnvironmentVariables": dict(env),
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},  # again after a crash, not after a stop
            "AbandonProcessGroup": True,  # supervisors it relaunched outlive a restart
            "StandardOutPath": str(log),
            "StandardErrorPath": str(log),
        }
    )


def service_for(platform: str, home: Path, argv: Sequence[str], env: Mapping[str, str]) -> Service:
    """Pure: the service of `platform` ("linux" or "darwin") for a user whose home is `home`."""
    log = paths.daemon_log()
    if platform.startswith("linux"):
        return Service(
            path=home / ".config" / "systemd" / "user" / UNIT,
            content=systemd_unit(argv, env, log).encode(),
            enable=(
                ("systemctl", "--user", "daemon-reload"),
                ("systemctl", "--user", "enable", "--now", "striatumd"),
            ),
            disable=(("systemctl", "--user", "disable", "--now", "striatumd"),),
        )
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        domain = f"gui/{os.getuid()}"
        return Service(
            path=path,
            content=launchd_plist(argv, env, log),
            enable=(("launchctl", "bootstrap", domain, str(path)),),
            disable=(("launchctl", "bootout", f"{domain}/{LABEL}"),),
        )
    raise errors.UsageError(
        f"no login service for platform {platform!r} (Linux: systemd, macOS: launchd)",
        hint="run `striatum daemon start` from your login script instead",
    )


def install(*, platform: str | None = None, enable: bool = False) -> list[str]:
    """Write the service file (0600: it may hold a database URL); what was done, and what
    the user runs next."""
    service = _service(platform)
    paths.daemon_log().parent.mkdir(parents=True, exist_ok=True)
    atomic.write_private(service.path, service.content)
    said = [f"wrote {service.path}"]
    if enable:
        return said + _run(service.enable)
    said += ["enable it (start now and at every login):", *_shown(service.enable)]
    if service.path.suffix == ".service":
        said.append("to start it at boot, before any login: loginctl enable-linger $USER")
    return said


def uninstall(*, platform: str | None = None, enable: bool = False) -> list[str]:
    """Remove the service file (after disabling it, with `--enable`)."""
    service = _service(platform)
    said = _run(service.disable) if enable else []
    if not service.path.exists():
        return [*said, f"no service installed ({service.path} does not exist)"]
    service.path.unlink()
    said.append(f"removed {service.path}")
    if not enable:
        said += ["if it was enabled, stop it:", *_shown(service.disable)]
    return said


def _service(platform: str | None) -> Service:
    return service_for(platform or sys.platform, Path.home(), command(), settings(os.environ))


def _run(commands: Sequence[Sequence[str]]) -> list[str]:
    said = []
    for argv in commands:
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
        except OSError as error:
            raise errors.UsageError(f"cannot run {argv[0]}: {error.strerror}") from None
        if done.returncode != 0:
            raise errors.UsageError(
                f"`{' '.join(argv)}` failed: {done.stderr.strip() or done.returncode}"
            )
        said.append(f"ran: {' '.join(argv)}")
    return said


def _shown(commands: Sequence[Sequence[str]]) -> list[str]:
    """One command a line, indented: each fits a narrow terminal and pastes as it is."""
    return ["  " + " ".join(argv) for argv in commands]
