"""Tokens at the door, the abuse cases tests/e2e/test_auth.py does not already cover.

Every refused request has its documented exit code and its own audit row (method, role,
ok false, error code), read back with `striatum --as principal audit list --json`. Lane
tokens act only on their own live lease and die with it, however it ends.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from striatum import errors
from striatum.model.tokens import digest
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import new_repo

DAEMON_ENV = {"STRIATUM_SWEEP_INTERVAL_S": "3600"}  # the tests sweep when they mean to
_ids = iter(range(1, 1 << 30))


@dataclass
class Lane:
    lease: str
    token: str
    job_id: str
    run_id: str


@dataclass
class World:
    daemon: DaemonUnderTest
    repo: Path
    workflow: Path
    session: str

    def cli(self, *args: str, principal: bool = False) -> Any:
        prefix = ("--repo", str(self.repo)) + (("--as", "principal") if principal else ())
        return self.daemon.json(*prefix, *args)

    def lanes(self, count: int, *extra: str) -> list[Lane]:
        """A fresh running run of `count` independent jobs, each leased by its own lane."""
        run_id = self.cli("run", "prepare", "--workflow", str(self.workflow))["run_id"]
        self.cli("run", "start", "--run-id", run_id, "--no-supervise")
        claimed = []
        for _ in range(count):
            packet = self.cli("claim-next", "--session", self.session, "--run-id", run_id, *extra)
            claimed.append(
                Lane(
                    lease=packet["lease"]["lease_id"],
                    token=packet["token"],
                    job_id=packet["job"]["job_id"],
                    run_id=run_id,
                )
            )
        return claimed

    def job_state(self, lane: Lane) -> str:
        jobs = self.cli("status", "--run-id", lane.run_id)["jobs"]
        state: str = next(j["state"] for j in jobs if j["job_id"] == lane.job_id)
        return state


@pytest.fixture(scope="module")
def world(shared_daemon: DaemonUnderTest, tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("tokens")
    workflow = base / "flow" / "workflow.json"
    workflow.parent.mkdir()
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "tokens",
                "name": "Tokens",
                "lanes": {
                    "work": {"provider": "command", "command": ["true"], "max_concurrency": 8}
                },
                "jobs": [
                    {"id": f"j{n}", "kind": "task", "lane": "work", "artifacts": []}
                    for n in range(3)
                ],
            }
        )
    )
    found = World(daemon=shared_daemon, repo=new_repo(base), workflow=workflow, session="")
    found.cli("adopt")
    found.session = found.cli("register-session", "--role", "operator")["session_id"]
    return found


def send(
    daemon: DaemonUnderTest, method: str, params: dict[str, Any], token: str | None
) -> tuple[str, dict[str, Any]]:
    """One raw request over the socket; (its request id, the daemon's answer)."""
    request_id = f"abuse-{os.getpid()}-{next(_ids)}"
    frame = (
        json.dumps(
            {"v": 1, "id": request_id, "method": method, "params": params, "token": token}
        ).encode()
        + b"\n"
    )
    answer: dict[str, Any] = json.loads(daemon.rpc(frame))
    return request_id, answer


def audit_row(daemon: DaemonUnderTest, request_id: str) -> dict[str, Any]:
    rows = daemon.json("--as", "principal", "audit", "list", "--limit", "50")["rows"]
    (row,) = [r for r in rows if r["request_id"] == request_id]
    found: dict[str, Any] = row
    return found


def refused(
    daemon: DaemonUnderTest, method: str, params: dict[str, Any], token: str | None, code: str
) -> dict[str, Any]:
    """Send, expect the error `code` with its exit code, and return its audit row, which
    must record the method and the refusal."""
    request_id, answer = send(daemon, method, params, token)
    assert answer["ok"] is False, answer
    error = errors.from_dict(answer["error"])
    assert error.code == code, error.message
    assert error.exit_code == errors.EXIT_CODES[code]
    row = audit_row(daemon, request_id)
    assert (row["method"], row["ok"], row["error_code"]) == (method, False, code)
    return row


def token_id_of(daemon: DaemonUnderTest, secret: str) -> str:
    token_id: str = daemon.json("whoami", token=secret)["token_id"]
    return token_id


WORK_ON_A_LEASE = {
    "heartbeat": {},
    "release": {},
    "complete": {},
    "publish-artifact": {"path": "x.md"},
    "fail": {"reason": "sabotage"},
    "verdict": {"value": "accept"},
    "block": {"reason": "sabotage"},
}


def test_a_lane_token_is_refused_on_another_jobs_lease_for_every_work_verb(
    world: World,
) -> None:
    mine, theirs = world.lanes(2)
    me = token_id_of(world.daemon, mine.token)
    for method, extra in WORK_ON_A_LEASE.items():
        row = refused(
            world.daemon, method, {"lease": theirs.lease, **extra}, mine.token, "permission_denied"
        )
        assert (row["role"], row["actor"]) == ("lane", me)
    assert world.job_state(theirs) == "leased"  # untouched by any of it
    own = send(world.daemon, "heartbeat", {"lease": mine.lease}, mine.token)[1]
    assert own["ok"] is True, own


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("run.cancel", {"run_id": "{run}"}),
        ("claim-next", {"session": "{session}"}),
        ("lease.transfer", {"lease": "{lease}", "session": "{session}"}),
        ("recovery.requeue", {"run_id": "{run}", "job": "j0"}),
        ("checkpoint.decide", {"blocker": "blk_x", "choice": "go"}),
        ("override-verdict", {"run_id": "{run}", "job": "j0", "value": "accept", "reason": "x"}),
        ("token.create", {"role": "principal"}),
        ("audit.list", {}),
    ],
)
def test_a_lane_token_cannot_drive_decide_or_administer(
    world: World, method: str, params: dict[str, str]
) -> None:
    (lane,) = world.lanes(1)
    filled = {
        k: v.format(run=lane.run_id, session=world.session, lease=lane.lease)
        for k, v in params.items()
    }
    row = refused(world.daemon, method, filled, lane.token, "permission_denied")
    assert row["role"] == "lane"
    assert world.job_state(lane) == "leased"


