"""Tokens and the audit log: who may call, and what every call did.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb

VERBS: tuple[Verb, ...] = (
    Verb(
        name="token.create",
        summary="Create a token for a role; its secret is shown once.",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.access.tokens:create",
        params=(
            Param(
                name="role",
                type="string",
                required=True,
                choices=("principal", "operator", "reader"),
                help="Role of the new token (lane tokens are minted per lease).",
            ),
            Param(
                name="label",
                type="string",
                default="",
                max_length=200,
                help="A note saying who or what the token is for.",
            ),
            Param(
                name="expires",
                type="string",
                max_length=64,
                help="Expiry: a duration (30m, 12h, 7d, 2w) or an ISO timestamp.",
            ),
        ),
    ),
    Verb(
        name="token.list",
        summary="List tokens (never their secrets).",
        capability=Capability.ADMINISTER,
        writes=False,
        handler="striatum.verbs.access.tokens:list_",
        params=(
            Param(
                name="all",
                type="boolean",
                default=False,
                help="Include revoked and expired tokens.",
            ),
        ),
    ),
    Verb(
        name="token.revoke",
        summary="Revoke a token; it is refused from then on.",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.access.tokens:revoke",
        params=(
            Param(
                name="token_id",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The token's id (tok_...).",
            ),
        ),
    ),
    Verb(
        name="audit.list",
        summary="Show the latest audit rows: every request, allowed or denied.",
        capability=Capability.ADMINISTER,
        writes=False,
        long_running=True,
        handler="striatum.verbs.access.audit:list_",
        params=(
            Param(
                name="limit",
                type="integer",
                default=20,
                help="How many of the latest rows to show (at most 1000).",
            ),
        ),
    ),
)
