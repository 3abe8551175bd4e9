"""What every row type shares: its plain form, the one a verb puts on the wire."""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Row:
    """A base for the store's frozen row dataclasses."""

    def to_dict(self, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The row as JSON-ready values: enums as their values, tuples as lists. `keys` picks
        some columns, in that order (a view's wire shape); by default every field, in order."""
        names = keys or tuple(f.name for f in dataclasses.fields(cast("DataclassInstance", self)))
        return {name: _plain(getattr(self, name)) for name in names}


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value