@pytest.mark.parametrize(
    ("role", "method", "params", "capability"),
    [
        ("reader", "run.cancel", {"run_id": "run_x"}, "drive"),
        ("reader", "adopt", {"repo": "/tmp"}, "drive"),
        ("reader", "claim-next", {"session": "ses_x"}, "drive"),
        ("reader", "register-session", {"role": "operator"}, "drive"),
        ("reader", "recovery.sweep", {}, "drive"),
        ("reader", "publish-artifact", {"lease": "lease_x", "path": "x.md"}, "work"),
        ("operator", "escalation.resolve", {"blocker": "blk_x", "outcome": "retry"}, "decide"),
        ("operator", "checkpoint.decide", {"blocker": "blk_x", "choice": "go"}, "decide"),
        (
            "operator",
            "override-verdict",
            {"run_id": "run_x", "job": "j", "value": "accept", "reason": "x"},
            "decide",
        ),
        ("operator", "run.land", {"run_id": "run_x"}, "decide"),
        ("operator", "token.revoke", {"token_id": "tok_x"}, "administer"),
        ("operator", "audit.list", {}, "administer"),
        ("operator", "corpus.export", {"out": "/tmp/x"}, "administer"),
    ],
)
def test_a_role_without_the_capability_is_refused_before_anything_is_looked_up(
    world: World, role: str, method: str, params: dict[str, Any], capability: str
) -> None:
    """The ids do not exist: the capability check comes first, so it answers 6, not 4."""
    token = (
        world.daemon.token("operator")
        if role == "operator"
        else world.daemon.json("--as", "principal", "token", "create", "--role", "reader")["secret"]
    )
    request_id, answer = send(world.daemon, method, params, token)
    assert answer["error"]["code"] == "permission_denied"
    assert f"needs capability '{capability}'" in answer["error"]["message"]
    row = audit_row(world.daemon, request_id)
    assert (row["method"], row["role"], row["ok"], row["error_code"]) == (
        method,
        role,
        False,
        "permission_denied",
    )


