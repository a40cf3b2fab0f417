"""What the tests share lives in tests.support: no test module (nor conftest) imports another test module or a
conftest, and factories and helpers live only there."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def forbidden_imports(source: str, module: str) -> list[str]:
    """The imports in `source` (the module `module`, dotted) of a test module or a conftest, absolute
    (`tests.x.test_y`, `tests.x.conftest`, `tests.conftest`) or relative (`from .conftest import ...`)."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "tests" and any(p == "conftest" or p.startswith("test_") for p in parts[1:]):
                found.append(f"line {node.lineno}: {name}")
                break
    return found


def _modules():
    for path in sorted(TESTS.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path, ".".join(("tests", *path.relative_to(TESTS).with_suffix("").parts))


def test_no_test_module_imports_another_test_module_or_a_conftest():
    offenders = {module: found for path, module in _modules() if (found := forbidden_imports(path.read_text(), module))}
    assert not offenders, f"import shared code from tests.support instead: {offenders}"


def test_factories_and_helpers_live_only_in_tests_support():
    stray = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path.name in ("factories.py", "utils.py") and "support" not in path.relative_to(TESTS).parts
    ]
    assert not stray, f"move into tests/support: {stray}"


def test_the_guard_sees_every_form_of_such_an_import():
    source = "\n".join(
        [
            "from tests.conftest import bearer_client",
            "from tests.core.test_dev_checkout import REPO",
            "import tests.connections.conftest",
            "from .conftest import login",
            "from .test_admin_flows import live_profile",
            "from . import test_admin_flows",
            "from ..core import conftest",
            "from tests.support.clients import bearer_client",
            "from tests.support.factories.athletes import UserFactory",
            "import tests.support.utils",
        ]
    )
    found = forbidden_imports(source, "tests.browser.test_x")
    assert [line.split(": ")[1] for line in found] == [
        "tests.conftest",
        "tests.core.test_dev_checkout",
        "tests.connections.conftest",
        "tests.browser.conftest",
        "tests.browser.test_admin_flows",
        "tests.browser.test_admin_flows",
        "tests.core.conftest",
    ]
