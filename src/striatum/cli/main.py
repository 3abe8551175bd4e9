"""`striatum`: the command-line entry point.

Commands for verbs are generated from the verb catalog; a few local commands (daemon start,
stop, doctor) live here. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from striatum import __version__, errors
from striatum.cli import (
    anchor_commands,
    completion,
    examples_commands,
    global_options,
    mcp_commands,
    skills_commands,
    task_command,
    verb_commands,
    web_commands,
    workflow_commands,
)
from striatum.cli.options import database_url_option
from striatum.cli.subject_params import with_subjects
from striatum.verbs import params


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="striatum")
@click.option(
    "--as",
    "as_role",
    type=click.Choice(["operator", "principal"]),
    default=None,
    help="Act with this host's token for the role (default: operator, or STRIATUM_TOKEN).",
)
@click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Target repository (default: the git root of the current directory).",
)
@click.pass_context
def cli(ctx: click.Context, as_role: str | None, repo: Path | None) -> None:
    """Striatum: coordinate terminal-based AI coding agents through explicit workflows.

    --as and --repo may also follow the subcommand. The run, job, blocker or lease a command
    acts on is positional (its --flag works too); `latest` is this repository's newest run.
    """
    ctx.obj = {"as_role": as_role, "repo": repo}


@cli.group()
def daemon() -> None:
    """The daemon and its database substrate."""


@daemon.command()
@database_url_option
def start(database_url: str | None) -> None:
    """Start striatumd in the background; return once it answers."""
    from striatum.cli import daemon_control

    click.echo(daemon_control.start(database_url))


@daemon.command()
def stop() -> None:
    """Stop the daemon of this runtime directory (and its embedded PostgreSQL)."""
    from striatum.cli import daemon_control

    click.echo(daemon_control.stop())


@daemon.command(name="install-service")
@click.option("--uninstall", is_flag=True, help="Remove the service file instead.")
@click.option(
    "--enable",
    is_flag=True,
    help="Also run systemctl --user (Linux) or launchctl (macOS) to enable (or disable) it.",
)
@click.option("--platform", type=click.Choice(["linux", "darwin"]), default=None, hidden=True)
def install_service(uninstall: bool, enable: bool, platform: str | None) -> None:
    """Start the daemon at login: write a systemd user unit (Linux) or a launchd agent
    (macOS) that runs this install's striatumd with the current STRIATUM_* settings and PATH,
    restarted if it crashes. Prints the command that enables it; --enable runs it."""
    from striatum.cli import service

    done = (service.uninstall if uninstall else service.install)(platform=platform, enable=enable)
    click.echo("\n".join(done))


@daemon.command()
@database_url_option
@click.option("--apply-migrations", is_flag=True, help="Apply pending schema migrations first.")
@click.option(
    "--fast",
    is_flag=True,
    help="Check hashes, links and payloads only; skip comparing the other columns "
    "(type, actor, times) with the hashed bytes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(database_url: str | None, apply_migrations: bool, fast: bool, as_json: bool) -> None:
    """Check the database, roles, migrations and both hash chains.

    Asks the daemon when one answers; otherwise (no daemon, a wedged one, --database-url or
    --apply-migrations given) checks the database directly, starting the embedded PostgreSQL
    for the check when needed, and then anchors the verified heads (a daemon anchors on its
    own). Exits 0 only when everything holds; 8 when a chain, an anchor or an append-only
    guarantee is broken (naming the first bad row), 11 when migrations are pending or edited.
    """
    from striatum.cli import daemon_doctor, doctor_view

    given = click.get_current_context().get_parameter_source("database_url")
    direct = apply_migrations or given is click.core.ParameterSource.COMMANDLINE
    report = daemon_doctor.check(database_url, apply_migrations, deep=not fast, direct=direct)
    doctor_view.show(report, as_json=as_json)
    sys.exit(report.exit_code)


@cli.command(name="doctor")
@click.option(
    "--deep", is_flag=True, help="Also compare each chain row's columns with its hashed bytes."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def user_doctor(ctx: click.Context, deep: bool, as_json: bool) -> None:
    """Is Striatum healthy here? Availability, provenance and skills, reported apart.

    Availability: the daemon answers, its database is up, migrations are current.
    Provenance: both hash chains verify, anchors match, append-only guards hold (as the
    daemon checks them; `striatum daemon doctor` checks the database directly). Skills: the
    bundles installed in this repository and your home match this version; an outdated or
    edited one is named with the command that fixes it. Exit 0 when all is well, else the
    first failing plane's code: 7 no daemon, 9 database down, 11 migrations, 8 provenance,
    5 skills.
    """
    import json

    from striatum.cli import doctor_view, health
    from striatum.cli.skills_commands import project_root

    result = health.gather(project_root(ctx), deep=deep)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        doctor_view.echo(health.lines(result))
    sys.exit(result["exit_code"])


@cli.command()
@click.option("--once", is_flag=True, help="Print one frame and exit.")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Seconds between frames."
)
@click.pass_context
def dashboard(ctx: click.Context, once: bool, interval: float, run_id: str | None = None) -> None:
    """A live terminal view of a run, or of the repository's runs when no run is given."""
    import os

    from striatum.cli import dashboard as view
    from striatum.client.local_params import git_root

    repo = ctx.obj.get("repo")
    where = os.path.abspath(repo) if repo is not None else git_root(os.getcwd())
    view.show(run_id, once=once, interval=interval, as_role=ctx.obj.get("as_role"), repo=where)


