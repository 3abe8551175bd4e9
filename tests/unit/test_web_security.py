"""The web UI's pure guards: loopback hosts, Host names, same origin, the mutation policy."""

from __future__ import annotations

import pytest

from striatum import errors
from striatum.web import security


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    security.require_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.org", "localhost.example.org", ""]
)
def test_other_hosts_are_refused_as_usage_errors(host: str) -> None:
    with pytest.raises(errors.UsageError) as refused:
        security.require_loopback(host)
    assert refused.value.exit_code == 2


def test_allowed_hosts_name_this_server_only() -> None:
    hosts = security.allowed_hosts("::1", 9000)
    assert {"127.0.0.1:9000", "localhost:9000", "[::1]:9000"} == hosts
    assert "127.0.0.1" in security.allowed_hosts("127.0.0.1", 80)


@pytest.mark.parametrize(
    ("headers", "same"),
    [
        ({"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"}, True),
        ({"host": "127.0.0.1:8765", "referer": "http://127.0.0.1:8765/inbox"}, True),
        ({"host": "127.0.0.1:8765", "origin": "http://localhost:8765"}, False),
        ({"host": "127.0.0.1:8765", "origin": "null"}, False),
        ({"host": "127.0.0.1:8765", "origin": "file://"}, False),
        ({"host": "127.0.0.1:8765"}, False),
        ({"origin": "http://127.0.0.1:8765"}, False),
    ],
)
def test_same_origin_compares_origin_or_referer_with_host(
    headers: dict[str, str], same: bool
) -> None:
    assert security.same_origin(headers) is same


def test_the_policy_refuses_in_order_read_only_origin_secret() -> None:
    good = {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"}
    read_only = security.MutationPolicy(allowed=False, secret="s3cret")
    assert "read-only" in (read_only.refusal(good, {"secret": "s3cret"}) or "")
    acting = security.MutationPolicy(allowed=True, secret="s3cret")
    assert "cross-origin" in (acting.refusal({"host": good["host"]}, {"secret": "s3cret"}) or "")
    assert "secret" in (acting.refusal(good, {"secret": "nope"}) or "")
    assert acting.refusal(good, {"secret": "s3cret"}) is None
