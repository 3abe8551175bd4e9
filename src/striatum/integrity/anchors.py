"""Chain heads kept outside the database, so a rewritten or truncated tail shows.

A chain inside the database cannot reveal a superuser who rewrites its tail and its head
together. After each clean verification `doctor` records every chain's head in
`<home>/anchors.json` (keyed by the database's instance id); the next `doctor` checks that the
row at each anchored seq still has the anchored hash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from striatum.model.chain import Head


def load(path: Path, instance_id: str) -> dict[str, Head]:
    """The anchored heads for one database; empty when none were recorded."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    heads = document.get("instances", {}).get(instance_id, {})
    return {name: Head(seq=int(h["seq"]), row_hash=str(h["row_hash"])) for name, h in heads.items()}


def save(path: Path, instance_id: str, heads: Mapping[str, Head]) -> None:
    """Record heads for one database, atomically, keeping other databases' anchors."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        document = {}
    instances = document.setdefault("instances", {})
    instances[instance_id] = {
        name: {"seq": head.seq, "row_hash": head.row_hash} for name, head in sorted(heads.items())
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + f".tmp{os.getpid()}")
    staging.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(staging, path)
