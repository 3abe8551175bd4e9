"""List prices per million tokens, to estimate what an attempt cost when its CLI said nothing.

The shipped table (`prices.json`, beside this module) names the providers' pricing pages and
the date it was read; a file of the same shape (named by `STRIATUM_PRICES`, read by the
caller) replaces entries per model or family. Parsing and estimating are pure; `load` is the
only function that reads a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from striatum.model.usage import Usage

RATES = ("input", "cached_input", "output")  # dollars per million tokens of each kind
SECTIONS = ("models", "families")  # exact names; name prefixes (the longest one wins)


class PriceError(ValueError):
    """A price table that is not one; the message names the file and the entry at fault."""


@dataclass(frozen=True, kw_only=True)
class Price:
    input: float
    cached_input: float
    output: float

    def cost(self, usage: Usage) -> float:
        dollars = (
            (usage.input_tokens or 0) * self.input
            + (usage.cached_tokens or 0) * self.cached_input
            + (usage.output_tokens or 0) * self.output
        ) / 1_000_000
        return round(dollars, 6)  # a millionth of a dollar: below that is float noise


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    models: Mapping[str, Price] = field(default_factory=dict)
    families: Mapping[str, Price] = field(default_factory=dict)
    source: tuple[str, ...] = ()
    as_of: str | None = None

    def price_of(self, model: str) -> Price | None:
        """The model's own entry, else the longest family prefix of its name."""
        if model in self.models:
            return self.models[model]
        prefixes = [prefix for prefix in self.families if model.startswith(prefix)]
        return self.families[max(prefixes, key=len)] if prefixes else None

    def estimate(self, usage: Usage) -> Usage:
        """`usage` with an estimated cost when it counts input and output tokens, has no
        cost, and names a priced model; otherwise `usage` unchanged. Cached tokens left
        unknown are priced as none (most agents that cache say so)."""
        if usage.cost_usd is not None or usage.model is None:
            return usage
        if usage.input_tokens is None or usage.output_tokens is None:
            return usage
        price = self.price_of(usage.model)
        if price is None:
            return usage
        return replace(usage, cost_usd=price.cost(usage), cost_source="estimated")

    def overridden_by(self, other: PriceTable) -> PriceTable:
        """This table with `other`'s entries in place of its own, model by model."""
        return PriceTable(
            models={**self.models, **other.models},
            families={**self.families, **other.families},
            source=(*self.source, *other.source),
            as_of=other.as_of or self.as_of,
        )


def parse(data: Any, *, where: str) -> PriceTable:
    """A PriceTable from a decoded JSON document; PriceError naming `where` and the entry."""
    if not isinstance(data, dict):
        raise PriceError(f"{where}: a price table must be a JSON object")
    sections: dict[str, dict[str, Price]] = {}
    for section in SECTIONS:
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            raise PriceError(f"{where}: {section} must be an object of name -> prices")
        sections[section] = {
            name: _price(entry, f"{where}: {section}.{name}") for name, entry in entries.items()
        }
    source = data.get("source", [])
    source = [source] if isinstance(source, str) else source
    as_of = data.get("as_of")
    if not isinstance(source, list) or not all(isinstance(s, str) for s in source):
        raise PriceError(f"{where}: source must be a URL or a list of URLs")
    if as_of is not None and not isinstance(as_of, str):
        raise PriceError(f"{where}: as_of must be a date (YYYY-MM-DD)")
    return PriceTable(**sections, source=tuple(source), as_of=as_of)


def load(override_path: Path | None = None) -> PriceTable:
    """The shipped table, with the entries of the file at `override_path` (if given) in place
    of its own. PriceError when the override cannot be read or is malformed."""
    shipped = resources.files("striatum.model").joinpath("prices.json").read_text("utf-8")
    table = parse(json.loads(shipped), where="prices.json (shipped)")
    if override_path is None:
        return table
    try:
        override = json.loads(override_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise PriceError(f"{override_path}: cannot read a price table ({error})") from error
    return table.overridden_by(parse(override, where=str(override_path)))


def _price(entry: Any, where: str) -> Price:
    if not isinstance(entry, dict) or set(entry) != set(RATES):
        raise PriceError(f"{where} must be an object with exactly {', '.join(RATES)}")
    for rate in RATES:
        value = entry[rate]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PriceError(f"{where}.{rate} must be dollars per million tokens")
        if not math.isfinite(value) or not 0 <= value <= 10_000:
            raise PriceError(f"{where}.{rate} must be from 0 to 10000 dollars per million")
    return Price(**{rate: float(entry[rate]) for rate in RATES})
