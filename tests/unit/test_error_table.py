"""The one error table (`errors.CODES`): complete, stable, and the only source of every door's
numbers (exit status, HTTP status, JSON-RPC code) and of the documented table."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import mcp_types
import pytest
from starlette.testclient import TestClient

import striatum
from striatum import errors
from striatum.cli import failures, fastpath
from striatum.cli.reference import error_table
from striatum.client import rpc
from striatum.mcp import bearer, calls, resources
from striatum.verbs.catalog import BY_NAME

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "striatum"


def every_error_class() -> Iterator[type[errors.StriatumError]]:
    for module in pkgutil.walk_packages(striatum.__path__, "striatum."):
        importlib.import_module(module.name)
    pending = [errors.StriatumError]
    while pending:
        cls = pending.pop()
        yield cls
        pending += cls.__subclasses__()


def error_for(code: str) -> errors.StriatumError:
    return errors.from_dict({"code": code, "message": f"a {code} failure"})


def test_every_code_has_an_exit_status_an_http_status_a_jsonrpc_code_and_a_meaning() -> None:
    """Contract: each code has one row with every mapping; exit statuses are distinct, below
    the shell's 126+ range; HTTP statuses are errors; JSON-RPC codes are the spec's."""
    exits = [row.exit for row in errors.CODES.values()]
    assert len(set(exits)) == len(exits)
    jsonrpc = {mcp_types.INVALID_PARAMS, mcp_types.INTERNAL_ERROR, errors.MCP_RESOURCE_NOT_FOUND}
    for code, row in errors.CODES.items():
        assert 0 < row.exit < 126, code
        assert 400 <= row.http < 600, code
        assert row.jsonrpc in jsonrpc, code
        assert row.meaning and "\n" not in row.meaning, code
    assert set(errors.OTHER_EXITS).isdisjoint(exits)


def test_every_error_class_anywhere_in_the_package_has_a_row() -> None:
    """Contract: a StriatumError subclass's code is always in the table, so no door needs a
    fallback; and every code is raised by some class (no dead rows)."""
    codes = {cls.code for cls in every_error_class()}
    assert codes == set(errors.CODES)


def test_the_numbers_are_stable() -> None:
    """Contract: HTTP statuses and JSON-RPC codes, like exit codes, never change meaning."""
    assert {code: (row.http, row.jsonrpc) for code, row in errors.CODES.items()} == {
        "internal": (500, -32603),
        "usage": (400, -32602),
        "validation": (400, -32602),
        "not_found": (404, -32002),
        "conflict": (409, -32603),
        "permission_denied": (403, -32603),
        "daemon_unreachable": (503, -32603),
        "integrity": (500, -32603),
        "database_unavailable": (503, -32603),
        "database_unsupported": (503, -32603),
        "migration": (503, -32603),
        "token_missing": (401, -32603),
        "token_invalid": (401, -32603),
        "token_revoked": (401, -32603),
        "token_expired": (401, -32603),
        "protocol": (400, -32602),
        "storage": (507, -32603),
        "agent_unavailable": (503, -32603),
        "busy": (429, -32603),
    }
    assert (errors.EXIT_OK, errors.EXIT_INTERRUPTED) == (0, 130)


def test_the_jsonrpc_names_match_the_mcp_sdk() -> None:
    assert errors.JSONRPC_INVALID_PARAMS == mcp_types.INVALID_PARAMS
    assert errors.JSONRPC_INTERNAL_ERROR == mcp_types.INTERNAL_ERROR


def test_a_reused_exit_status_says_so_in_its_row() -> None:
    """`supervise` and `doctor`'s skills plane reuse conflict's 5; the table says so."""
    from striatum.cli import health

    conflict = errors.CODES["conflict"]
    assert errors.EXIT_RUN_NOT_SUCCEEDED == health.EXIT_SKILLS == conflict.exit
    assert "`supervise`" in conflict.meaning and "`doctor`" in conflict.meaning


@pytest.mark.parametrize("code", sorted(errors.CODES))
def test_the_cli_exits_with_the_tables_status(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise error_for(code)

    with pytest.raises(SystemExit) as guarded:
        failures.run_guarded(refuse)
    assert guarded.value.code == errors.CODES[code].exit

    monkeypatch.setattr(rpc, "call", lambda *args, **kwargs: refuse())
    invocation = fastpath.Invocation(BY_NAME["whoami"], {}, as_json=False, as_role=None)
    assert fastpath.run(invocation) == errors.CODES[code].exit


@pytest.mark.parametrize("code", sorted(errors.CODES))
def test_mcp_reports_the_tables_numbers(code: str) -> None:
    error, row = error_for(code), errors.CODES[code]
    assert calls.failure(error).payload["error"]["exit_code"] == row.exit
    assert bearer.refused(error).status_code == row.http
    assert resources.read_error(error, "striatum://runs", "2025-11-25").code == row.jsonrpc


@pytest.mark.parametrize("code", sorted(errors.CODES))
def test_a_web_page_answers_with_the_tables_http_status(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from striatum.web.app import WebConfig, create_app

    def refuse(*args: object, **kwargs: object) -> None:
        raise error_for(code)

    monkeypatch.setenv("STRIATUM_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setattr(rpc, "call", refuse)
    with TestClient(create_app(WebConfig(port=8765)), base_url="http://127.0.0.1:8765") as client:
        page = client.get("/")
    assert page.status_code == errors.CODES[code].http
    assert f"a {code} failure" in page.text


def test_no_exit_status_is_a_literal_outside_errors_py() -> None:
    """Contract: every `sys.exit(...)` names its status (from the table or a named constant
    in errors.py); only 0 may be written as a number."""
    found = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "sys.exit"
                and any(_is_status_literal(arg) for arg in ast.walk(node))
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    returned = ast.parse((SRC / "cli" / "fastpath.py").read_text())
    run = next(n for n in ast.walk(returned) if isinstance(n, ast.FunctionDef) and n.name == "run")
    found += [
        f"fastpath.run:{node.lineno}"
        for node in ast.walk(run)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
    ]
    assert found == []


def _is_status_literal(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and node.value != 0
    )


def test_the_docs_print_the_table() -> None:
    """docs/SPEC.md §2 and docs/CLI_REFERENCE.md (generated by `make docs`) hold exactly the
    table's rows; copy `error_table()`'s output into SPEC.md when this fails."""
    table = error_table()
    assert table in (ROOT / "docs" / "SPEC.md").read_text()
    assert table in (ROOT / "docs" / "CLI_REFERENCE.md").read_text()
