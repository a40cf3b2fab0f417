"""core.dialect is the one place that asks which database runs: its answers, and a guard that no application
module asks `.vendor` itself.

The guard parses (never imports) every Python file of the application, that is everything in the checkout but
tests/, bench/ and the virtualenv, and reports each comparison, `match` or lookup on a `.vendor` attribute or a
`vendor` variable, and each comparison with a vendor name ("postgresql", "sqlite"), outside core/dialect.py.
"""

import ast
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils.connection import ConnectionDoesNotExist

from core import dialect

ROOT = Path(__file__).resolve().parents[2]
NOT_APPLICATION = {"tests", "bench", "var", "node_modules", "static", "staticfiles"}
SEAM = Path("core/dialect.py")
VENDOR_NAMES = {dialect.POSTGRESQL, dialect.SQLITE}


def application_modules(root: Path | None = None) -> list[Path]:
    root = root or ROOT
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in NOT_APPLICATION or any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        found.append(path)
    return found


def _names_vendor(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "vendor") or (
        isinstance(node, ast.Name) and node.id == "vendor"
    )


def _is_vendor_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in VENDOR_NAMES


def vendor_checks(source: str) -> list[int]:
    """The line of every database-vendor check in `source`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names_vendor(o) or _is_vendor_name(o) for o in operands):
                lines.append(node.lineno)
        elif (isinstance(node, ast.Match) and _names_vendor(node.subject)) or (
            isinstance(node, ast.Subscript) and _names_vendor(node.slice)
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


# --- the guard ---------------------------------------------------------------------------------------------


def test_the_guard_sees_every_kind_of_vendor_check():
    source = (
        "if connection.vendor == 'postgresql': pass\n"
        "if connections[using].vendor != 'postgresql': pass\n"
        "if schema_editor.connection.vendor in ('sqlite',): pass\n"
        "if vendor == 'postgresql': pass\n"
        "if 'sqlite' == probe.vendor: pass\n"
        "sql = {'postgresql': 'a', 'sqlite': 'b'}[wrapper.vendor]\n"
        "match connection.vendor:\n"
        "    case 'sqlite': pass\n"
        "if dialect.is_postgresql(connection): pass\n"
        "result = ProbeResult(vendor=dialect.SQLITE)\n"
        "if engine == 'django.db.backends.sqlite3': pass\n"
    )
    assert vendor_checks(source) == [1, 2, 3, 4, 5, 6, 7]


def test_the_guard_reads_the_application_and_not_the_tests():
    modules = {path.relative_to(ROOT).as_posix() for path in application_modules()}
    assert {"core/dialect.py", "core/db.py", "connections/services.py", "config/settings.py"} <= modules
    assert not any(m.startswith(("tests/", "bench/", ".venv/")) for m in modules)


def test_no_application_module_asks_the_database_vendor_itself():
    found = []
    for path in application_modules():
        if path.relative_to(ROOT) == SEAM:
            continue
        found += [f"{path.relative_to(ROOT)}:{line}" for line in vendor_checks(path.read_text())]
    assert not found, f"ask core.dialect (is_postgresql / is_sqlite) instead: {', '.join(found)}"


# --- core.dialect ------------------------------------------------------------------------------------------


def test_a_vendor_name_is_its_own_vendor():
    assert dialect.vendor("postgresql") == "postgresql"
    assert dialect.vendor("sqlite") == "sqlite"
    assert dialect.is_postgresql("postgresql") and not dialect.is_sqlite("postgresql")
    assert dialect.is_sqlite("sqlite") and not dialect.is_postgresql("sqlite")


def test_an_unknown_vendor_is_neither_database():
    # A probe that failed before it knew which database it reached reports "".
    assert dialect.vendor("") == ""
    assert not dialect.is_postgresql("") and not dialect.is_sqlite("")


def test_an_alias_a_wrapper_and_none_name_the_database_they_run_on():
    running = connection.vendor
    assert running in {"postgresql", "sqlite"}
    assert dialect.vendor() == dialect.vendor(None) == running
    assert dialect.vendor("default") == running
    assert dialect.vendor(connection) == dialect.vendor(connections["default"]) == running
    assert dialect.is_postgresql(connection) == (running == "postgresql")
    assert dialect.is_sqlite("default") == (running == "sqlite")
    assert dialect.is_postgresql(None) != dialect.is_sqlite(None)


def test_an_alias_that_is_not_configured_is_an_error():
    with pytest.raises(ConnectionDoesNotExist):
        dialect.is_postgresql("no-such-alias")
