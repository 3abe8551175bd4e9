"""One exception root, stable codes, and the one table mapping each code to every door.

Every error a user can see is a `StriatumError` subclass. Its `code` is part of the public
contract (wire errors and `--json` output carry it). `CODES` is the only place a code becomes a
number: the process exit status (CLI), the HTTP status (web UI, MCP over HTTP) and the JSON-RPC
error code (MCP resource reads); docs/CLI_REFERENCE.md and docs/SPEC.md §2 print it. The class
docstring is the default message.

Standard library only: the CLI's fast path imports this module.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

# JSON-RPC 2.0 error codes (and MCP's resource-not-found), named here so this module stays
# free of the MCP SDK; tests/unit/test_error_table.py checks them against the SDK's constants.
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_INTERNAL_ERROR = -32603
MCP_RESOURCE_NOT_FOUND = -32002  # MCP 2025-06-18 / 2025-11-25, server/resources


class Code(NamedTuple):
    """One row of the error table: how every door reports one error code."""

    exit: int  # the process exit status
    http: int  # the HTTP status
    jsonrpc: int  # the JSON-RPC error code, where a door must answer with one
    meaning: str  # one line, as the docs print it


_INVALID, _INTERNAL = JSONRPC_INVALID_PARAMS, JSONRPC_INTERNAL_ERROR

# code -> its row. Changing a number is a breaking change.
CODES: dict[str, Code] = {
    "internal": Code(1, 500, _INTERNAL, "a bug; reported in one line, never as a traceback"),
    "usage": Code(2, 400, _INVALID, "wrong arguments or a malformed option value"),
    "validation": Code(3, 400, _INVALID, "invalid input (workflow, parameters)"),
    "not_found": Code(4, 404, MCP_RESOURCE_NOT_FOUND, "no such object"),
    "conflict": Code(
        5,
        409,
        _INTERNAL,
        "invalid transition or state conflict; the exit status is reused by `supervise` (the run"
        " did not succeed) and by `doctor` (a skills bundle to reinstall)",
    ),
    "permission_denied": Code(6, 403, _INTERNAL, "the caller's role lacks the capability"),
    "daemon_unreachable": Code(7, 503, _INTERNAL, "the daemon is not answering"),
    "integrity": Code(
        8, 500, _INTERNAL, "a hash chain, an anchor or an append-only guarantee does not hold"
    ),
    "database_unavailable": Code(9, 503, _INTERNAL, "PostgreSQL cannot be reached or started"),
    "database_unsupported": Code(10, 503, _INTERNAL, "PostgreSQL older than 14"),
    "migration": Code(
        11,
        503,
        _INTERNAL,
        "migrations pending (doctor without `--apply-migrations`), edited, or unknown",
    ),
    "token_missing": Code(12, 401, _INTERNAL, "the request carried no token"),
    "token_invalid": Code(13, 401, _INTERNAL, "the token is not one this database issued"),
    "token_revoked": Code(14, 401, _INTERNAL, "the token was revoked"),
    "token_expired": Code(15, 401, _INTERNAL, "the token has expired"),
    "protocol": Code(16, 400, _INVALID, "the frame is not a valid envelope v1 request"),
    "storage": Code(
        17,
        507,
        _INTERNAL,
        "a file could not be written (disk full, read-only file system, permissions);"
        " nothing half-written is left",
    ),
    "agent_unavailable": Code(
        18,
        503,
        _INTERNAL,
        "an agent CLI a lane needs is not on PATH or does not start (`run start` when it would"
        " supervise the run; `doctor`'s agents plane)",
    ),
    "busy": Code(
        19,
        429,
        _INTERNAL,
        "the daemon refused the request unserved: too many of this token's requests in flight,"
        " or too many connections; retry shortly",
    ),
}

# code -> exit status: a view of CODES, for callers that only need the number.
EXIT_CODES: dict[str, int] = {code: row.exit for code, row in CODES.items()}

# Exit statuses that are not an error code's, and the ones reused for a second meaning.
EXIT_OK = 0
EXIT_INTERNAL = CODES["internal"].exit
EXIT_USAGE = CODES["usage"].exit
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports a process SIGINT ended
EXIT_RUN_NOT_SUCCEEDED = CODES["conflict"].exit  # `supervise`: the run ended otherwise
EXIT_WAITING_FOR_HUMAN = 20  # `striatum task` with no terminal: the run waits for a decision
OTHER_EXITS: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_WAITING_FOR_HUMAN: "waiting for the human: `striatum task` without a terminal stopped "
    "at a decision (a checkpoint, an escalation, a budget, landing) and printed the commands "
    "that make it",
    EXIT_INTERRUPTED: "interrupted by the user (Ctrl-C): 128 + SIGINT, as shells report it",
}


class StriatumError(Exception):
    """Something went wrong."""

    code: ClassVar[str] = "internal"

    def __init__(
        self, message: str | None = None, *, hint: str | None = None, **details: Any
    ) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        self.hint = hint
        self.details = details
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        return CODES[self.code].exit

    @property
    def http_status(self) -> int:
        return CODES[self.code].http

    @property
    def jsonrpc_code(self) -> int:
        return CODES[self.code].jsonrpc

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by every door: code, message, hint, details."""
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "details": self.details,
        }


