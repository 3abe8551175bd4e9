"""Redaction: secret-looking values, the user's home and name, and a repository's own patterns.

Every match is replaced by `[REDACTED:<rule>]` and counted per rule. Pure: the patterns come in,
redacted text and counts come out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BUILTIN: dict[str, str] = {
    # To its END line, or to the end of the text when it was cut off.
    "private_key": r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    "authorization_header": r"(?i)[\"']?authorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer|basic|token)?\s*[^\s\"',;]+",
    "anthropic_key": r"sk-ant-[A-Za-z0-9_\-]{16,}",
    "openai_key": r"sk-(?:proj-)?[A-Za-z0-9_\-]{20,}",
    "github_token": r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,})",
    "aws_access_key": r"(?:AKIA|ASIA)[A-Z0-9]{16}",
    "google_api_key": r"AIza[0-9A-Za-z_\-]{35}",
    "slack_token": r"xox[abprs]-[A-Za-z0-9\-]{10,}",
    "striatum_token": r"stm_[A-Za-z0-9_\-]{20,}",
    "secret_assignment": r"(?i)\b[A-Z0-9_]*(?:KEY|SECRET|TOKEN|PASSWORD)[A-Z0-9_]*\s*=\s*"
    r"(?:\"[^\"]*\"|'[^']*'|[^\s\"']+)",
}


@dataclass
class Redactor:
    rules: dict[str, re.Pattern[str]]
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, *, home: str | None, user: str | None, extra: list[str]) -> Redactor:
        rules = {name: re.compile(pattern) for name, pattern in BUILTIN.items()}
        if home and len(home) > 1:  # the home directory, not /rootfs for a home of /root
            rules["home_path"] = re.compile(re.escape(home.rstrip("/")) + r"(?=/|\b|$)")
        if user and len(user) > 2:
            rules["username"] = re.compile(rf"(?<![\w-]){re.escape(user)}(?![\w-])")
        for index, pattern in enumerate(extra, start=1):
            rules[f"repo_pattern_{index}"] = re.compile(pattern)
        return cls(rules=rules)

    def text(self, value: str) -> str:
        for name, pattern in self.rules.items():
            value, found = pattern.subn(f"[REDACTED:{name}]", value)
            if found:
                self.counts[name] += found
        return value

    def value(self, data: Any) -> Any:
        """Redact every string inside a JSON value (keys included)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self.value(item) for item in data]
        if isinstance(data, dict):
            return {self.text(k): self.value(v) for k, v in data.items()}
        return data


def repo_patterns(text: str) -> list[str]:
    """The patterns of a `.striatum-redact` file: one regular expression a line, # comments."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            if re.compile(line).fullmatch(""):
                raise ValueError(f"pattern {line!r} matches the empty string")
            found.append(line)
    return found
