"""The daemon's bounds on what callers may hold, from the environment (bad values: defaults).

Documented in docs/SPEC.md §4; every one holds whatever a caller sends.
"""

from __future__ import annotations

from typing import NamedTuple

from striatum import paths


class Limits(NamedTuple):
    connections: int = 256  # open at once; past it only tokens holding few; past 2x none
    per_token: int = 16  # one token's requests queued or being served; the next is `busy`
    frame_deadline_s: float = 30.0  # for a frame to arrive whole (and for an idle connection)
    buffer_bytes: int = 64 << 20  # unfinished frames across all connections
    fast_workers: int = 4  # threads for every verb but the long reads
    long_workers: int = 1  # threads for the long reads (verify, corpus export, listings)
    noise_every_s: float = 60.0  # how often counted noise becomes one audit row

    @classmethod
    def from_settings(cls) -> Limits:
        d = cls()
        return cls(
            connections=max(
                1, int(paths.number_setting("STRIATUM_MAX_CONNECTIONS", d.connections))
            ),
            per_token=max(
                1, int(paths.number_setting("STRIATUM_MAX_REQUESTS_PER_TOKEN", d.per_token))
            ),
            frame_deadline_s=max(
                0.1, paths.number_setting("STRIATUM_FRAME_DEADLINE_S", d.frame_deadline_s)
            ),
            buffer_bytes=max(
                1 << 20, int(paths.number_setting("STRIATUM_BUFFER_MB", d.buffer_bytes >> 20)) << 20
            ),
            noise_every_s=max(0.1, paths.number_setting("STRIATUM_NOISE_AUDIT_S", d.noise_every_s)),
        )

    @property
    def database_connections(self) -> int:
        """Every worker may hold one, plus the sweep's and a long poll's peek."""
        return self.fast_workers + self.long_workers + 2
