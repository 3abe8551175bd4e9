"""Stand-ins for the agent CLIs on PATH: they answer `--version` like the real ones."""

from __future__ import annotations

from pathlib import Path

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # git, sh; never a real agent CLI


def stub_clis(folder: Path, *names: str) -> Path:
    """`folder` holding an executable per name that prints `<name> 1.2.3` for --version."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        program = folder / name
        program.write_text(f'#!/bin/sh\n[ "$1" = --version ] && echo "{name} 1.2.3"\nexit 0\n')
        program.chmod(0o755)
    return folder


def path_with(folder: Path) -> str:
    """A PATH of the stubs and the system directories only."""
    return f"{folder}:{SYSTEM_PATH}"


def broken_bwrap(folder: Path) -> dict[str, str]:
    """An environment whose bubblewrap cannot sandbox (as where user namespaces are refused):
    `STRIATUM_BWRAP` naming a stand-in in `folder` that always fails."""
    folder.mkdir(parents=True, exist_ok=True)
    stub = folder / "bwrap"
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    return {"STRIATUM_BWRAP": str(stub)}