class UsageError(StriatumError):
    """The command was called wrongly."""

    code = "usage"


class ValidationError(StriatumError):
    """The input is not valid."""

    code = "validation"


class NotFound(StriatumError):
    """No such object."""

    code = "not_found"


class Conflict(StriatumError):
    """The object is not in a state that allows this."""

    code = "conflict"


class SameProviderReview(Conflict):
    """A review may not be done by the provider that did the work it judges."""


class PermissionDenied(StriatumError):
    """The caller's role lacks the capability for this."""

    code = "permission_denied"


class DaemonUnreachable(StriatumError):
    """The daemon is not answering."""

    code = "daemon_unreachable"


class IntegrityFailure(StriatumError):
    """A hash chain or an append-only guarantee does not hold."""

    code = "integrity"


class DatabaseUnavailable(StriatumError):
    """PostgreSQL cannot be reached."""

    code = "database_unavailable"


class DatabaseUnsupported(StriatumError):
    """The PostgreSQL server is too old or misconfigured for Striatum."""

    code = "database_unsupported"


class MigrationError(StriatumError):
    """The database schema cannot be brought up to date safely."""

    code = "migration"


class Retryable(DatabaseUnavailable):
    """A transient database failure: the operation may be retried."""


class SerializationConflict(Retryable):
    """Two transactions collided; the loser may retry."""


class TokenMissing(StriatumError):
    """No token was presented."""

    code = "token_missing"


class TokenInvalid(StriatumError):
    """The token is not one this daemon issued."""

    code = "token_invalid"


class TokenRevoked(StriatumError):
    """The token has been revoked."""

    code = "token_revoked"


class TokenExpired(StriatumError):
    """The token has expired."""

    code = "token_expired"


class ProtocolError(StriatumError):
    """The request frame is not a valid envelope v1 request."""

    code = "protocol"


class StorageError(StriatumError):
    """A file could not be written (disk full, read-only file system, permissions)."""

    code = "storage"


class AgentUnavailable(StriatumError):
    """An agent CLI a lane needs is not on PATH or does not start."""

    code = "agent_unavailable"


class Busy(StriatumError):
    """The daemon is at a limit (this token's requests in flight, or connections); retry."""

    code = "busy"


def from_dict(shape: dict[str, Any]) -> StriatumError:
    """Rebuild an error received over the wire, as the class its code names."""
    code = shape.get("code", "internal")
    classes = {cls.code: cls for cls in _subclasses(StriatumError)}
    cls = classes.get(code, StriatumError)
    error = cls(str(shape.get("message") or cls.__doc__), hint=shape.get("hint"))
    error.details = dict(shape.get("details") or {})
    return error


def _subclasses(root: type[StriatumError]) -> list[type[StriatumError]]:
    found = [root]
    for child in root.__subclasses__():
        found += _subclasses(child)
    # Retryable subclasses share their parent's code; the first (the parent) wins.
    return list(reversed(found))
