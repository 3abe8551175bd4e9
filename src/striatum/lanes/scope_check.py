"""Which of an attempt's changes it was not allowed to make (pure).

An attempt may change files inside its code write scopes; files under the artifact root are
published (only the declared outputs are copied into the repository), so scribbles there are
harmless. Paths inside another running job's scope belong to that job. A forbidden path is
refused even inside the scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from striatum.model.workflow.paths import within


@dataclass(frozen=True, kw_only=True)
class Violations:
    outside: list[str]  # changed outside the attempt's scopes
    forbidden: list[str]  # changed inside a forbidden path

    @property
    def paths(self) -> list[str]:
        return sorted({*self.outside, *self.forbidden})

    def reason(self, scopes: list[str]) -> str | None:
        """The failure reason, naming the paths, or None when there is nothing to say."""
        said = []
        if self.outside:
            said.append(
                f"changed {_list(self.outside)} outside its write scope "
                f"({', '.join(scopes) or 'none for code'})"
            )
        if self.forbidden:
            said.append(f"changed forbidden path(s) {_list(self.forbidden)}")
        if not said:
            return None
        return "; ".join(said) + "; those changes were discarded"


def check(
    changed: Iterable[str],
    *,
    scopes: list[str],
    artifact_root: str,
    others: list[str],
    forbidden: list[str],
) -> Violations:
    changed = sorted(set(changed))
    allowed = [*scopes, artifact_root, *others]
    return Violations(
        outside=[p for p in changed if not any(within(p, s) for s in allowed)],
        forbidden=[p for p in changed if any(within(p, f) for f in forbidden)],
    )


def _list(paths: list[str], limit: int = 10) -> str:
    shown = ", ".join(map(_printable, paths[:limit]))
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _printable(path: str) -> str:
    """A name git gave with bytes that are not UTF-8 (kept as surrogates), as `\\xff`."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
