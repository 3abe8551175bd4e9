"""`striatum examples list | copy`: the shipped examples, written from the package itself
(local commands: no daemon, no database, no clone of Striatum)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def examples() -> None:
    """The runnable examples shipped with Striatum (no daemon needed)."""


@examples.command(name="list")
def list_examples() -> None:
    """Name each example and what it shows."""
    from striatum.starters.examples import catalog

    shown = catalog()
    width = max(len(name) for name in shown)
    for name, purpose in shown.items():
        click.echo(f"{name:<{width}}  {purpose}")


@examples.command()
@click.argument("name")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
def copy(name: str, dest: Path | None) -> None:
    """Write example NAME into DEST (default: ./NAME), runnable with no AI CLI.

    The copy brings its own scripted agent and schema. Refuses, writing nothing, when any of
    its files already exists (exit 5); an unknown NAME exits 4.
    """
    from striatum import errors
    from striatum.starters import build
    from striatum.starters.examples import copyable

    target = Path(name) if dest is None else dest
    files = copyable(name, str(target))
    if target.exists() and not target.is_dir():
        raise errors.Conflict(f"refusing to overwrite {target}: it is a file")
    written = build.write(target, files)
    click.echo(f"wrote {len(written)} files into {target}:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"next: striatum workflow validate {target / 'workflow.json'}")
