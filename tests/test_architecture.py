"""The shape of the code, as docs/architecture.md describes it, kept by tests.

- no import cycle between the project's modules (imports under `if TYPE_CHECKING:` are for
  type checkers only and do not count);
- the core (`bot/`) knows nothing of Discord: only the composition root (bot/app.py) and the
  command line (bot/cli.py) import discord.py or the cogs;
- no cog reaches the database: nothing in `cogs/` imports `bot.storage`;
- no private name (`_name`) is imported from another module;
- no cog is over about 400 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "cogs", "demo")
COMPOSITION = {"bot.app", "bot.cli", "bot"}
#: Discord's own text rules, with no client: its markdown escaping, used to fit text to limits.
TEXT_ONLY = {("bot.limits", "discord.utils")}
COG_LINES = 420


def modules() -> dict[str, Path]:
    """Every module of the project, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except what is inside `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every runtime import."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield (full, None) if full in known else (node.module, alias.name)


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, _ in imports(path, known):
            if target in known and target != name:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_core_knows_nothing_of_discord() -> None:
    known = modules()
    offenders = [
        f"{name} imports {target}"
        for name, path in known.items()
        if name.startswith("bot") and name not in COMPOSITION
        for target, _ in imports(path, known)
        if target.split(".")[0] in ("discord", "cogs", "simcord", "demo")
        and (name, target) not in TEXT_ONLY
    ]
    assert offenders == []


def test_no_cog_reaches_the_database() -> None:
    known = modules()
    offenders = [
        f"{name} imports {target}"
        for name, path in known.items()
        if name.startswith("cogs")
        for target, _ in imports(path, known)
        if target.startswith(("bot.storage", "aiosqlite", "sqlite3"))
    ]
    assert offenders == []


def test_no_private_name_is_imported_from_another_module() -> None:
    known = modules()
    offenders = [
        f"{name} imports {target}.{imported}"
        for name, path in known.items()
        for target, imported in imports(path, known)
        if imported is not None and imported.startswith("_") and not imported.startswith("__")
    ]
    assert offenders == []


@pytest.mark.parametrize("path", sorted((ROOT / "cogs").glob("*.py")), ids=lambda p: p.name)
def test_no_cog_is_too_long(path: Path) -> None:
    assert len(path.read_text("utf-8").splitlines()) <= COG_LINES
