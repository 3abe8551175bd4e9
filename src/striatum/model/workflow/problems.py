"""What validation reports: each problem names the JSON path of the field at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from striatum.model.json_paths import json_path

__all__ = ["Problem", "json_path"]


@dataclass(frozen=True, kw_only=True)
class Problem:
    path: str  # JSON path, e.g. $.jobs[2].depends_on[0]
    message: str
    severity: Literal["error", "warning"] = "error"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "severity": self.severity}

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"
