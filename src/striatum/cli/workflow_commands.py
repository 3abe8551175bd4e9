"""`striatum workflow validate | init | graph`: local commands, no daemon or database needed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from striatum import errors
from striatum.model.terminal_text import visible

STYLES = ("minimal", "review", "code-change", "human-checkpoint", "evidence", "multi-review")


@click.group()
def workflow() -> None:
    """Write, check and draw workflow.json files (no daemon needed)."""


@workflow.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate(file: Path, as_json: bool) -> None:
    """Check a workflow.json; report every error and warning with its JSON path.

    Exits 0 when valid (warnings allowed), 3 when there are errors.
    """
    from striatum.model.workflow.validate import validate_text

    result = validate_text(_read(file), file_exists=lambda p: (file.parent / p).is_file())
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(file),
                    "ok": result.ok,
                    "problems": [p.to_dict() for p in result.problems],
                },
                indent=2,
            )
        )
    else:
        shown = visible(str(file))
        for problem in result.problems:
            click.echo(f"{shown}: {visible(str(problem))}", err=problem.severity == "error")
        counts = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
        click.echo(f"{shown}: {'valid' if result.ok else 'INVALID'} ({counts})")
    sys.exit(0 if result.ok else errors.EXIT_CODES["validation"])


@workflow.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "mermaid"]),
    default="text",
    show_default=True,
    help="Plain text layers, or a Mermaid flowchart.",
)
def graph(file: Path, fmt: str) -> None:
    """Print a workflow's job graph, revision routes and checkpoint branches included."""
    from striatum.model.workflow import graph as drawing
    from striatum.model.workflow.validate import validate_text

    result = validate_text(_read(file))
    if result.workflow is None or result.errors:
        first = result.errors[0] if result.errors else None
        raise errors.ValidationError(
            f"{file} is not a valid workflow: {first}", hint=f"striatum workflow validate {file}"
        )
    drawn = drawing.text(result.workflow) if fmt == "text" else drawing.mermaid(result.workflow)
    click.echo("\n".join(visible(line) for line in drawn.split("\n")), nl=False)


@workflow.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default="review",
    show_default=True,
    help="Which shape to start from.",
)
@click.option(
    "--lanes",
    default="claude_code,codex,gemini",
    show_default=True,
    help="Providers, comma-separated: the author takes the first, reviewers the others.",
)
@click.option(
    "--command",
    "scripted",
    is_flag=True,
    help="Use scripted `command` lanes, runnable with no AI CLI installed.",
)
def init(directory: Path, style: str, lanes: str, scripted: bool) -> None:
    """Write a starter workflow.json with its roles/ and prompts/ into DIRECTORY."""
    from striatum.model.workflow import json_schema
    from striatum.model.workflow.validate import validate_text
    from striatum.starters import build
    from striatum.starters.examples import scripted_agent

    providers = [p.strip() for p in lanes.split(",") if p.strip()]
    files = build.build(
        style, providers=providers, scripted=scripted, schema_ref="./workflow.schema.json"
    )
    files["workflow.schema.json"] = json_schema.text()
    if scripted:
        files["agents/scripted_agent.py"] = scripted_agent()
    result = validate_text(files["workflow.json"], file_exists=lambda p: p in files)
    assert result.ok, result.problems  # a starter always passes its own validator
    written = build.write(directory, files)
    click.echo(f"wrote {len(written)} files into {directory}:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(
        "next: edit the prompts/ and roles/ Markdown, set each lane's model, then run "
        f"`striatum workflow validate {directory / 'workflow.json'}`"
    )


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise errors.NotFound(f"no such file: {file}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise errors.ValidationError(f"cannot read {file}: {error}") from None
