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


ROOT = TESTS.parent
SOURCE_DIRS = ("forum", "templates", "static", "migrations", "tests", "bench")
TEXT_SUFFIXES = {".py", ".html", ".css", ".js", ".po", ".pot", ".md", ".toml", ".cfg", ".txt"}


def _source_files():
    for name in SOURCE_DIRS:
        for path in (ROOT / name).rglob("*"):
            if path.suffix in TEXT_SUFFIXES and "node_modules" not in path.parts and path.is_file():
                yield path


def test_no_merge_conflict_markers_are_left():
    markers = ("<<<<<<< ", "=======\n", ">>>>>>> ")
    found = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True), 1):
            if line.startswith(markers) or line == "=======":
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_stylesheets_close_every_block():
    """A lost ``}`` silently nests every later rule in the block before it (a merge once
    put the audit log's styles inside a min-width media query)."""
    for path in (ROOT / "static" / "css").glob("*.css"):
        depth = 0
        for char in path.read_text(encoding="utf-8"):
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, path.name
        assert depth == 0, f"{path.name}: {depth} block(s) left open"
