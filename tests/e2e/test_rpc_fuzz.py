"""Random, truncated and oversized frames: every one answered or closed cleanly."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from striatum.client.envelope import MAX_FRAME_BYTES
from tests.support.daemons import DaemonUnderTest

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
envelope_like = st.fixed_dictionaries(
    {},
    optional={
        "v": st.sampled_from([1, 2, "1", None]),
        "id": st.text(max_size=140) | json_scalars,
        "method": st.sampled_from(["whoami", "token.create", "daemon.status", "nope", ""])
        | json_scalars,
        "params": json_values,
        "token": st.text(max_size=60) | json_scalars,
    },
)


def frames() -> st.SearchStrategy[bytes]:
    encoded = envelope_like.map(lambda d: json.dumps(d).encode())
    whole = encoded | st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
    truncated = encoded.flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n]))
    return st.one_of(whole.map(lambda b: b.replace(b"\n", b" ") + b"\n"), truncated)


def check_answer(raw: bytes) -> None:
    """Nothing, or newline-terminated JSON responses of envelope v1."""
    for line in raw.splitlines():
        response = json.loads(line)
        assert response["v"] == 1 and isinstance(response["ok"], bool)
        if not response["ok"]:
            assert set(response["error"]) == {"code", "message", "hint", "details"}


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames())
def test_random_and_truncated_frames_never_hurt_the_daemon(
    daemon: DaemonUnderTest, frame: bytes
) -> None:
    check_answer(daemon.rpc(frame))


def test_an_oversized_frame_is_refused_and_the_daemon_stays_up(daemon: DaemonUnderTest) -> None:
    answer = daemon.rpc(b"x" * (MAX_FRAME_BYTES + 10) + b"\n")
    response = json.loads(answer.splitlines()[0])
    assert response["error"]["code"] == "protocol"
    assert "exceeds" in response["error"]["message"]
    assert daemon.json("whoami")["role"] == "operator"


def test_after_the_fuzz_the_log_has_no_traceback(daemon: DaemonUnderTest) -> None:
    for frame in (
        b"{\n",
        b"[]\n",
        b'{"v":1,"id":"a","method":"whoami","params":[]}\n',
        b"\xff\xfe\n",
        b'{"v":1,"id":"' + b"x" * 500 + b'"}\n',
    ):
        check_answer(daemon.rpc(frame))
    assert daemon.json("daemon", "status")["pid"] == daemon.pid()
    assert "Traceback" not in daemon.log.read_text()


def test_several_requests_on_one_connection_are_answered_in_order(
    daemon: DaemonUnderTest,
) -> None:
    token = daemon.token("operator")
    frames_out = b"".join(
        json.dumps(
            {"v": 1, "id": f"r{n}", "method": "whoami", "params": {}, "token": token}
        ).encode()
        + b"\n"
        for n in range(5)
    )
    answers = [json.loads(line) for line in daemon.rpc(frames_out).splitlines()]
    assert [a["id"] for a in answers] == [f"r{n}" for n in range(5)]
    assert all(a["ok"] for a in answers)
