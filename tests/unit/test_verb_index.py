"""The fast path's verb index is the catalog, and what it builds reads as the catalog's verbs.

The CLI's fast path parses and sends verb calls from `striatum.cli.verb_index` (generated)
instead of importing the catalog; a stale index would parse or send what click would not.
"""

from __future__ import annotations

import pytest

from striatum import errors
from striatum.cli import verb_index, verb_index_writer
from striatum.client import invoke
from striatum.client.call_spec import CallSpec, verb_row
from striatum.model.verb_spec import Verb
from striatum.verbs.catalog import VERBS


def test_the_verb_index_is_the_catalog() -> None:
    assert verb_index_writer.rows() == verb_index.VERBS, (
        "src/striatum/cli/verb_index.py is stale: run `make docs`"
    )


@pytest.mark.parametrize("verb", VERBS, ids=lambda verb: verb.name)
def test_a_call_spec_reads_as_its_verb(verb: Verb) -> None:
    """Every field the parser, `invoke` and `local_params` read, under the same name."""
    spec = CallSpec(verb_row(verb))
    assert (spec.name, spec.words, spec.before, spec.after, spec.verdict) == (
        verb.name,
        verb.words,
        verb.before,
        verb.after,
        verb.verdict,
    )
    fields = ("name", "type", "required", "choices", "positional", "path", "local")
    assert [tuple(getattr(p, f) for f in fields) for p in spec.params] == [
        tuple(getattr(p, f) for f in fields) for p in verb.params
    ]


def test_the_rendered_index_loads_as_the_rows() -> None:
    """What `make docs` writes (before formatting) is Python that holds exactly the rows."""
    namespace: dict[str, object] = {}
    exec(compile(verb_index_writer.render(), "verb_index.py", "exec"), namespace)
    assert namespace["VERBS"] == verb_index_writer.rows()


def test_the_restated_success_status_is_the_tables() -> None:
    assert invoke.EXIT_OK == errors.EXIT_OK
