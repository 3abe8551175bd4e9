"""Hypothesis-made parameters for every verb, and hostile workflow.json files, over the socket.

Each request carries the principal token (so every capability check passes and the params
reach validation and the handlers) and real ids now and then (so handlers get past
`not_found`). Every answer must be one well-formed envelope: a result, or an error with a
documented code that is never `internal`. The module's daemon must survive all of it with
no traceback in its log (checked by the `shared_daemon` fixture).

Filesystem params are kept inside a scratch directory or a list of hostile but harmless
paths: the principal may legitimately write where it names, and the fuzz must not write
into the real world.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from striatum.errors import EXIT_CODES
from striatum.model import bounded_json
from striatum.model.verb_spec import Param, Verb
from striatum.verbs.catalog import VERBS
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import EXAMPLES, Operator, example, new_repo

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_ids = iter(range(1, 1 << 30))


@dataclass(repr=False)  # falsifying examples print it: keep it short
class Target:
    """The daemon, and things worth naming: real ids, a scratch dir, hostile files."""

    daemon: DaemonUnderTest
    scratch: Path
    repo: Path
    ids: list[str]

    def __repr__(self) -> str:
        return f"Target({self.daemon.base})"

    def send(self, method: str, params: Any) -> dict[str, Any]:
        """One request as the principal; the single, well-formed answer."""
        request_id = f"fuzz-{next(_ids)}"
        frame = (
            json.dumps(
                {
                    "v": 1,
                    "id": request_id,
                    "method": method,
                    "params": params,
                    "token": self.daemon.token("principal"),
                }
            ).encode()
            + b"\n"
        )
        lines = self.daemon.rpc(frame).splitlines()
        assert len(lines) == 1, lines
        answer: dict[str, Any] = json.loads(lines[0])
        assert answer["v"] == 1 and answer["id"] == request_id
        if answer["ok"] is True:
            assert "result" in answer
        else:
            assert answer["ok"] is False
            error = answer["error"]
            assert set(error) == {"code", "message", "hint", "details"}
            # Only a frame out of JSON bounds (a number beyond 64 bits, NaN) is a protocol error.
            refused = ("internal",) + (() if _out_of_bounds(frame) else ("protocol",))
            assert error["code"] in EXIT_CODES and error["code"] not in refused, (
                method,
                params,
                error,
            )
        return answer


def _out_of_bounds(frame: bytes) -> bool:
    try:
        bounded_json.loads(frame, locate=False)
    except bounded_json.BoundsError:
        return True
    return False


@pytest.fixture(scope="module")
def target(shared_daemon: DaemonUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    base = tmp_path_factory.mktemp("fuzz-verbs")
    operator = Operator(daemon=shared_daemon, repo=new_repo(base))
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    scratch = base / "scratch"
    scratch.mkdir()
    os.mkfifo(scratch / "fifo")
    (scratch / "huge.json").write_bytes(b" " * ((1 << 20) + 10))
    ids = [
        run_id,
        operator.session,
        packet["lease"]["lease_id"],
        packet["job"]["job_id"],
        "run_" + "0" * 12,
        "lease_" + "0" * 12,
        "blk_" + "0" * 12,
        "tok_" + "0" * 12,
    ]
    return Target(daemon=shared_daemon, scratch=scratch, repo=operator.repo, ids=ids)


HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\U0001f600" * 50,
    "..",
    "../" * 40,
    "/etc/passwd",
    ".git/config",
    ".striatum/x",
    "x" * 300,
    "%s%n",
    "{}",
    "null",
    "'; DROP TABLE striatumd.events; --",
    "\u202e",
    "\r\n",
    "\\",
    "*",
    "$(id)",
]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
)
any_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)


def path_values(target: Target) -> st.SearchStrategy[str]:
    """Paths that are hostile to the daemon but cannot make it write outside `scratch`.

    No relative path: the daemon would take it from its own working directory (the doors
    send path params absolute), and a principal's export would land there."""
    fixed = [
        str(target.repo),
        str(example("review-flow")),
        str(target.scratch),
        str(target.scratch / "fifo"),
        str(target.scratch / "huge.json"),
        "/dev/zero",
        "/dev/null",
        "/dev/stdin",
        "/proc/self/environ",
        "",
        str(target.scratch / ("a" * 300)),
        str(target.scratch / "a\x00b"),
        str(target.scratch / "x") + "/" + "y" * 990,
        "x" * 5000,
    ]
    inside = st.text(max_size=40).map(lambda t: str(target.scratch / "made" / t))
    return st.sampled_from(fixed) | inside


def value_for(param: Param, target: Target) -> st.SearchStrategy[Any]:
    if param.path:
        typed: st.SearchStrategy[Any] = path_values(target)
    elif param.name == "notify":  # a command the daemon would run: only harmless ones
        typed = st.sampled_from(["", "true", "x" * 1001, "a\x00b", "\ud800"])
    elif param.type == "string":
        around = st.integers(max(0, param.max_length - 1), param.max_length + 1)
        typed = (
            st.sampled_from(HOSTILE_TEXT + target.ids + list(param.choices or ()))
            | st.text(max_size=60)
            | around.map(lambda n: "y" * n)
        )
    elif param.type == "integer":
        typed = st.integers(-(2**70), 2**70) | st.sampled_from(
            [0, -1, 1, 3600, 3601, 2**53 - 1, 2**53, 2**63, -(2**63)]
        )
    else:
        typed = st.booleans()
    return typed | any_json  # the right type most of the time, anything at all otherwise


