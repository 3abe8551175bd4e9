"""The evidence bundle: a redacted, verifiable export of runs.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

VERBS: tuple[Verb, ...] = (
    Verb(
        name="corpus.export",
        summary="Write a redacted, verifiable bundle of a run (or of the repository's runs).",
        capability=Capability.ADMINISTER,
        writes=True,
        long_running=True,
        handler="striatum.verbs.corpus.export:export",
        params=(
            params.run_id(required=False),
            params.repo(),
            Param(
                name="out",
                type="string",
                required=True,
                path=True,
                max_length=1000,
                help="A new (or empty) directory for the bundle.",
            ),
            Param(
                name="include_content",
                type="boolean",
                default=False,
                help="Also export artifact contents, prompts and agent logs (redacted).",
            ),
        ),
    ),
)
