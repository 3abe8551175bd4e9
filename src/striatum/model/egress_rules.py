"""Which hosts a `strict` lane's agents may reach (docs/SPEC.md §10, sandboxes): pure rules.

An entry is `host` (any port), `host:port`, or `*.domain` (any host under it, any port); an
IPv6 address is written in brackets (`[::1]:8080`). The lane's `allow_hosts` and its
profile's model API hosts make the list; the egress proxy (lanes/egress_proxy.py) asks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Allowed:
    """The allowed (host, port) pairs; port None: any."""

    entries: frozenset[tuple[str, int | None]]

    def allows(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        for allowed, allowed_port in self.entries:
            if allowed_port is not None and allowed_port != port:
                continue
            if allowed == host or (
                allowed.startswith("*.") and host.endswith(allowed[1:]) and host != allowed[2:]
            ):
                return True
        return False

    def __str__(self) -> str:
        shown = [f"{h}:{p}" if p is not None else h for h, p in sorted(self.entries, key=str)]
        return ", ".join(shown) or "nothing"


def parse_entry(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `*.domain` or `[v6]:port` -> (host, port); ValueError naming
    what is wrong."""
    text = entry.strip()
    if text.startswith("["):  # [::1] or [::1]:8080
        host, bracket, rest = text[1:].partition("]")
        if not host or not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r} is not [address] or [address]:port")
        return host.lower(), _port(entry, rest[1:]) if rest else None
    host, colon, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    if not colon:
        host = text
    if "/" in text or not _HOST.match(host):
        raise ValueError(f"{entry!r} is not a host, host:port or *.domain (no scheme, no path)")
    return host.lower(), _port(entry, port) if colon else None


def allowed(*lists: list[str] | tuple[str, ...]) -> Allowed:
    """Every entry of the lists (already validated: the workflow's schema checks a lane's)."""
    return Allowed(frozenset(parse_entry(entry) for entries in lists for entry in entries))


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{entry!r} has no valid port (1-65535)")
    return int(text)
