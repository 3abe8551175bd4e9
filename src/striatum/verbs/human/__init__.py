"""What only the human decides: escalations, checkpoints (and agents asking for them).

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

VERBS: tuple[Verb, ...] = (
    Verb(
        name="block",
        summary="Stop and ask the human (an escalation).",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.human.decisions:block",
        params=(
            params.lease(),
            params.reason("What the human must decide."),
        ),
    ),
    Verb(
        name="escalation.list",
        summary="List escalations.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.human.decisions:list_",
        params=(
            params.run_id(required=False),
            Param(name="all", type="boolean", default=False, help="Include resolved ones."),
        ),
    ),
    Verb(
        name="escalation.show",
        summary="Show an escalation, its history and its outcomes.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.human.decisions:show",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The blocker (blk_...).",
            ),
        ),
    ),
    Verb(
        name="escalation.resolve",
        summary="Resolve an escalation.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.human.decisions:resolve",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The blocker (blk_...).",
            ),
            Param(
                name="outcome",
                type="string",
                required=True,
                choices=("retry", "fail", "accept", "revise"),
                help="retry|fail for blocked jobs; accept|revise|fail for gates.",
            ),
            Param(name="note", type="string", max_length=2000, help="Why."),
        ),
    ),
    Verb(
        name="checkpoint.decide",
        summary="Decide a checkpoint (the human only).",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.human.decisions:decide_checkpoint",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The checkpoint's blocker (blk_...).",
            ),
            Param(
                name="choice",
                type="string",
                required=True,
                max_length=64,
                help="One of the checkpoint's choices.",
            ),
            Param(name="note", type="string", max_length=2000, help="Why."),
        ),
    ),
)
