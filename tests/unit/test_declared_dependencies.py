"""Every third-party module that src/ imports is a declared runtime dependency, so a plain
`pip install striatum` (no test extras) has everything the package imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Names only type checkers see (typeshed's private stubs), never imported at run time.
TYPING_ONLY = {"_typeshed"}


def top_level_imports(tree: Path) -> Iterator[tuple[str, Path]]:
    """(top-level module, file) for each absolute import in the .py files under `tree`."""
    for path in sorted(tree.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name.partition(".")[0], path
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.partition(".")[0], path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_runtime() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        canonical(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def undeclared(tree: Path, declared: set[str]) -> list[str]:
    """One line per third-party module imported under `tree` that no declared distribution
    provides (or that no installed distribution provides at all)."""
    providers = metadata.packages_distributions()
    problems: dict[str, str] = {}
    for module, path in top_level_imports(tree):
        if module in sys.stdlib_module_names or module in TYPING_ONLY or module == "striatum":
            continue
        distributions = {canonical(d) for d in providers.get(module, [])}
        if not distributions & declared:
            found = ", ".join(sorted(distributions)) or "no installed distribution"
            problems.setdefault(module, f"{module} (imported by {path.name}; from {found})")
    return sorted(problems.values())


def test_every_third_party_import_in_src_is_a_declared_dependency() -> None:
    assert undeclared(ROOT / "src" / "striatum", declared_runtime()) == []


def test_an_import_of_an_undeclared_distribution_is_reported(tmp_path: Path) -> None:
    """The check can fail: pytest is installed here (a test extra), not a runtime dependency."""
    (tmp_path / "module.py").write_text("import json\nfrom pytest import fixture\nimport click\n")
    found = undeclared(tmp_path, declared_runtime())
    assert len(found) == 1 and found[0].startswith("pytest (imported by module.py"), found
