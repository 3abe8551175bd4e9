"""How a verb is described: its name, parameters, capability and handler.

Pure data. The CLI, the RPC dispatch, the reference docs (and later MCP and the web UI) are
all generated from these descriptions, so none of them can drift from the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from striatum import errors
from striatum.model.roles import Capability

ParamType = Literal["string", "integer", "boolean"]
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}


# NamedTuples rather than dataclasses: the CLI's fast path imports this module, and
# dataclasses costs ~10 ms of imports (inspect) on every `striatum` invocation.
class Param(NamedTuple):
    name: str
    type: ParamType
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    positional: bool = False
    max_length: int = 4096
    path: bool = False  # a filesystem path: the CLI sends it absolute
    local: bool = False  # handled by the CLI itself, never sent to the daemon


class Verb(NamedTuple):
    name: str  # dotted: "token.create" is `striatum token create` and RPC method "token.create"
    summary: str
    capability: Capability
    writes: bool
    handler: str  # "module:function", imported only by the daemon
    params: tuple[Param, ...] = ()
    description: str = ""
    after: str | None = None  # "module:function" the CLI runs with the result (and locals)
    # "module:function" the CLI runs first (params, locals): raises to refuse, or answers
    # the params to send instead (None: send them as they are)
    before: str | None = None
    verdict: bool = False  # the result's `ok` is a verdict: false exits with the integrity code
    long_running: bool = False  # may take long: served apart, so it never delays liveness verbs

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))

    def validate(self, raw: Any) -> dict[str, Any]:
        """Check raw RPC params; every problem names the parameter."""
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise errors.ValidationError(f"{self.name}: params must be a JSON object")
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise errors.ValidationError(
                f"{self.name}: unknown parameter(s) {', '.join(map(str, unknown))}",
                parameters=unknown,
            )
        return {p.name: _check(self.name, p, raw.get(p.name)) for p in self.params}

    def json_schema(self, *, include_local: bool = False) -> dict[str, Any]:
        """The parameters as a JSON Schema object (for RPC, MCP tools and editors).

        Local params never reach the daemon; a door that runs on the caller's machine (the CLI,
        the MCP server) asks for them too."""
        properties: dict[str, Any] = {}
        for p in self.params:
            if p.local and not include_local:
                continue
            prop: dict[str, Any] = {"type": p.type, "description": p.help}
            if p.choices:
                prop["enum"] = list(p.choices)
            if p.type == "string":
                prop["maxLength"] = p.max_length
            properties[p.name] = prop
        return {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "required": [
                p.name for p in self.params if p.required and (include_local or not p.local)
            ],
        }


def _check(verb: str, param: Param, value: Any) -> Any:
    if value is None:
        if param.required:
            raise errors.ValidationError(
                f"{verb}: parameter {param.name!r} is required", parameter=param.name
            )
        return param.default
    expected = _PYTHON_TYPES[param.type]
    if not isinstance(value, expected) or (param.type == "integer" and isinstance(value, bool)):
        raise errors.ValidationError(
            f"{verb}: parameter {param.name!r} must be a {param.type}, not {type(value).__name__}",
            parameter=param.name,
        )
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        raise errors.ValidationError(
            f"{verb}: parameter {param.name!r} is out of range", parameter=param.name
        )
    if isinstance(value, str):
        if len(value) > param.max_length:
            raise errors.ValidationError(
                f"{verb}: parameter {param.name!r} is longer than {param.max_length} characters",
                parameter=param.name,
            )
        if "\x00" in value:
            raise errors.ValidationError(
                f"{verb}: parameter {param.name!r} contains a NUL", parameter=param.name
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise errors.ValidationError(
                f"{verb}: parameter {param.name!r} is not valid Unicode", parameter=param.name
            ) from None
    if param.path and isinstance(value, str) and not value.startswith("/"):
        # The daemon's working directory means nothing to a caller: doors send absolute paths.
        raise errors.ValidationError(
            f"{verb}: parameter {param.name!r} must be an absolute path", parameter=param.name
        )
    if param.choices and value not in param.choices:
        raise errors.ValidationError(
            f"{verb}: parameter {param.name!r} must be one of {', '.join(param.choices)}",
            parameter=param.name,
        )
    return value