def _complete(world: World, lane: Lane) -> None:
    world.cli("complete", "--lease", lane.lease)


def _release(world: World, lane: Lane) -> None:
    world.cli("release", "--lease", lane.lease)


def _fail(world: World, lane: Lane) -> None:
    world.cli("fail", "--lease", lane.lease, "--reason", "gave up")


def _cancel(world: World, lane: Lane) -> None:
    world.cli("run", "cancel", "--run-id", lane.run_id)


def _transfer(world: World, lane: Lane) -> None:
    other = world.cli("register-session", "--role", "operator")["session_id"]
    world.cli("lease", "transfer", "--lease", lane.lease, "--session", other)


ENDINGS = {
    "completed": _complete,
    "released": _release,
    "failed": _fail,
    "run-cancelled": _cancel,
    "transferred": _transfer,
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_lane_token_dies_with_its_lease(world: World, ending: str) -> None:
    (lane,) = world.lanes(1)
    ENDINGS[ending](world, lane)
    for method, extra in WORK_ON_A_LEASE.items():
        refused(world.daemon, method, {"lease": lane.lease, **extra}, lane.token, "token_revoked")
    row = refused(world.daemon, "whoami", {}, lane.token, "token_revoked")
    assert (row["actor"], row["role"]) == ("anonymous", "none")


def test_a_lane_token_dies_when_the_sweep_expires_its_lease(world: World) -> None:
    (lane,) = world.lanes(1, "--ttl-s", "1")
    time.sleep(1.2)
    # Past its expiry but not yet swept: the token still names the lease, the lease refuses.
    late = refused(world.daemon, "heartbeat", {"lease": lane.lease}, lane.token, "conflict")
    assert late["role"] == "lane"
    swept = world.cli("recovery", "sweep")["recovered"]
    assert lane.job_id in [r["job_id"] for r in swept]
    refused(
        world.daemon,
        "publish-artifact",
        {"lease": lane.lease, "path": "x.md"},
        lane.token,
        "token_revoked",
    )
    assert world.job_state(lane) == "ready"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "stm_",
        "STM_" + "a" * 43,
        "stm_" + "a" * 43,
        "Bearer stm_" + "a" * 43,
        "{operator_id}",
        "{operator}x",
        "{operator_head}",
        " {operator}",
        "{operator_sha256}",
    ],
    ids=[
        "empty",
        "prefix-only",
        "upper-prefix",
        "well-formed-unknown",
        "bearer",
        "token-id",
        "one-char-more",
        "one-char-less",
        "leading-space",
        "stored-digest",
    ],
)
def test_near_miss_tokens_are_refused_as_missing_or_invalid(world: World, token: str) -> None:
    """Only the exact secret is accepted: not its id, its digest, or a secret one character
    off; an empty token is a missing one."""
    operator = world.daemon.token("operator")
    filled = token.format(
        operator=operator,
        operator_head=operator[:-1],
        operator_sha256=digest(operator),
        operator_id=token_id_of(world.daemon, operator),
    )
    code = "token_missing" if filled == "" else "token_invalid"
    row = refused(world.daemon, "whoami", {}, filled, code)
    assert (row["actor"], row["role"]) == ("anonymous", "none")


def test_a_token_past_its_real_expiry_is_refused_with_exit_15(world: World) -> None:
    """No database tampering (test_auth does that): a principal token minted to expire in
    a few seconds, used before (over the socket: no CLI start-up delay) and after."""
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    created = world.daemon.json(
        "--as",
        "principal",
        "token",
        "create",
        "--role",
        "principal",
        "--expires",
        expiry.isoformat(),
    )
    assert send(world.daemon, "token.list", {}, created["secret"])[1]["ok"] is True
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)
    result = world.daemon.cli("token", "list", "--json", token=created["secret"])
    assert result.returncode == 15 and created["token_id"] in result.stderr
    row = refused(world.daemon, "token.list", {}, created["secret"], "token_expired")
    assert (row["actor"], row["role"]) == ("anonymous", "none")


