"""The import layers of docs/architecture.md hold: no import upwards, no circle, every module placed."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MAP = ROOT / "docs" / "architecture.md"


def read_layers(text: str) -> dict[str, int]:
    """Package or module name -> layer number, from the map table (rows like `| 3 | name | heard.a, heard.b | ...`)."""
    layers: dict[str, int] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].isdigit():
            for name in re.findall(r"heard(?:\.\w+)*", cells[2]):
                layers[name] = int(cells[0])
    return layers


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> set[str]:
    """Every heard module `path` imports, at the top or inside a function, resolved to a module that exists."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)  # `from heard.x import y` where y is a module
    return {t for t in found if t == "heard" or t.startswith("heard.")}


def source_modules() -> dict[str, Path]:
    return {module_name(p): p for p in (SRC / "heard").rglob("*.py")}


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    return {name: {t for t in imports_of(path, name) if t in modules and t != name}
            for name, path in modules.items()}


def owner(module: str, layers: dict[str, int]) -> str | None:
    """The map entry a module belongs to: the longest listed prefix (the root `heard` covers only itself)."""
    covering = [e for e in layers if module == e or (e != "heard" and module.startswith(e + "."))]
    return max(covering, key=len, default=None)


def violations(graph: dict[str, set[str]], layers: dict[str, int]) -> list[str]:
    """Every broken rule, as a sentence: unplaced modules, upward imports, circles of modules or packages."""
    problems: list[str] = []
    for module in sorted(graph):
        if owner(module, layers) is None:
            problems.append(f"{module} is in no layer of docs/architecture.md")
    for module, targets in sorted(graph.items()):
        home = owner(module, layers)
        for target in sorted(targets):
            there = owner(target, layers)
            if home and there and layers[there] > layers[home]:
                problems.append(f"{module} (layer {layers[home]}) imports {target} (layer {layers[there]})")
    problems += [f"import circle: {' -> '.join(c)}" for c in circles(graph)]
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        a = owner(module, layers)
        for target in targets:
            b = owner(target, layers)
            if a and b and a != b:
                packages[a].add(b)
    problems += [f"package circle: {' -> '.join(c)}" for c in circles(packages)]
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts with more than one member (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_architecture_map_lists_layers_in_order() -> None:
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    assert layers["heard.errors"] == 1 and layers["heard.model"] == 1
    assert layers["heard.cli"] == layers["heard.web"] == max(layers.values())
    assert len(set(layers.values())) >= 6


def test_architecture_holds_for_heard() -> None:
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    graph = import_graph(source_modules())
    assert len(graph) > 60
    assert violations(graph, layers) == []


@pytest.mark.parametrize(("graph", "expected"), [
    ({"heard.model": {"heard.store"}, "heard.store": set()},
     "heard.model (layer 1) imports heard.store (layer 4)"),
    ({"heard.store.a": {"heard.store.b"}, "heard.store.b": {"heard.store.a"}},
     "import circle: heard.store.a -> heard.store.b"),
    ({"heard.runners.x": {"heard.scorecards.y"}, "heard.scorecards.y": {"heard.runners.z"}, "heard.runners.z": set()},
     "package circle: heard.runners -> heard.scorecards"),
    ({"heard.nowhere": set()}, "heard.nowhere is in no layer of docs/architecture.md"),
])
def test_architecture_checker_catches(graph: dict[str, set[str]], expected: str) -> None:
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    assert expected in violations(graph, layers)


def test_architecture_reads_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from heard.web import app\n    import heard.store\n")
    assert imports_of(module, "heard.model") == {"heard.web", "heard.web.app", "heard.store"}
