"""MCP door benchmark: one tool call over stdio against the same verb over the raw socket.

Starts `striatum mcp serve` as a subprocess driven by the SDK's client, calls the read verb
`whoami` N times, and compares the median with a direct RPC round trip measured in the same
run (both reuse a warm process: this is the door's own cost, not start-up). Also the server's
start-up to its first answered call.

Usage: python -m bench.mcp [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.scratch import daemon_home

BIN = Path(sys.executable).parent


def measure(calls: int = 200) -> dict[str, Any]:
    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from striatum.client import rpc

    direct = []
    for _ in range(calls):
        started = time.perf_counter()
        rpc.call("whoami", {})
        direct.append(time.perf_counter() - started)

    async def over_mcp() -> tuple[float, list[float]]:
        params = StdioServerParameters(
            command=str(BIN / "striatum"), args=["mcp", "serve"], env=dict(os.environ)
        )
        started = time.perf_counter()
        async with Client(params, read_timeout_seconds=60) as session:
            await session.call_tool("whoami", {})
            first = time.perf_counter() - started
            samples = []
            for _ in range(calls):
                began = time.perf_counter()
                await session.call_tool("whoami", {})
                samples.append(time.perf_counter() - began)
        return first, samples

    first, tool = anyio.run(over_mcp)
    tool_ms, direct_ms = statistics.median(tool) * 1000, statistics.median(direct) * 1000
    return {
        "benchmark": "mcp",
        "calls": calls,
        "server_start_to_first_answer_ms": round(first * 1000, 1),
        "tool_call_median_ms": round(tool_ms, 2),
        "direct_rpc_median_ms": round(direct_ms, 2),
        "tool_call_ratio_to_rpc": round(tool_ms / direct_ms, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with daemon_home("mcp"):
        print(json.dumps(measure(args.calls), indent=2))


if __name__ == "__main__":
    main()
