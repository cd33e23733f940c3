"""Rules for the tests themselves, read from their source."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_no_test_imports_from_a_conftest():
    """Shared helpers live in modules (tests/helpers.py, tests/<domain>/helpers.py); a
    conftest.py only provides fixtures, which pytest hands out by name."""
    offenders = {
        str(path.relative_to(TESTS)): sorted(
            module for module in _imported_modules(path) if module.split(".")[-1] == "conftest"
        )
        for path in TESTS.rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}
