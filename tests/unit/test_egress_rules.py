"""A strict lane's allow list (model/egress_rules.py) and what the egress proxy reads of a
request (lanes/egress_proxy._target). The proxy itself carries real connections in
tests/e2e/test_sandbox.py and, for the real CLIs, tests/agents/test_real_lanes.py."""

from __future__ import annotations

import pytest

from striatum.lanes import egress_proxy
from striatum.model import egress_rules


def test_entries_name_a_host_any_port_a_port_or_a_domain_below() -> None:
    allowed = egress_rules.allowed(["api.anthropic.com"], ["127.0.0.1:8080", "*.corp.example"])
    assert allowed.allows("api.anthropic.com", 443) and allowed.allows("API.Anthropic.com", 80)
    assert allowed.allows("127.0.0.1", 8080) and not allowed.allows("127.0.0.1", 8081)
    assert allowed.allows("llm.corp.example", 443) and allowed.allows("a.b.corp.example", 1)
    assert not allowed.allows("corp.example", 443)  # below the domain, not the domain
    assert not allowed.allows("evilcorp.example", 443) and not allowed.allows("anthropic.com", 443)
    assert egress_rules.allowed(["[::1]:11434"]).allows("[::1]", 11434)
    assert str(egress_rules.allowed([])) == "nothing"


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("https://api.example.com", "no scheme, no path"),
        ("example.com/v1", "no scheme, no path"),
        ("example.com:0", "no valid port"),
        ("example.com:http", "no valid port"),
        ("[::1", r"not \[address\]"),
        ("", "not a host"),
    ],
)
def test_a_bad_entry_is_refused_by_name(entry: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        egress_rules.parse_entry(entry)


def test_the_proxy_reads_connect_and_absolute_http_and_nothing_else() -> None:
    assert egress_proxy._target(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: x\r\n\r\n") == (
        "CONNECT",
        "api.openai.com",
        443,
        b"",
    )
    head = (
        b"POST http://127.0.0.1:8080/v1/messages?beta=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        b"Proxy-Connection: keep-alive\r\nContent-Length: 2\r\n\r\n"
    )
    method, host, port, forwarded = egress_proxy._target(head) or ("", "", 0, b"")
    assert (method, host, port) == ("POST", "127.0.0.1", 8080)
    assert forwarded == (
        b"POST /v1/messages?beta=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 2\r\n\r\n"
    )
    assert egress_proxy._target(b"GET /relative HTTP/1.1\r\n\r\n") is None
    assert egress_proxy._target(b"GET https://x/ HTTP/1.1\r\n\r\n") is None  # HTTPS: CONNECT
    assert egress_proxy._target(b"CONNECT nohost HTTP/1.1\r\n\r\n") is None
