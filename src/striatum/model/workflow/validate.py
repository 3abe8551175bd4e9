"""From workflow.json text to a validated Workflow, or every problem at once.

Three stages: JSON syntax (line and column), shape (pydantic, mapped to JSON paths), rules
(rules.py). Nothing here raises on bad input: the result says what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from striatum.model import bounded_json
from striatum.model.workflow import rules
from striatum.model.workflow.paths import path_problem
from striatum.model.workflow.problems import Problem, json_path
from striatum.model.workflow.schema import SCHEMA_VERSION, Workflow


@dataclass(frozen=True, kw_only=True)
class Result:
    workflow: Workflow | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.workflow is not None and not self.errors


class _DuplicateKey(ValueError):
    pass


def validate_text(text: str, *, file_exists: Callable[[str], bool] | None = None) -> Result:
    """Validate workflow.json text; `file_exists` (if given) checks role and prompt files."""
    try:
        document = bounded_json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        return Result(
            workflow=None,
            problems=[
                Problem(
                    path="$",
                    message=f"invalid JSON at line {error.lineno}, column {error.colno}: "
                    f"{error.msg}",
                )
            ],
        )
    except _DuplicateKey as error:
        return Result(workflow=None, problems=[Problem(path="$", message=str(error))])
    except bounded_json.BoundsError as error:
        return Result(workflow=None, problems=[Problem(path=error.path, message=error.problem)])
    return validate_document(document, file_exists=file_exists)


def validate_document(document: Any, *, file_exists: Callable[[str], bool] | None = None) -> Result:
    if not isinstance(document, dict):
        return Result(
            workflow=None, problems=[Problem(path="$", message="a workflow is a JSON object")]
        )
    unstorable = _unstorable_text(document)
    if unstorable is not None:
        return Result(workflow=None, problems=[unstorable])
    found = document.get("schema_version")
    if found != SCHEMA_VERSION:
        message = f"must be {SCHEMA_VERSION!r} (found {found!r})"
        problem = Problem(path=json_path("schema_version"), message=message)
        return Result(workflow=None, problems=[problem])
    try:
        workflow = Workflow.model_validate(document)
    except ValidationError as error:
        return Result(workflow=None, problems=[_shape_problem(e) for e in error.errors()])
    problems = rules.check(workflow)
    if file_exists is not None:
        problems += _missing_files(workflow, file_exists)
    return Result(workflow=workflow, problems=problems)


def _unstorable_text(document: Any) -> Problem | None:
    """A key or string holding a NUL or a lone surrogate: text that can be neither
    hashed (UTF-8) nor stored (PostgreSQL refuses \\u0000). Iterative: any depth json
    accepts is walked."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while pending:
        where, node = pending.pop()
        if isinstance(node, str) and not _clean(node):
            return Problem(path=json_path(*where), message="holds a NUL or invalid Unicode")
        if isinstance(node, dict):
            if not all(_clean(key) for key in node):
                return Problem(
                    path=json_path(*where), message="a key holds a NUL or invalid Unicode"
                )
            pending += [((*where, key), value) for key, value in node.items()]
        elif isinstance(node, list):
            pending += [((*where, index), value) for index, value in enumerate(node)]
    return None


def _clean(text: str) -> bool:
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(f"duplicate key {key!r} in one JSON object")
        found[key] = value
    return found


def _shape_problem(error: Any) -> Problem:
    location = [part for part in error["loc"] if not str(part).startswith("function-")]
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif error["type"] == "missing":
        message = "required field is missing"
    return Problem(path=json_path(*location), message=message)


def _missing_files(workflow: Workflow, exists: Callable[[str], bool]) -> list[Problem]:
    problems = []
    for name, file in workflow.roles.items():
        if path_problem(file) is None and not exists(file):
            problems.append(
                Problem(path=json_path("roles", name), message=f"role file {file!r} does not exist")
            )
    for index, job in enumerate(workflow.jobs):
        if job.prompt and path_problem(job.prompt) is None and not exists(job.prompt):
            problems.append(
                Problem(
                    path=json_path("jobs", index, "prompt"),
                    message=f"prompt file {job.prompt!r} does not exist",
                )
            )
    return problems
