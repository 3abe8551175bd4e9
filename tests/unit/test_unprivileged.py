"""Whether the unprivileged cluster user can reach a path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from striatum.daemon.unprivileged import Account, can_traverse
from tests.support.servers import world_traversable_tempdir

STRANGER = Account(name="stranger", uid=54321, gid=54321)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    path = world_traversable_tempdir("striatum-unit-")
    yield path
    shutil.rmtree(path)


def test_a_0700_ancestor_blocks_other_users(open_dir: Path) -> None:
    locked = open_dir / "locked"
    (locked / "inside").mkdir(parents=True)
    os.chmod(locked / "inside", 0o755)
    os.chmod(locked, 0o700)
    assert not can_traverse(locked / "inside", STRANGER)
    os.chmod(locked, 0o711)
    assert can_traverse(locked / "inside", STRANGER)


def test_the_owner_needs_its_own_search_bit(open_dir: Path) -> None:
    me = Account(name="me", uid=os.getuid(), gid=os.getgid())
    mine = open_dir / "mine"
    mine.mkdir()
    os.chmod(mine, 0o077)
    assert not can_traverse(mine, me)


def test_paths_still_to_be_created_count_as_reachable(open_dir: Path) -> None:
    assert can_traverse(open_dir / "not" / "yet", STRANGER)
