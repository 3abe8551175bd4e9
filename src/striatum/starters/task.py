"""A task as a workflow: a starter shape with one sentence (or a task file) as its task.

Pure. `striatum task` (and the `run task` verb behind it) turns its arguments into a `Task`
here, refusing bad input with an error naming the argument before anything is created, then
`compose` builds the workflow with the same starter builder as `workflow init`: the task text
leads every prompt and is kept beside the workflow as `task.md`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from striatum import errors
from striatum.starters.build import VENDORS, build
from striatum.starters.shapes import SHAPES

DEFAULT_STYLE = "code-change"
MAX_REVISIONS = 20  # the review gate's own bound (model.workflow.schema.ReviewGate)
TASK_FILE = "task.md"
NAME_CHARS = 200
DESCRIPTION_CHARS = 4000


@dataclass(frozen=True, kw_only=True)
class Task:
    """What to build: the text, the shape, and who works on it (`scripted`: no AI CLI)."""

    text: str
    style: str
    author: str | None  # None: scripted command lanes
    reviewers: tuple[str, ...]
    max_revisions: int | None

    @property
    def scripted(self) -> bool:
        return self.author is None


def choose(
    *,
    text: str,
    style: str = DEFAULT_STYLE,
    author: str | None = None,
    reviewers: str | None = None,
    max_revisions: int | None = None,
    installed: tuple[str, ...] = (),
) -> Task:
    """The task the arguments describe. `installed`: the AI CLIs found here, in VENDORS
    order; they fill an author or reviewers not given (none at all: scripted lanes)."""
    body = text.strip()
    if not body:
        raise errors.UsageError("the task is empty: give a sentence or --file TASK.md")
    if style not in SHAPES:
        raise errors.UsageError(f"--style must be one of {', '.join(SHAPES)}, not {style!r}")
    if max_revisions is not None and not 0 <= max_revisions <= MAX_REVISIONS:
        raise errors.UsageError(f"--max-revisions must be from 0 to {MAX_REVISIONS}")
    chosen_author = _provider(author, "--author") if author else None
    chosen_reviewers = tuple(_provider(p, "--reviewer") for p in _split(reviewers))
    if chosen_author is None and chosen_reviewers:
        chosen_author = next((p for p in installed if p not in chosen_reviewers), None)
        if chosen_author is None:
            raise errors.UsageError("--reviewer needs an author: give --author PROVIDER")
    if chosen_author is None:
        chosen_author = installed[0] if installed else None
    if chosen_author is None:
        return Task(text=body, style=style, author=None, reviewers=(), max_revisions=max_revisions)
    if not chosen_reviewers:
        chosen_reviewers = tuple(p for p in installed if p != chosen_author)
    _check_reviewers(style, chosen_author, chosen_reviewers, given=reviewers is not None)
    return Task(
        text=body,
        style=style,
        author=chosen_author,
        reviewers=chosen_reviewers,
        max_revisions=max_revisions,
    )


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _provider(name: str, option: str) -> str:
    if name not in VENDORS:
        raise errors.UsageError(
            f"{option}: unknown provider {name!r}; providers: {', '.join(VENDORS)}"
        )
    return name


def _check_reviewers(style: str, author: str, reviewers: tuple[str, ...], *, given: bool) -> None:
    """Co-blindness: a reviewer never sits on the author's provider."""
    same = [p for p in reviewers if p == author]
    if same:
        raise errors.UsageError(
            f"--reviewer {author} is the author's provider: a review is done on another "
            "provider than the work it judges",
            hint=f"give --reviewer one of {', '.join(p for p in VENDORS if p != author)}",
        )
    if not reviewers and has_reviews(style):
        where = "--reviewer" if given else "no other AI CLI is installed"
        raise errors.UsageError(
            f"the {style} style has reviews, which need a provider other than the author's "
            f"({author}): {where}",
            hint=f"give --reviewer one of {', '.join(p for p in VENDORS if p != author)}, "
            "or --style minimal",
        )


def has_reviews(style: str) -> bool:
    return any(job.get("review") for job in SHAPES[style].jobs)


def compose(task: Task, *, agent_script: str | None = None) -> dict[str, str]:
    """{relative path: text} of the workflow directory (the starter's files, the task in
    each prompt and in task.md). Scripted lanes also need the agent's own file, which the
    caller adds (it is read from the package)."""
    providers = [] if task.author is None else [task.author, *task.reviewers]
    extra = {} if agent_script is None else {"agent_script": agent_script}
    files = build(
        task.style,
        providers=providers,
        scripted=task.scripted,
        schema_ref="./workflow.schema.json",
        **extra,
    )
    document: dict[str, Any] = json.loads(files["workflow.json"])
    document["id"] = f"task-{task.style}"
    document["name"] = _clip(task.text.splitlines()[0], NAME_CHARS)
    document["description"] = _clip(task.text, DESCRIPTION_CHARS)
    if task.max_revisions is not None:
        for job in document["jobs"]:
            if job.get("review"):
                job["review"]["max_revisions"] = task.max_revisions
    files["workflow.json"] = json.dumps(document, indent=2) + "\n"
    for name, text in list(files.items()):
        if name.startswith("prompts/"):
            files[name] = with_task(text, task.text)
    files[TASK_FILE] = task.text + "\n"
    return files


def with_task(prompt: str, text: str) -> str:
    """The starter's prompt under its title, after the task itself."""
    title, _, rest = prompt.partition("\n\n")
    return f"{title}\n\n## The task\n\n{text}\n\n## This job\n\n{rest}"


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
