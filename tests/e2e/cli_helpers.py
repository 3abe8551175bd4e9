"""Running the installed console scripts as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run(
    args: list[str], home: Path, *, extra_env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    env.update({"STRIATUM_HOME": str(home), **(extra_env or {})})
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
