"""The skill bundle: templates shipped in the package, rendered with the writing version.

Pure apart from reading the package's own templates. Skills follow the Agent Skills format:
a folder per skill holding SKILL.md, YAML front matter (`name`, `description`) then Markdown.
"""

from __future__ import annotations

import re
from importlib import resources

NAME_RULE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
NAME_MAX, DESCRIPTION_MAX = 64, 1024
GENERATOR = "striatum"


def files(version: str) -> dict[str, str]:
    """Relative path (`skill-name/SKILL.md`) -> the text this version installs."""
    root = resources.files("striatum.skills") / "bundle"
    found = {}
    for folder in sorted(root.iterdir(), key=lambda entry: entry.name):
        template = folder / "SKILL.md"
        if folder.is_dir() and template.is_file():
            found[f"{folder.name}/SKILL.md"] = render(template.read_text("utf-8"), version)
    return found


def render(template: str, version: str) -> str:
    """Stamp the front matter with who wrote the file (the Agent Skills `metadata` map)."""
    head, body = split_front_matter(template)
    stamp = f'metadata:\n  generated-by: {GENERATOR}\n  striatum-version: "{version}"\n'
    return f"---\n{head}{stamp}---\n{body}"


def split_front_matter(text: str) -> tuple[str, str]:
    """(the front matter's lines, the Markdown after it); ValueError when there is none."""
    if not text.startswith("---\n"):
        raise ValueError("no front matter: SKILL.md must start with a '---' line")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise ValueError("the front matter is not closed by a '---' line")
    return text[4 : end + 1], text[end + 5 :]


def top_level_fields(text: str) -> dict[str, str]:
    """The front matter's `key: value` lines (what the format's rules look at)."""
    head, _ = split_front_matter(text)
    fields = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if colon and key and not key[0].isspace():
            fields[key.strip()] = value.strip()
    return fields


def problems(folder: str, text: str) -> list[str]:
    """Every way a SKILL.md breaks the Agent Skills rules; empty when it keeps them."""
    try:
        fields = top_level_fields(text)
    except ValueError as error:
        return [f"{folder}/SKILL.md: {error}"]
    name, description = fields.get("name", ""), fields.get("description", "")
    found = []
    if not NAME_RULE.match(name) or len(name) > NAME_MAX:
        found.append(
            f"{folder}/SKILL.md: name {name!r} must be 1-{NAME_MAX} lowercase "
            "letters, digits and single hyphens"
        )
    if name != folder:
        found.append(f"{folder}/SKILL.md: name {name!r} differs from its folder {folder!r}")
    if not description or len(description) > DESCRIPTION_MAX:
        found.append(f"{folder}/SKILL.md: description must be 1-{DESCRIPTION_MAX} characters")
    return found