@cli.command()
@click.option(
    "--until-blocked",
    is_flag=True,
    help="Exit (status 5) when the run only waits for a human decision.",
)
def supervise(run_id: str, until_blocked: bool) -> None:
    """Run a run's agents in the foreground until the run ends.

    Claims ready jobs up to each lane's max_concurrency (a lane of quick agents keeps one
    more claimed ahead, started when a slot frees), launches each lane's agent in its own
    process group (logs and prompt under .striatum/ in the repository), heartbeats its
    lease, enforces the lane timeout, then completes or fails the job. Exits 0 when the run
    succeeded, 5 otherwise.
    """
    from striatum.lanes.supervisor import supervise

    final = supervise(run_id, until_blocked=until_blocked)
    click.echo(f"run {run_id} {final}")
    sys.exit(errors.EXIT_OK if final == "succeeded" else errors.EXIT_RUN_NOT_SUCCEEDED)


@cli.command()
@click.option(
    "--lane",
    "lanes",
    multiple=True,
    required=True,
    help="A lane to serve (repeat for several); only lanes a workflow places on workers.",
)
@click.pass_context
def worker(ctx: click.Context, lanes: tuple[str, ...]) -> None:
    """Run the jobs of lanes placed on workers, on this host, until SIGTERM or Ctrl-C.

    Serves every running run of a repository this host has a checkout of (only --repo's,
    when given) whose workflow places one of these lanes on workers ("placement": "workers"):
    claims its ready jobs, runs them as `supervise` does, in a worktree of this host's
    checkout on the run's branch, pulled from and pushed to the workflow's remote (`origin`
    by default) before each claim and after each job (docs/MULTI_HOST.md).
    """
    import os

    from striatum.lanes.worker import Worker

    repo = ctx.obj.get("repo")
    Worker(list(lanes), Path(os.path.abspath(repo)).resolve() if repo is not None else None).run()


@cli.command()
@click.option("--message", required=True, help="One line of text.")
@click.pass_context
def send(ctx: click.Context, run_id: str, job: str, message: str) -> None:
    """Deliver a message to a running agent through its input FIFO (STRIATUM_INPUT_FIFO)."""
    from striatum.lanes import messages

    click.echo(messages.send(run_id, job, message, as_role=ctx.obj.get("as_role")))


with_subjects(dashboard, params.run_id(required=False))
with_subjects(supervise, params.run_id())
with_subjects(send, params.run_id(), params.job("The running job whose agent gets the message."))


@cli.command(name="completion")
@click.argument("shell", type=click.Choice(completion.SHELLS))
def completion_script(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Load it from your shell's startup file: in ~/.bashrc `eval "$(striatum completion bash)"`,
    in ~/.zshrc `eval "$(striatum completion zsh)"`, in ~/.config/fish/config.fish
    `striatum completion fish | source`.
    """
    click.echo(completion.script(cli, shell))


@cli.group()
def corpus() -> None:
    """Export and verify evidence bundles."""


@corpus.command(name="verify")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def corpus_verify(directory: Path) -> None:
    """Check a bundle with no daemon and no database: manifest, file hashes, event chain.

    Exits 0 when it holds, 8 naming the first failure otherwise.
    """
    from striatum.corpus.verify import first_failure
    from striatum.model.terminal_text import visible

    failure = first_failure(directory)
    if failure:  # it may quote the bundle, which anyone may have written
        click.echo(visible(f"{directory}: BROKEN: {failure}"), err=True)
        sys.exit(errors.EXIT_CODES["integrity"])
    click.echo(f"{directory}: ok")


cli.add_command(workflow_commands.workflow)
cli.add_command(examples_commands.examples)
cli.add_command(anchor_commands.anchors)
cli.add_command(mcp_commands.mcp)
cli.add_command(skills_commands.skills)
cli.add_command(web_commands.serve)
cli.add_command(task_command.task)
verb_commands.attach(cli)
global_options.accept_after_subcommand(cli)  # last: every command is in the tree


def main() -> None:
    """Console-script entry: run the CLI, turning our errors into one line and an exit code."""
    from striatum.cli.failures import run_guarded

    run_guarded(lambda: cli.main(prog_name="striatum", standalone_mode=False))
