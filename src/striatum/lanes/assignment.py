"""A claimed job as the supervisor runs it: its work packet, read once into typed values."""

from __future__ import annotations

from dataclasses import dataclass

from striatum.model.packet import LaneSpec, WorkPacket


@dataclass(frozen=True, kw_only=True)
class Assignment:
    job_id: str
    lane_name: str
    attempt: int
    lease_id: str
    ttl_s: int
    token: str  # the lease's lane token: the agent's only credential
    prompt: str
    outputs: tuple[str, ...]  # where this attempt writes its expected artifacts
    write_scope: tuple[str, ...]
    forbidden: tuple[str, ...]
    lane: LaneSpec  # every field of the workflow's lane, defaults included
    workflow_dir: str | None
    artifact_root: str

    @classmethod
    def from_packet(cls, packet: WorkPacket) -> Assignment:
        job, lease = packet["job"], packet["lease"]
        return cls(
            job_id=job["job_id"],
            lane_name=job["lane"] or "",
            attempt=job["attempt"],
            lease_id=lease["lease_id"],
            ttl_s=lease["ttl_s"],
            token=packet["token"],
            prompt=packet["prompt"],
            outputs=tuple(e["path"] for e in packet["expected_artifacts"]),
            write_scope=tuple(packet["write_scope"]),
            forbidden=tuple(packet["forbidden_paths"]),
            lane=packet["lane_spec"],
            workflow_dir=packet["workflow_dir"],
            artifact_root=packet["artifact_root"],
        )

    @property
    def output(self) -> str:
        """The first expected artifact ("" when none): `{output}` and $STRIATUM_OUTPUT."""
        return self.outputs[0] if self.outputs else ""
