"""A doctor report rebuilt from a daemon's answers says what the direct check would."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.integrity import doctor
from striatum.model.chain import Head

STATUS = {"pid": 42, "database": "db", "server_version": "18.6"}


def _verified(**migrations: Any) -> dict[str, Any]:
    return {
        "migrations": {"pending": [], "error": None, **migrations},
        "privilege_problems": [],
        "chains": [
            {
                "chain": "audit",
                "ok": True,
                "rows": 3,
                "head": {"seq": 3, "row_hash": "ab" * 32},
                "first_break": None,
            }
        ],
        "anchor_breaks": [],
    }


def test_a_sound_answer_is_an_ok_report_naming_the_daemon() -> None:
    report = doctor.from_daemon(STATUS, _verified())
    assert report.ok and report.exit_code == 0
    assert report.checked_by == "daemon pid 42"
    assert [(c.chain, c.rows, c.head) for c in report.chains] == [
        ("audit", 3, Head(seq=3, row_hash="ab" * 32))
    ]


def test_an_edited_migration_keeps_its_hint_and_details() -> None:
    refusal = errors.MigrationError("0001 was edited", hint="restore it", migration="0001")
    answer = _verified(error=refusal.message, refusal=refusal.to_dict())
    report = doctor.from_daemon(STATUS, answer)
    assert report.exit_code == errors.EXIT_CODES["migration"]
    assert report.error is not None and report.error.to_dict() == refusal.to_dict()


def test_an_older_daemon_that_sends_the_message_alone_is_still_understood() -> None:
    report = doctor.from_daemon(STATUS, _verified(error="0001 was edited"))
    assert isinstance(report.error, errors.MigrationError)
    assert report.error.message == "0001 was edited"
