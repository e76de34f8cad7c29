"""The house rules of the import graph: no circle, and nothing runs back up.

Layers, lowest first: bot.domain and storage (and the emulator, tgemu, on its own); then
bot.reports (charts and spreadsheets: pure code on top of bot.domain) and bot.delivery (knows
no feature and no text); then bot.telegram (the layer every feature shares); then
bot.features; then bot.app, bot.assembly, bot.demo and bot.cli on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "storage", "tgemu")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path, *, top_level_only: bool) -> set[str]:
    """Project modules `name` imports (`from pkg import submodule` counts as the submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def _layer(module: str) -> str:
    for prefix in ("bot.domain", "bot.reports", "bot.delivery", "bot.telegram", "bot.features"):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module.split(".")[0] if module.split(".")[0] != "bot" else module


#: What each layer must never import (its own and lower layers are fine).
FORBIDDEN = {
    "storage": ("bot", "tgemu"),
    "tgemu": ("bot", "storage"),
    "bot.domain": (
        "bot.reports",
        "bot.delivery",
        "bot.telegram",
        "bot.features",
        "bot.app",
        "bot.assembly",
        "bot.cli",
        "bot.demo",
        "bot.demo_web",
        "bot.config",
        "bot.deps",
        "storage",
        "tgemu",
    ),
    "bot.reports": (
        "bot.delivery",
        "bot.telegram",
        "bot.features",
        "bot.app",
        "bot.assembly",
        "bot.cli",
        "bot.demo",
        "bot.demo_web",
        "bot.config",
        "bot.deps",
        "storage",
        "tgemu",
    ),
    "bot.delivery": (
        "bot.telegram",
        "bot.features",
        "bot.app",
        "bot.assembly",
        "bot.cli",
        "bot.demo",
        "bot.demo_web",
        "tgemu",
    ),
    "bot.telegram": (
        "bot.features",
        "bot.app",
        "bot.assembly",
        "bot.cli",
        "bot.demo",
        "bot.demo_web",
        "tgemu",
    ),
    "bot.features": ("bot.app", "bot.assembly", "bot.cli", "bot.demo", "bot.demo_web", "tgemu"),
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_imports_upwards(module: str) -> None:
    forbidden = FORBIDDEN.get(_layer(module), ())
    for target in _imports(module, MODULES[module], top_level_only=False):
        assert not any(target == f or target.startswith(f + ".") for f in forbidden), (
            f"{module} imports {target}"
        )


def test_the_product_does_not_import_the_emulator_except_the_demo() -> None:
    for module, path in MODULES.items():
        if module.startswith("bot") and module not in ("bot.demo", "bot.demo_web", "bot.cli"):
            assert not any(
                t.startswith("tgemu") for t in _imports(module, path, top_level_only=False)
            ), module
    # the CLI loads the demo and the emulator only when asked to
    assert not any(
        t.startswith("tgemu") or t in ("bot.demo", "bot.demo_web")
        for t in _imports("bot.cli", MODULES["bot.cli"], top_level_only=True)
    )


def test_the_import_graph_has_no_circle() -> None:
    graph = {m: _imports(m, p, top_level_only=True) for m, p in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert circles == []


def test_every_feature_registers_itself_and_app_lists_them() -> None:
    features = sorted(p.parent.name for p in (ROOT / "bot/features").glob("*/__init__.py"))
    app = (ROOT / "bot/app.py").read_text(encoding="utf-8")
    for name in features:
        assert "def register(" in (ROOT / f"bot/features/{name}/__init__.py").read_text()
        assert f"{name}.register(features)" in app, name
