"""Envelope v1, verb parameter validation, roles and token rules: the pure parts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from striatum import errors
from striatum.client import envelope
from striatum.model import roles
from striatum.model import tokens as token_rules
from striatum.verbs.catalog import BY_NAME, VERBS

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_a_request_frame_round_trips() -> None:
    """Contract: one line of JSON carrying v, id, method, params and token."""
    frame = envelope.request_frame("r1", "whoami", {"a": 1}, "stm_x")
    assert frame.endswith(b"\n") and frame.count(b"\n") == 1
    assert json.loads(frame) == {
        "v": 1,
        "id": "r1",
        "method": "whoami",
        "params": {"a": 1},
        "token": "stm_x",
    }
    parsed = envelope.parse_request(frame)
    assert (parsed.id, parsed.method, parsed.params, parsed.token) == (
        "r1",
        "whoami",
        {"a": 1},
        "stm_x",
    )


def test_an_error_response_carries_code_message_hint_details() -> None:
    """Contract: {"v":1,"id","ok":false,"error":{code,message,hint,details}}."""
    frame = envelope.error_frame("r2", errors.NotFound("no token 'x'", token_id="x"))
    assert json.loads(frame) == {
        "v": 1,
        "id": "r2",
        "ok": False,
        "error": {
            "code": "not_found",
            "message": "no token 'x'",
            "hint": None,
            "details": {"token_id": "x"},
        },
    }
    with pytest.raises(errors.NotFound, match="no token 'x'"):
        envelope.parse_response(frame)


@pytest.mark.parametrize(
    "line",
    [
        b"nope",
        b"[]",
        b'{"v":1}',
        b'{"v":2,"id":"a","method":"m"}',
        b'{"v":1,"id":"a","method":""}',
        b'{"v":1,"id":"a","method":"m","token":5}',
    ],
)
def test_malformed_requests_raise_protocol_errors(line: bytes) -> None:
    with pytest.raises(errors.ProtocolError):
        envelope.parse_request(line)


def test_params_are_validated_naming_the_parameter() -> None:
    verb = BY_NAME["token.create"]
    assert verb.validate({"role": "reader"}) == {"role": "reader", "label": "", "expires": None}
    for raw, fragment in [
        ({}, "'role' is required"),
        ({"role": "god"}, "must be one of"),
        ({"role": "reader", "x": 1}, "unknown parameter(s) x"),
        ({"role": 3}, "must be a string"),
        ([], "JSON object"),
        ({"role": "reader", "label": "a\x00b"}, "NUL"),
        ({"role": "reader", "label": "x" * 201}, "longer than 200"),
    ]:
        with pytest.raises(
            errors.ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")
        ):
            verb.validate(raw)
    assert BY_NAME["audit.list"].validate({"limit": 5}) == {"limit": 5}
    with pytest.raises(errors.ValidationError):
        BY_NAME["audit.list"].validate({"limit": True})


def test_every_verb_names_a_handler_and_a_json_schema() -> None:
    import importlib

    for verb in VERBS:
        module, function = verb.handler.split(":")
        assert callable(getattr(importlib.import_module(module), function)), verb.name
        schema = verb.json_schema()
        assert schema["type"] == "object" and schema["additionalProperties"] is False


def test_roles_hold_the_capabilities_the_design_gives_them() -> None:
    assert roles.allows(roles.Role.PRINCIPAL, roles.Capability.DECIDE)
    assert not roles.allows(roles.Role.OPERATOR, roles.Capability.DECIDE)
    assert not roles.allows(roles.Role.OPERATOR, roles.Capability.ADMINISTER)
    assert not roles.allows(roles.Role.LANE, roles.Capability.DRIVE)
    assert roles.holders(roles.Capability.READ) == list(roles.Role)


def test_token_acceptance_names_the_reason() -> None:
    live = token_rules.TokenRecord(
        token_id="tok_a", role=roles.Role.READER, label="", expires_at=None, revoked_at=None
    )
    assert token_rules.accept(live, NOW) is live
    with pytest.raises(errors.TokenInvalid):
        token_rules.accept(None, NOW)
    with pytest.raises(errors.TokenRevoked):
        token_rules.accept(token_rules.TokenRecord(**{**live.__dict__, "revoked_at": NOW}), NOW)
    with pytest.raises(errors.TokenExpired):
        token_rules.accept(token_rules.TokenRecord(**{**live.__dict__, "expires_at": NOW}), NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW + dt.timedelta(minutes=30)),
        ("2w", NOW + dt.timedelta(weeks=2)),
        ("2026-12-01T00:00:00Z", dt.datetime(2026, 12, 1, tzinfo=dt.UTC)),
    ],
)
def test_expiry_accepts_durations_and_timestamps(text: str, expected: dt.datetime) -> None:
    assert token_rules.parse_expiry(text, NOW) == expected


@pytest.mark.parametrize("text", ["0h", "soon", "2026-12-01T00:00:00", "2020-01-01T00:00:00Z"])
def test_expiry_refuses_the_rest(text: str) -> None:
    with pytest.raises(errors.ValidationError):
        token_rules.parse_expiry(text, NOW)


def test_minted_secrets_are_stored_only_as_their_digest() -> None:
    minted = token_rules.mint()
    assert minted.secret.startswith("stm_") and len(minted.secret) > 40
    assert minted.secret_sha256 == token_rules.digest(minted.secret) != minted.secret


def test_a_relative_path_param_is_refused_by_the_daemon() -> None:
    with pytest.raises(errors.ValidationError, match="'workflow' must be an absolute path"):
        BY_NAME["run.prepare"].validate({"workflow": "flow/workflow.json"})
    assert BY_NAME["run.prepare"].validate({"workflow": "/abs/workflow.json"})["workflow"]
