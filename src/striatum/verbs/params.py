"""Parameters several verb families share, built the same way everywhere."""

from __future__ import annotations

from striatum.model.verb_spec import Param


def repo() -> Param:
    return Param(
        name="repo",
        type="string",
        path=True,
        max_length=1000,
        help="Target repository (default: --repo, else the git root of the cwd).",
    )


def run_id(required: bool = True, *, subject: bool = True) -> Param:
    """The run; `subject`: the run the verb acts on, so the CLI takes it positionally too
    (`latest` there names the repository's newest run)."""
    return Param(
        name="run_id",
        type="string",
        required=required,
        positional=subject,
        max_length=64,
        help="The run (run_..., or latest).",
    )


def job(help_text: str = "The job.") -> Param:
    """The job a verb acts on, positional after its run."""
    return Param(
        name="job", type="string", required=True, positional=True, max_length=64, help=help_text
    )


def lease() -> Param:
    return Param(
        name="lease",
        type="string",
        required=True,
        positional=True,
        max_length=64,
        help="The lease (lease_...) from claim-next.",
    )


def reason(help_text: str) -> Param:
    """Why an attempt ends as it does (`fail`, `park`, `block`): free text, required."""
    return Param(name="reason", type="string", required=True, max_length=2000, help=help_text)


def ttl() -> Param:
    return Param(
        name="ttl_s",
        type="integer",
        help="Lease lifetime in seconds from now (default 120, at most 3600).",
    )
