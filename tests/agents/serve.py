"""Run the scripted model on its own, for trying a real CLI by hand (or `make demo`):

    python -m tests.agents.serve --port-file /tmp/port &

It answers every lane prompt with `lane_script` (reviews accept) until it is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from tests.agents.scripted_model import ScriptedModel, lane_script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument(
        "--verdict",
        action="append",
        default=None,
        help="verdicts in order (the last repeats); default accept",
    )
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ScriptedModel(lane_script(verdicts=args.verdict or ["accept"])) as model:
        args.port_file.write_text(f"{model.port}\n")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
