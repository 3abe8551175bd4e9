"""What a door on the caller's machine needs of a verb to call it: the light description.

The CLI's fast path builds these from its generated index (`striatum.cli.verb_index`) rather
than importing the verb catalog, whose modules cost more than the rest of a call's start-up;
`invoke` and `local_params` take one of these or a catalog `Verb` alike (the same field names).
No imports: this module is on the start path of every `striatum` verb call.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from striatum.model.verb_spec import Param, Verb

# A row of the generated index: (name, type, required, choices, positional, path, local).
ParamRow = tuple[str, str, bool, tuple[str, ...] | None, bool, bool, bool]
# (name, params, before, after, verdict)
VerbRow = tuple[str, tuple[ParamRow, ...], str | None, str | None, bool]


class CallParam:
    """A parameter as the CLI parses and sends it (the fields of `Param` it reads)."""

    __slots__ = ("choices", "local", "name", "path", "positional", "required", "type")

    def __init__(self, row: ParamRow) -> None:
        self.name, self.type, self.required, self.choices = row[:4]
        self.positional, self.path, self.local = row[4:]


class CallSpec:
    """A verb as a door calls it (the fields of `Verb` that `invoke` and the parser read)."""

    __slots__ = ("after", "before", "name", "params", "verdict")

    def __init__(self, row: VerbRow) -> None:
        self.name, rows, self.before, self.after, self.verdict = row
        self.params = tuple(CallParam(param) for param in rows)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


def param_row(param: Param) -> ParamRow:
    """The index row of a catalog parameter (what `CallParam` is built from)."""
    return (
        param.name,
        param.type,
        param.required,
        param.choices,
        param.positional,
        param.path,
        param.local,
    )


def verb_row(verb: Verb) -> VerbRow:
    """The index row of a catalog verb (what `CallSpec` is built from)."""
    return (
        verb.name,
        tuple(param_row(p) for p in verb.params),
        verb.before,
        verb.after,
        verb.verdict,
    )
