"""Which ids a command line names: its positional arguments and their --flag spellings.

A verb's subject ids (the run, then the job; or the blocker, the lease, the artifact) are
positional arguments, and each also keeps its flag (`--run-id`), so scripts written for the
flags keep working. Values given positionally fill the params no flag named, in order; when
there are fewer values than such params, the optional ones give way first (so `why ID` and
`why RUN JOB` both read as meant). A param given both ways must be given the same value.

Pure and import-free: the click commands and the fast path (which must stay light) both use it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Protocol

    class Slot(Protocol):
        """A positional param as `Param` and `CallParam` both describe it."""

        @property
        def name(self) -> str: ...

        @property
        def required(self) -> bool: ...


def flag(name: str) -> str:
    """The --flag spelling of a param."""
    return "--" + name.replace("_", "-")


def metavar(name: str) -> str:
    """How usage lines and messages name a positional param."""
    return name.upper()


def assign(
    slots: Sequence[Slot], values: list[Any], flagged: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """(the params named, positionally or by flag; None, or why the line is wrong).

    `slots` are the positional params in declared order, `values` what the line gave
    positionally, `flagged` the positional params it gave by flag."""
    if len(values) > len(slots):
        return {}, f"got unexpected extra argument ({values[len(slots)]})"
    free = [slot for slot in slots if slot.name not in flagged]
    targets = _targets(free if len(values) <= len(free) else slots, len(values))
    named = dict(flagged)
    for slot, value in zip(targets, values, strict=True):
        if slot.name in named and named[slot.name] != value:
            return named, (
                f"{metavar(slot.name)} given twice: {value} and {flag(slot.name)} "
                f"{named[slot.name]}; give it once"
            )
        named[slot.name] = value
    return named, None


def _targets(slots: Sequence[Slot], count: int) -> list[Slot]:
    """The `count` slots values go to: optional ones give way, leftmost first."""
    chosen = list(slots)
    for slot in slots:
        if len(chosen) <= count:
            break
        if not slot.required:
            chosen.remove(slot)
    return chosen[:count]
