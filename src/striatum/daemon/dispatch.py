"""One request, one transaction: authenticate, authorize, validate, handle, audit.

The handler runs in the request's transaction, with no savepoint (one would cost two round
trips on every request). A served request appends exactly one audit row in that transaction,
last (so every transaction takes chain-head locks in the same order: event chains first, the
audit chain last), and then it commits. A denied or failed request is rolled back whole and
its one audit row appended in a transaction of its own.

Only then, outside the transaction and with its connection given back, does the dispatcher
do what the handler recorded for after commit (`Context.after_commit`: a merge, a file
written) and deliver its notices, once. A retried attempt's `Context` is dropped with it, and
a failed handler's actions with its rollback, so nothing outside the database ever happens
for work that did not commit. When an action fails the caller gets its error, marked
`committed: true` in its details: the database change stands, the error says how to finish.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

from striatum import errors
from striatum.client.envelope import Request
from striatum.daemon import noise
from striatum.daemon.resume import Resumer
from striatum.engine import notify
from striatum.engine.context import Caller, Context, DaemonInfo
from striatum.model import roles
from striatum.model import tokens as token_rules
from striatum.model.verb_spec import Verb
from striatum.store import chains, tokens
from striatum.store import connection as db
from striatum.store.pool import Pool
from striatum.verbs.catalog import BY_NAME

log = logging.getLogger("striatumd")
Handler = Callable[[Context, dict[str, Any]], Any]
LONG_POLL = frozenset({"events.wait"})  # the server waits for news before serving these


class Dispatcher:
    def __init__(self, pool: Pool, daemon: DaemonInfo) -> None:
        self._pool = pool
        self._daemon = daemon
        self._handlers: dict[str, Handler] = {}
        self._resumer = Resumer(pool, daemon)

    def serve(self, request: Request) -> Any:
        """The verb's result, or the StriatumError to send back (already audited).

        What the handler recorded for after commit runs only once the transaction committed.
        """
        with self._pool.connection() as conn:
            try:
                outcome, done = db.in_transaction(conn, lambda c: self._serve(c, request))
            except _Refused as refused:  # rolled back: nothing but its audit row remains
                _audited(conn, functools.partial(refused.audit, request=request))
                return refused.error
            except _Unauditable as unauditable:
                db.in_transaction(conn, unauditable.record)
                return unauditable.answer
        failure = run_after_commit(request.method, done)
        return outcome if failure is None else failure

    def sweep(self) -> int:
        """Expire silent leases (the daemon's timer), then resume runs whose supervisor is
        gone (`daemon.resume`); returns how many leases were recovered."""
        from striatum.verbs.recovery import repairs

        caller = Caller(token_id="sweep", role=roles.Role.OPERATOR)
        with self._pool.connection() as conn:

            def work(c: db.Conn) -> tuple[int, Context]:
                ctx = Context(conn=c, caller=caller, daemon=self._daemon)
                return len(repairs.sweep(ctx, {"limit": 100})["recovered"]), ctx

            count, done = db.in_transaction(conn, work)
        run_after_commit("sweep", done)
        self._resumer.sweep()  # this host's supervised runs whose supervisor is gone
        return count

    def has_news(self, request: Request) -> bool:
        """For a long poll: whether to answer at once. Any refusal answers at once too, so
        `serve` audits it; this peek itself appends nothing and holds its connection briefly.
        """
        from striatum.verbs.views import live

        try:
            with self._pool.connection() as conn:

                def peek(c: db.Conn) -> bool:
                    authorize(authenticate(c, request.token), lookup(request.method))
                    params = lookup(request.method).validate(request.params)
                    live.check(params)
                    return live.has_news(c, params)

                return db.in_transaction(conn, peek)
        except errors.StriatumError:
            return True

    def refuse(self, request: Request, error: errors.StriatumError) -> errors.StriatumError:
        """Audit a request refused unserved (`busy`), naming its caller when the token is
        good; the error is what the caller gets."""

        def record(c: db.Conn) -> None:
            try:
                caller: Caller | None = authenticate(c, request.token)
            except errors.Retryable:
                raise
            except errors.StriatumError:
                caller = None
            _audit(c, request.id, request.method, caller, {}, error)

        with self._pool.connection() as conn:
            _audited(conn, record)
        return error

    def audit_noise(self, params: dict[str, Any]) -> None:
        """One audit row for a period's frames that never became requests (`daemon.noise`)."""
        error = errors.ProtocolError(f"{params['count']} frame(s) or connection(s) refused")
        with self._pool.connection() as conn:
            _audited(conn, lambda c: _audit(c, "-", noise.METHOD, None, params, error))

    def _serve(self, conn: db.Conn, request: Request) -> tuple[Any, Context]:
        """One attempt at the request: the outcome, and the Context whose recorded actions
        are owed once it commits. A refusal or failure raises `_Refused`: its transaction
        rolls back whole (no savepoint on the way of every request), and `serve` audits it
        in a transaction of its own."""
        caller: Caller | None = None
        params: dict[str, Any] = {}
        try:
            caller = authenticate(conn, request.token)
            verb = lookup(request.method)
            authorize(caller, verb)
            params = verb.validate(request.params)
            ctx = Context(conn=conn, caller=caller, daemon=self._daemon)
            result = self._handler(verb)(ctx, params)
        except errors.Retryable:
            raise  # the whole transaction is retried, audit row included
        except errors.StriatumError as error:
            raise _Refused(error, caller, params) from None
        except Exception as error:  # a bug: log it, tell the caller one line, audit it
            log.exception("handler for %s failed", request.method)
            failure = errors.StriatumError(
                f"internal error in {request.method}: {type(error).__name__}"
            )
            raise _Refused(failure, caller, params) from None
        _audit(conn, request.id, request.method, caller, params, None)
        return result, ctx

    def _handler(self, verb: Verb) -> Handler:
        if verb.name not in self._handlers:
            module_name, function = verb.handler.split(":")
            self._handlers[verb.name] = getattr(importlib.import_module(module_name), function)
        return self._handlers[verb.name]


class _Refused(Exception):
    """A request refused or failed: what its audit row records, and what its caller gets."""

    def __init__(
        self, error: errors.StriatumError, caller: Caller | None, params: dict[str, Any]
    ) -> None:
        super().__init__(error.message)
        self.error, self.caller, self.params = error, caller, params

    def audit(self, conn: db.Conn, request: Request) -> None:
        _audit(conn, request.id, request.method, self.caller, self.params, self.error)


def run_after_commit(method: str, done: Context | None) -> errors.StriatumError | None:
    """Run a committed transaction's recorded actions, in order, then deliver its notices;
    the first action's failure (the others still run: each brings the world in line with
    what was committed), or None."""
    if done is None:
        return None
    failure: errors.StriatumError | None = None
    for action in done.actions:
        try:
            action()
        except errors.StriatumError as error:
            log.warning("after %s committed: %s", method, error.message)
            failure = failure or error
        except Exception as error:  # a bug: the log gets the traceback
            log.exception("after %s committed, an action failed", method)
            failure = failure or errors.StriatumError(
                f"internal error after {method} committed: {type(error).__name__}"
            )
    notify.deliver(done.notices)
    if failure is not None:
        failure.details["committed"] = True
    return failure


def authenticate(conn: db.Conn, secret: str | None) -> Caller:
    if not secret:
        raise errors.TokenMissing(
            hint="set STRIATUM_TOKEN, or run `striatum daemon start` so the token files exist"
        )
    stored, now = tokens.find_for_request(conn, token_rules.digest(secret))
    record = token_rules.accept(None if stored is None else stored.record(), now)
    return Caller(
        token_id=record.token_id,
        role=record.role,
        lease_id=None if stored is None else stored.lease_id,
    )


def lookup(method: str) -> Verb:
    verb = BY_NAME.get(method)
    if verb is None:
        raise errors.UsageError(f"unknown method {method!r}", method=method)
    return verb


def authorize(caller: Caller, verb: Verb) -> None:
    if roles.allows(caller.role, verb.capability):
        return
    holders = ", ".join(r.value for r in roles.holders(verb.capability))
    raise errors.PermissionDenied(
        f"{verb.name} needs capability {verb.capability.value!r}, which role "
        f"{caller.role.value!r} lacks (held by: {holders})",
        capability=verb.capability.value,
        role=caller.role.value,
    )


def _audit(
    conn: db.Conn,
    request_id: str,
    method: str,
    caller: Caller | None,
    params: dict[str, Any],
    error: errors.StriatumError | None,
) -> None:
    """Append the request's audit row; if its content cannot be recorded, record that instead.

    The envelope and the params validation already refuse text that cannot be stored, so the
    fallback is a last line of defence: a request must never go unaudited. Content Python
    cannot encode is caught before anything is sent, and the stand-in joins the same
    transaction; a row the database refuses aborts the transaction (no savepoint on the way
    of every request), so `_Unauditable` rolls the request back and `serve` records the
    stand-in on its own.
    """
    actor = caller.token_id if caller else "anonymous"
    role = caller.role.value if caller else "none"
    code = None if error is None else error.code
    try:
        chains.append_audit(
            conn,
            request_id=request_id,
            method=method[:200],
            actor=actor,
            role=role,
            ok=error is None,
            error_code=code,
            params=_auditable(params),
        )
    except errors.Retryable:
        raise
    except ValueError:
        log.warning(
            "audit row for %r could not be recorded as sent; recording a stand-in", method[:50]
        )
        _stand_in(conn, actor, role, error)
    except errors.StriatumError as refused:
        raise _Unauditable(refused, actor, role, error) from None


def _audited(conn: db.Conn, work: Callable[[db.Conn], None]) -> None:
    """Run `work`, which appends an audit row, in a transaction; if the database refuses the
    row, record the stand-in instead."""
    try:
        db.in_transaction(conn, work)
    except _Unauditable as unauditable:
        db.in_transaction(conn, unauditable.record)


def _stand_in(conn: db.Conn, actor: str, role: str, error: errors.StriatumError | None) -> None:
    chains.append_audit(
        conn,
        request_id="-",
        method="(unrecordable)",
        actor=actor,
        role=role,
        ok=error is None,
        error_code=None if error is None else error.code,
        params={},
    )


class _Unauditable(Exception):
    """The database refused a request's audit row: the request is rolled back, and a stand-in
    row recorded in a transaction of its own."""

    def __init__(
        self,
        refused: errors.StriatumError,
        actor: str,
        role: str,
        error: errors.StriatumError | None,
    ) -> None:
        super().__init__(refused.message)
        self.refused, self.actor, self.role, self.error = refused, actor, role, error

    def record(self, conn: db.Conn) -> None:
        log.warning("audit row refused by the database (%s); recording a stand-in", self)
        _stand_in(conn, self.actor, self.role, self.error)

    @property
    def answer(self) -> errors.StriatumError:
        return errors.StriatumError(
            f"the request could not be audited, so nothing was done: {self.refused.message}"
        )


def _auditable(params: dict[str, Any]) -> dict[str, Any]:
    """Validated params only (raw ones may be anything); long strings are cut."""
    return {k: (v[:500] if isinstance(v, str) else v) for k, v in params.items()}
