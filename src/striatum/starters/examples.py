"""The examples: the six shapes with scripted command lanes and READMEs.

`python -m striatum.starters.examples examples` rewrites examples/ (`make docs`); a test fails
when the committed files differ from what this produces. `striatum examples copy` writes one
of them, self-contained (its own copy of the scripted agent and of the schema), from the
package itself, so a user's repository needs no clone of Striatum.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from striatum import errors
from striatum.starters.build import build, readme
from striatum.starters.shapes import SHAPES

AGENT = "{workflow_dir}/../agents/scripted_agent.py"
SCHEMA_REF = "../../schemas/workflow.v1.json"


def example_files() -> dict[str, str]:
    """{path under examples/: text} for every shape."""
    files: dict[str, str] = {}
    for style, shape in SHAPES.items():
        built = build(style, providers=[], scripted=True, schema_ref=SCHEMA_REF, agent_script=AGENT)
        built["README.md"] = readme(style, built)
        files.update({f"{shape.example}/{name}": text for name, text in built.items()})
    files["agents/scripted_agent.py"] = scripted_agent()
    return files


def catalog() -> dict[str, str]:
    """{example name: what it shows}, in the order of the shapes."""
    return {shape.example: shape.purpose for shape in SHAPES.values()}


def copyable(name: str, folder: str) -> dict[str, str]:
    """{path under the copy: text} for example `name` written to `folder`: its workflow runs
    the scripted agent and names the schema from inside the folder."""
    from striatum.model.workflow import json_schema

    style = next((s for s, shape in SHAPES.items() if shape.example == name), None)
    if style is None:
        raise errors.NotFound(
            f"no example named {name!r}", hint=f"examples: {', '.join(catalog())}"
        )
    files = build(style, providers=[], scripted=True, schema_ref="./workflow.schema.json")
    files["README.md"] = readme(style, files, folder=folder)
    files["workflow.schema.json"] = json_schema.text()
    files["agents/scripted_agent.py"] = scripted_agent()
    return files


def scripted_agent() -> str:
    """The one copy of the scripted agent, shipped in the package for `workflow init`."""
    return resources.files("striatum.starters").joinpath("scripted_agent.py").read_text()


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "examples")
    for name, text in example_files().items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if name.endswith(".py"):
            target.chmod(0o755)


if __name__ == "__main__":
    main()