def params_for(verb: Verb, target: Target) -> st.SearchStrategy[Any]:
    safe_keys = st.text(max_size=12).filter(lambda k: k not in {p.name for p in verb.params})
    known = st.fixed_dictionaries(
        {}, optional={p.name: value_for(p, target) for p in verb.params if not p.local}
    )
    unknown = st.dictionaries(safe_keys, any_json, max_size=2)
    merged = st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})
    return known | merged | any_json.filter(lambda v: not isinstance(v, dict))


@pytest.mark.parametrize("verb", VERBS, ids=[v.name for v in VERBS])
def test_every_verb_answers_any_params_with_a_documented_error_or_a_result(
    target: Target, verb: Verb
) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        target.send(verb.name, data.draw(params_for(verb, target), label="params"))

    fuzz()


HOSTILE_VALUES = (
    st.sampled_from(
        [*HOSTILE_TEXT, f"roles/{'r' * 300}", "/dev/zero", "fifo", "../../../../../../dev/zero"]
    )
    | any_json
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (object keys and list indexes)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutated(document: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    changed = copy.deepcopy(document)
    node = changed
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    return changed


EXAMPLE_WORKFLOWS = sorted(EXAMPLES.glob("*/workflow.json"))


@FUZZ
@given(data=st.data())
def test_hostile_workflow_files_are_refused_cleanly_by_run_prepare(
    target: Target, data: st.DataObject
) -> None:
    """Examples with one to three places replaced by hostile values (NULs, lone surrogates,
    names too long for the file system, devices, wrong types), prepared through the daemon."""
    source = data.draw(st.sampled_from(EXAMPLE_WORKFLOWS), label="example")
    document = json.loads(source.read_text())
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        where = data.draw(st.sampled_from(_paths(document)), label="where")
        document = _mutated(document, where, data.draw(HOSTILE_VALUES, label="value"))
    folder = target.scratch / f"wf-{next(_ids)}"
    shutil.copytree(source.parent, folder)  # the example's role and prompt files
    os.mkfifo(folder / "fifo")
    (folder / "workflow.json").write_text(json.dumps(document))
    target.send(
        "run.prepare", {"workflow": str(folder / "workflow.json"), "repo": str(target.repo)}
    )


@pytest.mark.parametrize(
    "out",
    ["/dev/null", "fifo", "huge.json", "a" * 300, "x/" + "y" * 990],
    ids=["device", "fifo", "a-file", "name-too-long", "path-too-long"],
)
def test_corpus_export_into_a_place_that_cannot_hold_a_bundle_is_refused(
    target: Target, out: str
) -> None:
    place = out if out.startswith("/") else str(target.scratch / out)
    answer = target.send("corpus.export", {"repo": str(target.repo), "out": place})
    assert answer["ok"] is False and answer["error"]["code"] in ("validation", "conflict")


@pytest.mark.parametrize(
    "workflow",
    ["/dev/zero", "fifo", "huge.json", ".", "a" * 300],
    ids=["device", "fifo", "over-1-MiB", "directory", "name-too-long"],
)
def test_run_prepare_refuses_a_workflow_that_is_not_a_small_regular_file(
    target: Target, workflow: str
) -> None:
    """Found by the fuzz: /dev/zero filled a daemon thread's memory, a FIFO blocked one."""
    place = workflow if workflow.startswith("/") else str(target.scratch / workflow)
    answer = target.send("run.prepare", {"workflow": place, "repo": str(target.repo)})
    assert answer["ok"] is False and answer["error"]["code"] == "validation", answer


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("name",), "nul\x00name"),
        (("name",), "lone \ud800 surrogate"),
        (("roles", "author"), "a\x00.md"),
        (("roles", "author"), "r" * 300),
        (("roles", "author"), "\ud800.md"),
        (("jobs",), True),
        (("roles",), 7),
        (("jobs", 0, "prompt"), "p" * 300),
        (("jobs", 0, "id"), "\udfff"),
    ],
    ids=[
        "nul",
        "surrogate",
        "role-file-nul",
        "role-file-too-long",
        "role-file-surrogate",
        "jobs-not-a-list",
        "roles-not-an-object",
        "prompt-too-long",
        "job-id-surrogate",
    ],
)
def test_run_prepare_refuses_a_bad_workflow_naming_the_field(
    target: Target, where: tuple[Any, ...], value: str
) -> None:
    """Found by the fuzz: these reached hashing, PostgreSQL or the file lookup as bugs."""
    source = example("minimal-flow")
    folder = target.scratch / f"wf-{next(_ids)}"
    shutil.copytree(source.parent, folder)
    document = _mutated(json.loads(source.read_text()), where, value)
    (folder / "workflow.json").write_text(json.dumps(document))
    answer = target.send(
        "run.prepare", {"workflow": str(folder / "workflow.json"), "repo": str(target.repo)}
    )
    assert answer["ok"] is False and answer["error"]["code"] == "validation", answer
    field = ".".join(str(step) for step in where).replace(".0.", "[0].")
    assert field in json.dumps(answer["error"]["details"]), answer["error"]
