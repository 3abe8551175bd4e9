"""1,500 connections each sending 1 MiB - 2 bytes without a newline, then closing: the
daemon's memory stays bounded during the flood, is handed back afterwards, and it keeps
serving."""

from __future__ import annotations

import time

import pytest

from bench.cli import rss_mb
from bench.starvation import frame_flood
from tests.support.daemons import DaemonUnderTest


@pytest.mark.slow
def test_a_flood_of_unterminated_megabyte_frames_leaves_memory_where_it_was(
    daemon: DaemonUnderTest,
) -> None:
    pid = daemon.pid()
    assert daemon.cli("whoami").returncode == 0
    idle = rss_mb(pid)
    flood = frame_flood(daemon.socket, pid, 1500)
    # Bounded during the flood: the shared buffer budget (64 MiB) plus the readers' own.
    assert flood["peak_mb"] - idle < 400, flood
    deadline = time.monotonic() + 60  # generous; bench.starvation reports the figure
    while rss_mb(pid) - idle > 50:
        assert time.monotonic() < deadline, (idle, rss_mb(pid), flood)
        time.sleep(1)
    assert daemon.cli("whoami").returncode == 0
