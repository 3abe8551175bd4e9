"""Public contracts pinned: exit codes, the error shape, SQL files, runtime-dir resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from striatum import errors, paths
from striatum.store.sql import parse, queries

ROOT = Path(__file__).parents[2]

SQL_DIR = Path(__file__).parents[2] / "src" / "striatum" / "store" / "sql"


def test_exit_codes_are_stable() -> None:
    """Contract: these numbers are documented in docs/SPEC.md and never change meaning."""
    assert errors.EXIT_CODES == {
        "internal": 1,
        "usage": 2,
        "validation": 3,
        "not_found": 4,
        "conflict": 5,
        "permission_denied": 6,
        "daemon_unreachable": 7,
        "integrity": 8,
        "database_unavailable": 9,
        "database_unsupported": 10,
        "migration": 11,
        "token_missing": 12,
        "token_invalid": 13,
        "token_revoked": 14,
        "token_expired": 15,
        "protocol": 16,
        "storage": 17,
        "agent_unavailable": 18,
        "busy": 19,
    }


def test_error_shape_is_code_message_hint_details() -> None:
    """Contract: every door serializes errors as {code, message, hint, details}."""
    error = errors.IntegrityFailure("bad row", hint="run doctor", chain="audit", seq=3)
    assert error.to_dict() == {
        "code": "integrity",
        "message": "bad row",
        "hint": "run doctor",
        "details": {"chain": "audit", "seq": 3},
    }
    assert errors.NotFound().message == "No such object."


def test_every_sql_file_parses_and_every_query_says_what_it_does() -> None:
    for path in SQL_DIR.glob("*.sql"):
        path.read_text()
        found = queries(path.stem)
        assert found, path
        for name, sql in found.items():
            assert sql.startswith("--"), f"{path.name}:{name} lacks its one-line comment"


def test_a_query_defined_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_runtime_dir_ignores_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Client and daemon must agree whatever XDG_RUNTIME_DIR each of them sees."""
    monkeypatch.setenv("STRIATUM_HOME", "/tmp/some-home")
    monkeypatch.delenv("STRIATUM_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1")
    first = paths.runtime_dir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/2")
    assert paths.runtime_dir() == first == Path("/tmp/some-home/run")
    monkeypatch.setenv("STRIATUM_RUNTIME_DIR", "/tmp/rt")
    assert paths.runtime_dir() == Path("/tmp/rt")


def test_the_cli_reference_is_up_to_date() -> None:
    """docs/CLI_REFERENCE.md is generated; regenerate with `make docs` when this fails."""
    from striatum.cli.main import cli
    from striatum.cli.reference import render

    path = Path(__file__).parents[2] / "docs" / "CLI_REFERENCE.md"
    assert path.read_text() == render(cli), "run: make docs"


def test_every_verb_is_a_cli_command() -> None:
    import click

    from striatum.cli.main import cli
    from striatum.verbs.catalog import VERBS

    for verb in VERBS:
        command: click.Command = cli
        for word in verb.words:
            assert isinstance(command, click.Group), verb.name
            command = command.commands[word]
        assert any(p.name == "as_json" for p in command.params), verb.name


@pytest.mark.parametrize(
    "doc",
    [
        "README.md",
        "docs/USING_STRIATUM.md",
        "docs/HOW_TO_AGENT.md",
        "docs/HOW_TO_HUMAN.md",
        "docs/WEB_UI.md",
    ],
)
def test_every_command_a_guide_shows_exists(doc: str) -> None:
    from tests.support import cli_docs

    taught = cli_docs.commands((ROOT / doc).read_text())
    assert taught
    assert [p for p in map(cli_docs.problem, taught) if p] == []


def test_every_test_reliability_md_names_exists() -> None:
    """docs/RELIABILITY.md maps promises to tests: each named file and test must exist."""
    import re

    text = (ROOT / "docs" / "RELIABILITY.md").read_text()
    files = {p.relative_to(ROOT).as_posix(): p for p in (ROOT / "tests").rglob("test_*.py")}
    current: Path | None = None
    missing = []
    for name, test in re.findall(r"`((?:[\w/]+\.py)?)(?:::(\w+))?(?:\[[^\]]*\])?`", text):
        if name:
            found = [p for rel, p in files.items() if rel.endswith(name)]
            if len(found) != 1:
                missing.append(name)
                continue
            current = found[0]
        if test and (current is None or f"def {test}(" not in current.read_text()):
            missing.append(f"{current}::{test}")
    assert missing == []
