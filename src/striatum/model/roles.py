"""Roles and what each may do. Role, not interface, decides what a caller may do."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PRINCIPAL = "principal"  # the human: everything, incl. checkpoints, escalations, overrides
    OPERATOR = "operator"  # an AI operator: drives runs, claims, publishes, reviews
    LANE = "lane"  # one agent process: only its own leased job, while the lease lives
    READER = "reader"  # read-only views


class Capability(enum.StrEnum):
    READ = "read"  # status, lists, history
    DRIVE = "drive"  # prepare/start/pause runs, claim and complete work
    WORK = "work"  # act on one's own leased job
    DECIDE = "decide"  # checkpoints, escalations, verdict overrides
    ADMINISTER = "administer"  # tokens and daemon administration


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.PRINCIPAL: frozenset(Capability),
    Role.OPERATOR: frozenset({Capability.READ, Capability.DRIVE, Capability.WORK}),
    Role.LANE: frozenset({Capability.READ, Capability.WORK}),
    Role.READER: frozenset({Capability.READ}),
}


def allows(role: Role, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES[role]


def holders(capability: Capability) -> list[Role]:
    """The roles that hold `capability`, for naming them in a denial."""
    return [role for role in Role if capability in ROLE_CAPABILITIES[role]]
