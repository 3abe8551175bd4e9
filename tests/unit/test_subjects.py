"""How a command line's ids land on a verb's positional params (cli/subjects.py)."""

from __future__ import annotations

from typing import Any

import pytest

from striatum.cli import subjects
from striatum.model.verb_spec import Param

RUN = Param(name="run_id", type="string", help="", required=True, positional=True)
JOB = Param(name="job", type="string", help="", required=True, positional=True)
OPTIONAL_RUN = RUN._replace(required=False)
ID = Param(name="id", type="string", help="", required=True, positional=True)


@pytest.mark.parametrize(
    ("slots", "values", "flagged", "named"),
    [
        ([RUN, JOB], ["r", "j"], {}, {"run_id": "r", "job": "j"}),
        ([RUN, JOB], ["j"], {"run_id": "r"}, {"run_id": "r", "job": "j"}),
        ([RUN, JOB], ["r"], {"job": "j"}, {"run_id": "r", "job": "j"}),
        ([RUN, JOB], ["r", "j"], {"run_id": "r"}, {"run_id": "r", "job": "j"}),
        ([RUN, JOB], ["r"], {}, {"run_id": "r"}),  # the job is then missing: click says so
        ([OPTIONAL_RUN, ID], ["x"], {}, {"id": "x"}),  # `why ID`: the optional run gives way
        ([OPTIONAL_RUN, ID], ["r", "x"], {}, {"run_id": "r", "id": "x"}),  # `why RUN JOB`
        ([OPTIONAL_RUN, ID], ["x"], {"run_id": "r"}, {"run_id": "r", "id": "x"}),
        ([OPTIONAL_RUN], [], {}, {}),
    ],
)
def test_ids_fill_the_params_no_flag_named_optional_ones_last(
    slots: list[Param], values: list[str], flagged: dict[str, Any], named: dict[str, Any]
) -> None:
    assert subjects.assign(slots, values, flagged) == (named, None)


@pytest.mark.parametrize(
    ("slots", "values", "flagged", "problem"),
    [
        ([RUN], ["a"], {"run_id": "b"}, "RUN_ID given twice: a and --run-id b"),
        ([RUN, JOB], ["r", "j"], {"job": "k"}, "JOB given twice: j and --job k"),
        ([OPTIONAL_RUN, ID], ["x"], {"run_id": "r", "id": "y"}, "ID given twice"),
        ([RUN], ["a", "b"], {}, "unexpected extra argument (b)"),
    ],
)
def test_an_id_given_twice_differently_or_one_too_many_is_refused(
    slots: list[Param], values: list[str], flagged: dict[str, Any], problem: str
) -> None:
    _, found = subjects.assign(slots, values, flagged)
    assert found is not None and problem in found
