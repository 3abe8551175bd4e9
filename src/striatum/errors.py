"""One exception root, stable codes, and the one table mapping codes to exit codes.

Every error a user can see is a `StriatumError` subclass. Its `code` is part of the public
contract (wire errors and `--json` output carry it); `EXIT_CODES` maps it to the process exit
status documented in docs/SPEC.md. The class docstring is the default message.
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2

# code -> exit status. Changing a number is a breaking change.
EXIT_CODES: dict[str, int] = {
    "internal": EXIT_INTERNAL,
    "usage": EXIT_USAGE,
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
        return EXIT_CODES[self.code]

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


class StorageError(StriatumError):
    """A file could not be written (disk full, read-only file system, permissions)."""

    code = "storage"


class AgentUnavailable(StriatumError):
    """An agent CLI a lane needs is not on PATH or does not start."""

    code = "agent_unavailable"
