"""The JSON Schema of workflow.json, generated from the models (schemas/workflow.v1.json).

`python -m striatum.model.workflow.json_schema > schemas/workflow.v1.json`; a test fails when
the committed file differs.
"""

from __future__ import annotations

import json
from typing import Any

from striatum.model.workflow.schema import Workflow

SCHEMA_ID = "urn:striatum:schema:workflow:v1"


def document() -> dict[str, Any]:
    schema = Workflow.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(text(), end="")
