"""Tokens and roles at the door: each refusal has its own exit code and its own audit row."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.support.daemons import DaemonUnderTest

EXIT = {
    "permission_denied": 6,
    "not_found": 4,
    "validation": 3,
    "token_missing": 12,
    "token_invalid": 13,
    "token_revoked": 14,
    "token_expired": 15,
}


def latest_audit(daemon: DaemonUnderTest, count: int = 1) -> list[dict[str, object]]:
    """The newest rows before this audit.list request (whose own row commits after it reads)."""
    rows: list[dict[str, object]] = daemon.json(
        "--as", "principal", "audit", "list", "--limit", str(count)
    )["rows"]
    return rows


def reader_token(daemon: DaemonUnderTest, *extra: str) -> dict[str, str]:
    created: dict[str, str] = daemon.json(
        "--as", "principal", "token", "create", "--role", "reader", *extra
    )
    return created


def test_a_missing_token_is_refused_with_exit_12_and_audited(daemon: DaemonUnderTest) -> None:
    frame = b'{"v":1,"id":"r1","method":"whoami","params":{},"token":null}\n'
    response = json.loads(daemon.rpc(frame))
    assert response["ok"] is False and response["error"]["code"] == "token_missing"
    (row,) = latest_audit(daemon)
    assert (row["method"], row["ok"], row["error_code"], row["actor"]) == (
        "whoami",
        False,
        "token_missing",
        "anonymous",
    )


def test_a_garbage_token_is_refused_with_exit_13_and_audited(daemon: DaemonUnderTest) -> None:
    result = daemon.cli("whoami", token="stm_not-a-real-token")
    assert result.returncode == EXIT["token_invalid"]
    assert "Traceback" not in result.stderr
    (row,) = latest_audit(daemon)
    assert (row["ok"], row["error_code"]) == (False, "token_invalid")


def test_a_revoked_token_is_refused_with_exit_14(daemon: DaemonUnderTest) -> None:
    created = reader_token(daemon)
    assert daemon.json("whoami", token=created["secret"])["role"] == "reader"
    daemon.json("--as", "principal", "token", "revoke", created["token_id"])
    result = daemon.cli("whoami", token=created["secret"])
    assert result.returncode == EXIT["token_revoked"]
    assert created["token_id"] in result.stderr
    (row,) = latest_audit(daemon)
    assert (row["error_code"], row["actor"]) == ("token_revoked", "anonymous")


def test_an_expired_token_is_refused_with_exit_15(daemon: DaemonUnderTest) -> None:
    created = reader_token(daemon, "--expires", "1h")
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo, autocommit=True) as conn:
        conn.execute(
            "UPDATE striatumd.tokens SET expires_at = now() - interval '1 minute' "
            "WHERE token_id = %s",
            (created["token_id"],),
        )
    result = daemon.cli("whoami", token=created["secret"])
    assert result.returncode == EXIT["token_expired"]
    assert latest_audit(daemon)[0]["error_code"] == "token_expired"


def test_the_wrong_role_is_refused_naming_the_missing_capability(daemon: DaemonUnderTest) -> None:
    created = reader_token(daemon)
    result = daemon.cli("token", "create", "--role", "reader", token=created["secret"])
    assert result.returncode == EXIT["permission_denied"]
    assert "needs capability 'administer'" in result.stderr
    assert "role 'reader' lacks" in result.stderr
    (row,) = latest_audit(daemon)
    assert (row["method"], row["actor"], row["role"], row["error_code"]) == (
        "token.create",
        created["token_id"],
        "reader",
        "permission_denied",
    )
    operator = daemon.cli("token", "list")  # the operator token file, by default
    assert operator.returncode == EXIT["permission_denied"]


def test_every_request_appends_exactly_one_audit_row(daemon: DaemonUnderTest) -> None:
    before = int(str(latest_audit(daemon)[0]["seq"]))
    for args in (("whoami",), ("daemon", "status"), ("token", "list")):
        daemon.cli(*args)
    after = latest_audit(daemon, 4)
    assert [row["seq"] for row in after] == [before + 4, before + 3, before + 2, before + 1]
    assert [row["method"] for row in after] == [
        "token.list",
        "daemon.status",
        "whoami",
        "audit.list",
    ]


def test_an_unknown_token_id_is_not_found_naming_it(daemon: DaemonUnderTest) -> None:
    result = daemon.cli("--as", "principal", "token", "revoke", "tok_nope")
    assert result.returncode == EXIT["not_found"]
    assert "tok_nope" in result.stderr


def test_a_failed_write_leaves_nothing_but_its_audit_row(daemon: DaemonUnderTest) -> None:
    count = len(daemon.json("--as", "principal", "token", "list", "--all")["tokens"])
    result = daemon.cli(
        "--as", "principal", "token", "create", "--role", "reader", "--expires", "yesterday"
    )
    assert result.returncode == EXIT["validation"]
    assert "--expires 'yesterday'" in result.stderr
    assert len(daemon.json("--as", "principal", "token", "list", "--all")["tokens"]) == count
    assert latest_audit(daemon, 2)[1]["error_code"] == "validation"


@pytest.mark.parametrize(
    "args",
    [
        ("token", "create", "--role", "lane"),
        (
            "token",
            "frob",
        ),
    ],
)
def test_cli_usage_errors_exit_2_without_touching_the_daemon(
    daemon: DaemonUnderTest, args: tuple[str, ...]
) -> None:
    result = daemon.cli("--as", "principal", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
