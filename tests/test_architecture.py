"""The rules of ARCHITECTURE.md that no linter holds: no import cycle among nnrun's modules
(function-local imports included), no module over 500 lines, no function over 60 lines unless
the comment line above it (``# long: why``) says why. The layers themselves are import-linter's
contracts in pyproject.toml; complexity is ruff's C901."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest
from helpers.cli import ROOT

PACKAGE = ROOT / "nnrun"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
MODULES = sorted(PACKAGE.rglob("*.py"))


class _Tarjan:
    """Tarjan's strongly connected components of an import graph."""

    def __init__(self, graph: grimp.ImportGraph) -> None:
        self.graph = graph
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.components: list[list[str]] = []

    def visit(self, module: str) -> None:
        self.index[module] = self.low[module] = len(self.index)
        self.stack.append(module)
        for imported in self.graph.find_modules_directly_imported_by(module):
            if imported not in self.index:
                self.visit(imported)
                self.low[module] = min(self.low[module], self.low[imported])
            elif imported in self.stack:
                self.low[module] = min(self.low[module], self.index[imported])
        if self.low[module] == self.index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(self.stack.pop())
            self.components.append(sorted(component))


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (more than one each)."""
    tarjan = _Tarjan(graph)
    for module in sorted(graph.modules):
        if module not in tarjan.index:
            tarjan.visit(module)
    return [component for component in tarjan.components if len(component) > 1]


def test_no_import_cycle_among_nnruns_modules() -> None:
    assert cycles(grimp.build_graph("nnrun")) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.d", imported="a.b")
    assert cycles(graph) == [["a.b", "a.c"]]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_are_short(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{len(lines)} lines"
    long = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            reason = lines[first - 2].strip() if first >= 2 else ""
            if length > MAX_FUNCTION_LINES and not reason.startswith("# long:"):
                long.append(f"{node.name} ({length} lines, line {node.lineno})")
    assert not long, "functions over 60 lines without a `# long:` reason: " + ", ".join(long)
