"""The package layering of docs/ARCHITECTURE.md, enforced: code never imports upward.

Every module's imports (top-level, lazy ones inside functions, and TYPE_CHECKING ones alike)
are read with `ast`; a package may import its own modules and anything in a lower layer, and
nothing in its own layer's other packages or above. The order is written once, here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# From the ground up. Each entry: (layer, the packages or top-level modules in it).
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("errors", frozenset({"__init__", "errors"})),
    ("foundation", frozenset({"paths", "atomic", "loopback"})),
    ("model", frozenset({"model"})),
    ("starters", frozenset({"starters"})),
    ("store", frozenset({"store"})),
    ("engine", frozenset({"engine"})),
    ("integrity", frozenset({"integrity", "corpus"})),
    ("client", frozenset({"client"})),
    ("lanes", frozenset({"lanes"})),
    ("verbs", frozenset({"verbs"})),
    ("daemon", frozenset({"daemon"})),
    ("doors", frozenset({"mcp", "web", "skills"})),
    ("entry", frozenset({"cli"})),
    ("module", frozenset({"__main__"})),
)
RANK = {part: rank for rank, (_, parts) in enumerate(LAYERS) for part in parts}


def _part(dotted: str) -> str:
    """`striatum.engine.context` -> "engine"; `striatum` itself -> "__init__"."""
    pieces = dotted.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        origin = ".".join([*base, node.module] if node.module else base)
    else:
        origin = node.module or ""
    if origin == "striatum":  # `from striatum import errors, __version__`
        return [
            f"striatum.{alias.name}" if _is_module(alias.name) else origin for alias in node.names
        ]
    return [origin]


def _is_module(name: str) -> bool:
    return (SRC / "striatum" / f"{name}.py").exists() or (SRC / "striatum" / name).is_dir()


def _imports() -> list[tuple[str, str]]:
    found = []
    for path in sorted((SRC / "striatum").rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for target in _targets(node, module, path.name == "__init__.py"):
                if target == "striatum" or target.startswith("striatum."):
                    found.append((module, target))
    return found


def _upward(module: str, target: str) -> str | None:
    source, wanted = _part(module), _part(target)
    if source == wanted:
        return None
    if source not in RANK or wanted not in RANK:
        return f"{module} -> {target}: a package missing from LAYERS"
    if RANK[wanted] >= RANK[source]:
        return f"{module} -> {target}"
    return None


def test_every_package_has_a_layer() -> None:
    on_disk = {
        path.stem if path.is_file() else path.name
        for path in (SRC / "striatum").iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py"
    }
    assert on_disk == set(RANK), "add new packages to LAYERS and docs/ARCHITECTURE.md"


def test_no_module_imports_its_own_layer_or_above() -> None:
    """Same-layer packages stay independent too (mcp never imports web, corpus never
    integrity), so each layer could be lifted out with only what lies below it."""
    imports = _imports()
    assert len(imports) > 300  # the walk really read the tree
    assert [problem for m, t in imports if (problem := _upward(m, t))] == []


@pytest.mark.parametrize(
    ("module", "target", "upward"),
    [
        ("striatum.engine.progress", "striatum.verbs.runs.lifecycle", True),
        ("striatum.mcp.calls", "striatum.cli.main", True),
        ("striatum.mcp.calls", "striatum.web.app", True),
        ("striatum.verbs.runs.lifecycle", "striatum.engine.progress", False),
        ("striatum.cli.main", "striatum.daemon.main", False),
        ("striatum.model.tokens", "striatum.errors", False),
    ],
)
def test_the_rule_itself(module: str, target: str, upward: bool) -> None:
    assert (_upward(module, target) is not None) is upward
