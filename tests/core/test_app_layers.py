"""The apps depend on each other in one direction: no import cycle between them, and core, the base layer,
imports none of them.

Every module of every app is parsed (nothing is imported): `import x`, `from x import y` (at module level or
inside a function: a lazy import is a dependency all the same) and `importlib.import_module("x")` /
`import_string("x.y")` with a literal name each count as an edge from the module's app to the app named.
"""

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "core",
    "athletes",
    "training",
    "health",
    "connections",
    "calendars",
    "wellness",
    "privacy",
    "background",
    "webhooks",
)
BASE = "core"
_DYNAMIC_IMPORTS = {"import_module", "import_string"}


def _imported_names(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in _DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                names.append(node.args[0].value)
    return names


def app_imports(root: Path | None = None) -> dict[str, dict[str, set[str]]]:
    """{app: {imported app: {module path, ...}}} over every .py file of every app under `root` (the checkout)."""
    root = root or ROOT
    graph: dict[str, dict[str, set[str]]] = {app: {} for app in APPS}
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            for name in _imported_names(ast.parse(path.read_text(), filename=str(path))):
                target = name.split(".")[0]
                if target in APPS and target != app:
                    graph[app].setdefault(target, set()).add(str(path.relative_to(root)))
    return graph


def find_cycle(edges: dict[str, set[str]] | dict[str, dict]) -> list[str] | None:
    """One cycle of the directed graph `edges` ({node: successors}) as [a, b, ..., a], or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for successor in sorted(edges.get(node, ())):
            cycle = visit(successor)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def _describe(graph: dict[str, dict[str, set[str]]], cycle: list[str]) -> str:
    return "; ".join(f"{a} -> {b} ({', '.join(sorted(graph[a][b]))})" for a, b in itertools.pairwise(cycle))


def test_the_checker_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"health": {"core"}, "connections": {"health", "core"}, "core": set()}) is None
    assert find_cycle({"health": {"connections"}, "connections": {"health"}}) == [
        "connections",
        "health",
        "connections",
    ]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_checker_sees_lazy_and_dynamic_imports():
    tree = ast.parse(
        "import health.models\n"
        "from connections.probe import sanitize\n"
        "from . import services\n"
        "def f():\n"
        "    from training.models import TrainingSession\n"
        "    importlib.import_module('calendars.feed')\n"
        "    return import_string('athletes.models.AthleteProfile')\n"
    )
    assert set(_imported_names(tree)) == {
        "health.models",
        "connections.probe",
        "training.models",
        "calendars.feed",
        "athletes.models.AthleteProfile",
    }


def test_no_import_cycle_between_the_apps():
    graph = app_imports()
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle between apps: {_describe(graph, cycle)}"


def test_core_imports_no_app():
    graph = app_imports()
    assert graph[BASE] == {}, f"core is the base layer, yet imports: {graph[BASE]}"