def test_a_revoked_principal_token_can_no_longer_administer(world: World) -> None:
    created = world.daemon.json("--as", "principal", "token", "create", "--role", "principal")
    world.daemon.json("--as", "principal", "token", "revoke", created["token_id"])
    result = world.daemon.cli("token", "create", "--role", "principal", token=created["secret"])
    assert result.returncode == 14 and "Traceback" not in result.stderr
    refused(world.daemon, "token.create", {"role": "principal"}, created["secret"], "token_revoked")


def test_a_request_without_a_token_from_the_cli_exits_12_and_is_audited(world: World) -> None:
    """A client with no STRIATUM_TOKEN and no operator token file sends none at all."""
    token_file = world.daemon.runtime_dir / "operator.token"
    saved = token_file.read_text()
    token_file.unlink()
    try:
        result = world.daemon.cli("whoami")
    finally:
        token_file.write_text(saved)
        token_file.chmod(0o600)
    assert result.returncode == 12 and "Traceback" not in result.stderr
    row = world.daemon.json("--as", "principal", "audit", "list", "--limit", "1")["rows"][0]
    assert (row["method"], row["actor"], row["ok"], row["error_code"]) == (
        "whoami",
        "anonymous",
        False,
        "token_missing",
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_runtime_files_are_owner_only(world: World) -> None:
    """test_daemon_lifecycle checks the directory, socket and token files; here also the
    pidfile, the socket's type, and that nothing in the directory is open to others."""
    runtime = world.daemon.runtime_dir
    assert _mode(runtime) == 0o700 and os.lstat(runtime).st_uid == os.geteuid()
    assert stat.S_ISSOCK(os.lstat(world.daemon.socket).st_mode)
    for name in ("striatumd.sock", "operator.token", "principal.token", "striatumd.pid"):
        assert _mode(runtime / name) == 0o600, name
        assert os.lstat(runtime / name).st_uid == os.geteuid(), name
    for entry in runtime.iterdir():
        assert _mode(entry) & 0o077 == 0 or entry.name == "striatumd.lock", entry


def test_the_client_refuses_the_real_socket_once_someone_else_owns_it(world: World) -> None:
    """Not just the unit check: the CLI exits 6 and the token never reaches the daemon."""
    if os.geteuid() != 0:
        pytest.skip("changing a socket's owner needs root")
    before = world.daemon.json("--as", "principal", "audit", "list", "--limit", "1")["rows"]
    os.chown(world.daemon.socket, 54321, 54321)
    try:
        result = world.daemon.cli("whoami")
    finally:
        os.chown(world.daemon.socket, 0, 0)
    assert result.returncode == 6 and "belongs to uid 54321" in result.stderr
    after = world.daemon.json("--as", "principal", "audit", "list", "--limit", "1")["rows"]
    assert after[0]["seq"] == before[0]["seq"] + 1  # nothing between the two audit.list calls
    assert after[0]["method"] == "audit.list"


@pytest.fixture
def loosened(daemon: DaemonUnderTest) -> Iterator[DaemonUnderTest]:
    """A stopped daemon whose runtime directory and token files someone made readable."""
    daemon.stop()
    os.chmod(daemon.runtime_dir, 0o755)
    for role in ("operator", "principal"):
        os.chmod(daemon.runtime_dir / f"{role}.token", 0o644)
    yield daemon


def test_a_restart_makes_a_loosened_runtime_directory_and_its_tokens_private_again(
    loosened: DaemonUnderTest,
) -> None:
    old = loosened.token("operator")
    (loosened.runtime_dir / "principal.token").unlink()  # lost: re-minted, 0600
    loosened.start()
    assert _mode(loosened.runtime_dir) == 0o700
    for role in ("operator", "principal"):
        assert _mode(loosened.runtime_dir / f"{role}.token") == 0o600, role
    assert loosened.token("operator") == old  # still accepted: kept, only tightened
    assert loosened.json("--as", "principal", "whoami")["role"] == "principal"
