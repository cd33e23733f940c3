"""The structure forum/ promises (DESIGN.md §3, forum/__init__.py), read from the source.

The layers, from the ground up (``LAYERS``): ``core`` with ``forum/extensions.py``, then
``auth``, ``forums``, ``proposals``, ``votes``, ``moderation``, ``notifications``,
``search``, ``admin``, ``results`` (exports live there), ``api``. Above every domain:
``forum/demo.py`` (seeds every domain), ``forum/models.py`` (every model, for one
metadata) and ``forum/__init__.py`` (``create_app``). The rules, as encoded:

- a domain's modules other than ``views.py`` and ``cli.py`` (its models, forms, services
  and helpers) import only from their own domain, from ``core``/``extensions`` and from
  domains below it; ``core`` and ``extensions`` import no domain;
- ``views.py``, ``cli.py`` and ``forum/demo.py`` compose: they may import the services
  and forms of any domain, above or below their own, because nothing in forum/ imports
  them but ``create_app`` (and a CLI may run the seeder): they are leaves, so composing
  never closes a loop. A view or CLI never imports another view or CLI, and nothing
  imports ``forum`` or ``forum.models`` but ``create_app``;
- no module reaches the tables of a domain above its own, views and CLIs included:
  it neither imports that domain's models nor names one of its tables or models in a
  string given to SQLAlchemy (``relationship``, ``ForeignKey``, ``table``, raw SQL,
  a relationship's string annotation). ``forums`` and ``auth`` never reach
  ``proposals``' or ``votes``' tables, they call those domains' services. The one
  exception (``NAMED_UPWARD``): the audit log in core names its actor's ``users`` table;
- no import loop anywhere in forum/ (search included);
- no cross-file private imports, in forum/ and in tests/ alike (tests go through the
  same public names as the code): no ``from forum.x import _name``, no ``module._name``
  on an imported module, and no import of a name from a module that only re-imports it
  (take it from where it is defined: no re-export shims);
- views and CLI commands call services: they build no SQL (no ``sqlalchemy`` but its
  exceptions, no ``Model.query``) and use the session only to commit or roll back;
- one query language: only ``forum/search/query.py`` defines ``fold``, ``parse_query``
  and ``clean_query_text`` (both engines translate from it);
- ``forum/core/audit.py`` holds the audit log (``AuditEntry``, ``record_audit``): no other
  module defines an audit model or writer, or builds an ``AuditEntry`` itself.

Which imports count: every ``import`` and ``from … import`` anywhere in a file, at module
level, inside functions and under ``if TYPE_CHECKING:``. A function-level import only
changes *when* a dependency is loaded, not that it exists; counting it keeps an upward
arrow or a loop from hiding in a function. A package's ``__init__.py`` counts only for
what it imports itself (importing ``forum.x.y`` is an arrow to ``forum.x.y``, not to
``forum.x``): the packages' ``__init__.py`` files below ``forum/`` import nothing (checked too).

Only the standard library reads the code (``ast``, ``pathlib``); each check is also run on
a small tree with the violation it exists to catch, so that it cannot pass by reading
nothing.
"""
import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = (
    "core", "auth", "forums", "proposals", "votes", "moderation", "notifications",
    "search", "admin", "results", "api",
)  # fmt: skip
GROUND = ("forum.extensions",)  # the unbound extensions: the ground floor, with core
SEEDER = "forum.demo"  # composes every domain, like a CLI command
APP = ("forum", "forum.models")  # create_app and the metadata of every model
COMPOSERS = ("views", "cli")  # a domain's modules that may compose several domains


@dataclass(frozen=True)
class Import:
    path: Path  # relative to the tree's root
    line: int
    importer: str
    target: str  # the module it reaches
    name: str | None  # the name it takes from ``target``; None when it imports the module
    text: str  # as written

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py below ``root/package``."""
    files = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def parse(path: Path) -> ast.Module:
    return parse_text(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def parse_text(text: str, filename: str) -> ast.Module:
    return ast.parse(text, filename)


def absolute_module(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from … import`` names, with a relative one made absolute."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    return ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))


def known_prefix(dotted: str, modules) -> str | None:
    """The longest prefix of ``dotted`` that is one of ``modules``."""
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imports_of(root: Path, module: str, path: Path, modules) -> list[Import]:
    """Every import in ``path`` (any depth) that reaches one of ``modules``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    relative = path.relative_to(root)
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if target := known_prefix(alias.name, modules):
                    found.append(Import(relative, node.lineno, module, target, None, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node, package)
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                text = f"from {written} import {alias.name}"
                if f"{base}.{alias.name}" in modules:
                    found.append(Import(relative, node.lineno, module, f"{base}.{alias.name}", None, text))
                elif target := known_prefix(base, modules):
                    found.append(Import(relative, node.lineno, module, target, alias.name, text))
    return found


def all_imports(root: Path, packages=("forum",)) -> tuple[dict[str, Path], list[Import]]:
    modules = {}
    for package in packages:
        modules |= module_files(root, package)
    found = [imp for module, path in modules.items() for imp in imports_of(root, module, path, modules)]
    return modules, found


def domain(module: str) -> str | None:
    """``core`` for core and the extensions; a domain's name; None above every domain."""
    if module in GROUND:
        return "core"
    if module in APP or module == SEEDER or module.count(".") < 1:
        return None
    return module.split(".")[1]


def rank(module: str) -> float:
    place = domain(module)
    return float("inf") if place is None else LAYERS.index(place)


def is_composer(module: str) -> bool:
    return module == SEEDER or module.rpartition(".")[2] in COMPOSERS


def is_view_or_cli(module: str) -> bool:
    return module.rpartition(".")[2] in COMPOSERS


# --- the checks: each returns one line per violation, naming file, line and import ---


def unplaced_modules(root: Path) -> list[str]:
    """Modules whose place in the layers is not known (a new domain must be placed)."""
    problems = []
    for module, path in module_files(root, "forum").items():
        place = domain(module)
        if module.count(".") == 1 and path.name != "__init__.py" and module not in GROUND + APP + (SEEDER,):
            problems.append(f"{path.relative_to(root)}: a top-level module outside every layer; put it in a domain")
        elif path.name == "__init__.py" and module != "forum" and has_imports(parse(path)):
            problems.append(
                f"{path.relative_to(root)}: a package's __init__.py runs before each of its modules; "
                "keep imports out of it (import the module that defines the name)"
            )
        elif place is not None and place not in LAYERS:
            problems.append(
                f"{path.relative_to(root)}: domain {place!r} is not in LAYERS; "
                "add it in DESIGN.md §3's order (and to this test)"
            )
    return problems


def has_imports(tree: ast.Module) -> bool:
    return any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree))


def layer_violations(root: Path) -> list[str]:
    problems = []
    for imp in all_imports(root)[1]:
        source, target = imp.importer, imp.target
        if source == target or source in APP:
            continue
        if target in APP:
            problems.append(f"{imp.where()}: only create_app imports {target}")
        elif is_view_or_cli(target):
            problems.append(f"{imp.where()}: views and CLI commands are leaves, only create_app imports them")
        elif is_composer(source):
            continue
        elif domain(target) not in LAYERS:
            continue  # reported by unplaced_modules
        elif rank(target) > rank(source):
            problems.append(
                f"{imp.where()}: {domain(source)} imports from {domain(target) or target}, which is above it "
                f"(layers: {', '.join(LAYERS)}); call it from a view or CLI, or move the code down"
            )
    return problems


def upward_table_imports(root: Path) -> list[str]:
    problems = []
    for imp in all_imports(root)[1]:
        source, target = imp.importer, imp.target
        if domain(source) is None or target.rpartition(".")[2] != "models" or domain(target) not in LAYERS:
            continue
        if rank(target) > rank(source):
            problems.append(
                f"{imp.where()}: {domain(source)} reaches the tables of {domain(target)}, a domain above it; "
                f"call the services of {domain(target)} instead"
            )
    return problems


# Calls whose string arguments name tables or models: relationships, foreign keys, tables, raw SQL.
NAMING_CALLS = ("relationship", "ForeignKey", "table", "Table", "text")
# The audit log (core) names its actor's table by string, so that core imports no domain.
NAMED_UPWARD = {("forum/core/audit.py", "users"), ("forum/core/audit.py", "User")}


def table_owners(root: Path) -> dict[str, str]:
    """Every model class name and table name in a domain's models -> that domain."""
    owners = {}
    for module, path in module_files(root, "forum").items():
        if module.rpartition(".")[2] != "models" or domain(module) not in LAYERS:
            continue
        for node in parse(path).body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in item.targets)
                        and isinstance(item.value, ast.Constant)
                    ):
                        owners[node.name] = owners[item.value.value] = domain(module)
    return owners


def upward_table_names(root: Path) -> list[str]:
    """Tables of a domain above reached without an import: named in a string given to
    ``relationship``, ``ForeignKey``, ``table``/``Table`` or ``text`` (raw SQL), or in the
    string annotation of a relationship."""
    owners = table_owners(root)
    problems = []
    for module, path in module_files(root, "forum").items():
        if domain(module) not in LAYERS:
            continue
        where = path.relative_to(root)
        for line, text in naming_strings(parse(path)):
            for word in sorted(set(re.findall(r"[A-Za-z_]\w*", text))):
                owner = owners.get(word)
                if owner and rank(module) < LAYERS.index(owner) and (str(where), word) not in NAMED_UPWARD:
                    problems.append(
                        f"{where}:{line}: {text!r} names {word}, a table of {owner}, a domain above "
                        f"{domain(module)}; call the services of {owner} instead"
                    )
    return problems


def naming_strings(tree: ast.Module):
    """(line, text) of each string that names a table or model for SQLAlchemy."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted_name(node.func) or "").rpartition(".")[2] in NAMING_CALLS:
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                pieces = argument.values if isinstance(argument, ast.JoinedStr) else [argument]  # f-strings too
                for piece in pieces:
                    if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                        yield node.lineno, piece.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.value, ast.Call)
            and (dotted_name(node.value.func) or "").endswith("relationship")
        ):
            for part in ast.walk(node.annotation):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield node.lineno, part.value


def import_cycles(root: Path) -> list[str]:
    """One line per loop: the arrows that close it, each with file, line and import."""
    arrows: dict[str, dict[str, Import]] = {}
    for imp in all_imports(root)[1]:
        if imp.importer != imp.target:
            arrows.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    problems = []
    for component in strongly_connected(arrows):
        loop = one_loop(arrows, component)
        steps = [arrows[a][b] for a, b in zip(loop, loop[1:])]
        problems.append(" -> ".join(loop) + ": " + "; ".join(step.where() for step in steps))
    return problems


def strongly_connected(arrows: dict[str, dict[str, Import]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (size > 1)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in arrows.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return groups


def one_loop(arrows: dict[str, dict[str, Import]], group: set[str]) -> list[str]:
    """The shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(arrows.get(node, {})):
                if nxt == start:
                    return paths[node] + [start]
                if nxt in group and nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop in {group}")


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(root: Path) -> list[str]:
    modules, imports = all_imports(root, ("forum", "tests"))
    defined_by_import = {module: names_imported_at_top(parse(path)) for module, path in modules.items()}
    problems = []
    for imp in imports:
        if imp.importer == imp.target:
            continue
        if any(is_private(part) for part in imp.target.split(".")):
            problems.append(f"{imp.where()}: {imp.target} is private to its package")
        elif imp.name and is_private(imp.name):
            problems.append(f"{imp.where()}: {imp.name} is private to {imp.target}; make it public or move the caller")
        elif imp.name and imp.name in defined_by_import[imp.target]:
            problems.append(
                f"{imp.where()}: {imp.target} only re-imports {imp.name}; "
                f"import it from {defined_by_import[imp.target][imp.name]}"
            )
    for module, path in modules.items():
        problems += private_attribute_uses(root, module, path, modules)
    return problems


def names_imported_at_top(tree: ast.Module) -> dict[str, str]:
    """Names a module binds by a module-level import -> where they come from."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names[alias.asname or alias.name] = "." * node.level + (node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.partition(".")[0]] = alias.name
    return names


def private_attribute_uses(root: Path, module: str, path: Path, modules) -> list[str]:
    """``alias._name`` where ``alias`` is another of ``modules``, imported in this file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    bound = {}  # local name -> the dotted module name it stands for
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    bound[alias.asname] = alias.name
                elif not alias.asname and (head := alias.name.partition(".")[0]) in modules:
                    bound[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node, package)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    problems = []
    for node in ast.walk(parse(path)):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        dotted = dotted_name(node.value)
        if dotted is None or dotted.partition(".")[0] not in bound:
            continue
        head, _, rest = dotted.partition(".")
        target = bound[head] + ("." + rest if rest else "")
        if target in modules and target != module:
            problems.append(
                f"{path.relative_to(root)}:{node.lineno}: {dotted}.{node.attr} is private to {target}"
            )
    return problems


def dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted_name(node.value)):
        return f"{base}.{node.attr}"
    return None


# What a view or CLI command may do with the session itself: end the one transaction.
SESSION_ENDINGS = ("commit", "rollback")


def queries_in_views_and_clis(root: Path) -> list[str]:
    problems = []
    for module, path in module_files(root, "forum").items():
        if not is_view_or_cli(module):
            continue
        where = path.relative_to(root)
        tree = parse(path)
        sqlalchemy_names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                sqlalchemy_names |= {
                    alias.asname or alias.name.partition(".")[0]
                    for alias in node.names
                    if alias.name.partition(".")[0] == "sqlalchemy"
                }
            elif isinstance(node, ast.ImportFrom) and (node.module or "").partition(".")[0] == "sqlalchemy":
                if node.module != "sqlalchemy.exc":
                    names = ", ".join(alias.name for alias in node.names)
                    problems.append(f"{where}:{node.lineno}: from {node.module} import {names}: {QUERY_ADVICE}")
        inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or id(node) in inner:  # whole chains only
                continue
            dotted = dotted_name(node) or ""
            head, _, rest = dotted.partition(".")
            if head in sqlalchemy_names and rest and not (rest + ".").startswith(("exc.", "orm.exc.")):
                problems.append(f"{where}:{node.lineno}: {dotted}: {QUERY_ADVICE}")
            elif head == "db" and rest not in {f"session.{ending}" for ending in SESSION_ENDINGS}:
                problems.append(f"{where}:{node.lineno}: {dotted}: {QUERY_ADVICE}")
            elif node.attr == "query" and head[:1].isupper():  # Model.query
                problems.append(f"{where}:{node.lineno}: {dotted or '….query'}: {QUERY_ADVICE}")
    return problems


QUERY_ADVICE = "views and CLI commands call services, and only commit or roll back"
QUERY_LANGUAGE = "forum/search/query.py"
QUERY_FUNCTIONS = ("fold", "parse_query", "clean_query_text")


def query_language_elsewhere(root: Path) -> list[str]:
    problems = []
    for path in sorted((root / "forum").rglob("*.py")):
        where = path.relative_to(root)
        if str(where) == QUERY_LANGUAGE:
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in QUERY_FUNCTIONS:
                problems.append(f"{where}:{node.lineno}: def {node.name}: the query language lives in {QUERY_LANGUAGE}")
    return problems


AUDIT_MODULE = "forum/core/audit.py"


def audit_log_elsewhere(root: Path) -> list[str]:
    problems = []
    audit = root / AUDIT_MODULE
    defined = {node.name for node in parse(audit).body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    problems += [f"{AUDIT_MODULE}: does not define {name}" for name in sorted({"AuditEntry", "record_audit"} - defined)]
    for path in sorted((root / "forum").rglob("*.py")):
        if path == audit:
            continue
        where = path.relative_to(root)
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ClassDef) and "audit" in node.name.lower():
                problems.append(f"{where}:{node.lineno}: class {node.name}: the audit model lives in {AUDIT_MODULE}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "record_audit":
                problems.append(f"{where}:{node.lineno}: def record_audit: the audit log lives in {AUDIT_MODULE}")
            elif (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and "audit" in str(node.value.value)
            ):
                table = node.value.value
                problems.append(f"{where}:{node.lineno}: table {table!r}: the audit model lives in {AUDIT_MODULE}")
            elif isinstance(node, ast.Call) and (dotted_name(node.func) or "").rpartition(".")[2] == "AuditEntry":
                problems.append(f"{where}:{node.lineno}: builds an AuditEntry; write it with record_audit")
    return problems


# --- the code as it is ---


def report(problems: list[str]) -> str:
    return "\n".join(problems)


def test_every_module_has_a_place_in_the_layers():
    assert unplaced_modules(ROOT) == [], report(unplaced_modules(ROOT))


def test_each_domain_imports_only_from_below_and_views_and_clis_are_leaves():
    problems = layer_violations(ROOT)
    assert problems == [], report(problems)


def test_no_domain_reaches_the_tables_of_a_domain_above_it():
    problems = upward_table_imports(ROOT) + upward_table_names(ROOT)
    assert problems == [], report(problems)


def test_no_import_loop_in_forum():
    problems = import_cycles(ROOT)
    assert problems == [], report(problems)


def test_no_cross_file_private_imports_or_re_exports():
    problems = private_imports(ROOT)
    assert problems == [], report(problems)


def test_views_and_clis_call_services():
    problems = queries_in_views_and_clis(ROOT)
    assert problems == [], report(problems)


def test_one_query_language_for_both_engines():
    problems = query_language_elsewhere(ROOT)
    assert problems == [], report(problems)


def test_the_audit_log_lives_in_core_audit_only():
    problems = audit_log_elsewhere(ROOT)
    assert problems == [], report(problems)


def test_the_checks_read_the_whole_package():
    """Guards the checks above against passing by reading nothing."""
    modules, imports = all_imports(ROOT)
    arrows = {(imp.importer, imp.target) for imp in imports}
    assert ("forum.proposals.services", "forum.forums.services") in arrows  # module level
    assert ("forum", "forum.proposals.views") in arrows  # inside create_app's helpers
    assert {"core", "auth", "forums", "proposals", "votes", "search"} <= {domain(module) for module in modules}


# --- each check catches the violation it exists for ---


def write_tree(root: Path, files: dict[str, str]) -> Path:
    tree = {
        "forum/__init__.py": "def create_app():\n    from forum.proposals import views\n",
        "forum/extensions.py": "db = object()\n",
        "forum/core/__init__.py": "",
        "forum/core/audit.py": "class AuditEntry:\n    pass\n\n\ndef record_audit():\n    pass\n",
        "forum/forums/__init__.py": "",
        "forum/forums/models.py": "from forum.extensions import db\n",
        "forum/forums/services.py": "from forum.extensions import db\nfrom forum.forums import models\n",
        "forum/forums/views.py": "from forum.proposals.services import list_proposals\n",
        "forum/proposals/__init__.py": "",
        "forum/proposals/models.py": "from forum.forums import models\n\n\nclass Proposal:\n    __tablename__ = 'proposals'\n",
        "forum/proposals/services.py": "from forum.forums.services import get_forum\n\n\ndef list_proposals():\n    pass\n",
        "forum/proposals/views.py": "from forum.forums.services import get_forum\n",
        "tests/__init__.py": "",
    } | files
    for name, text in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("check", "files", "expected"),
    [
        (unplaced_modules, {"forum/exports/services.py": ""}, "forum/exports/services.py: domain 'exports'"),
        (unplaced_modules, {"forum/helpers.py": ""}, "forum/helpers.py: a top-level module outside every layer"),
        (
            unplaced_modules,
            {"forum/forums/__init__.py": "from forum.forums.services import get_forum\n"},
            "forum/forums/__init__.py: a package's __init__.py runs before each of its modules",
        ),
        (
            layer_violations,
            {"forum/forums/services.py": "def f():\n    from forum.proposals.services import list_proposals\n"},
            "forum/forums/services.py:2: from forum.proposals.services import list_proposals: forums imports from proposals",
        ),
        (
            layer_violations,
            {"forum/core/text.py": "import forum.forums.models\n"},
            "forum/core/text.py:1: import forum.forums.models: core imports from forums",
        ),
        (
            layer_violations,
            {"forum/forums/views.py": "from forum.proposals import views\n"},
            "forum/forums/views.py:1: from forum.proposals import views: views and CLI commands are leaves",
        ),
        (
            upward_table_imports,
            {"forum/forums/cli.py": "from forum.proposals.models import Proposal\n"},
            "forum/forums/cli.py:1: from forum.proposals.models import Proposal: forums reaches the tables of proposals",
        ),
        (
            upward_table_names,
            {"forum/forums/models.py": "import sqlalchemy.orm as so\n\n\nclass Forum:\n    proposals = so.relationship('Proposal')\n"},
            "forum/forums/models.py:5: 'Proposal' names Proposal, a table of proposals",
        ),
        (
            upward_table_names,
            {"forum/auth/models.py": "class User:\n    count: 'Mapped[list[Proposal]]' = relationship()\n"},
            "forum/auth/models.py:2: 'Mapped[list[Proposal]]' names Proposal, a table of proposals",
        ),
        (
            upward_table_names,
            {"forum/forums/services.py": "import sqlalchemy as sa\n\nsa.text(f'SELECT {n} FROM proposals')\n"},
            "forum/forums/services.py:3: ' FROM proposals' names proposals, a table of proposals",
        ),
        (
            upward_table_names,
            {"forum/forums/models.py": "import sqlalchemy as sa\n\nsa.ForeignKey('proposals.id')\n"},
            "forum/forums/models.py:3: 'proposals.id' names proposals, a table of proposals",
        ),
        (
            import_cycles,
            {"forum/forums/models.py": "from forum.extensions import db\n\n\ndef f():\n    from forum.forums import services\n"},
            "forum.forums.models -> forum.forums.services -> forum.forums.models: "
            "forum/forums/models.py:5: from forum.forums import services; "
            "forum/forums/services.py:2: from forum.forums import models",
        ),
        (
            private_imports,
            {"forum/proposals/views.py": "from forum.forums.services import _visible\n"},
            "forum/proposals/views.py:1: from forum.forums.services import _visible: _visible is private",
        ),
        (
            private_imports,
            {"tests/test_x.py": "from forum.forums import services as s\n\ns._visible()\n"},
            "tests/test_x.py:3: s._visible is private to forum.forums.services",
        ),
        (
            private_imports,
            {"forum/proposals/views.py": "import forum.forums.services\n\nforum.forums.services._visible()\n"},
            "forum/proposals/views.py:3: forum.forums.services._visible is private to forum.forums.services",
        ),
        (
            private_imports,
            {"forum/proposals/views.py": "from forum.forums.services import db\n"},
            "forum/proposals/views.py:1: from forum.forums.services import db: forum.forums.services only re-imports db",
        ),
        (
            queries_in_views_and_clis,
            {"forum/forums/views.py": "import sqlalchemy as sa\n\nsa.select(1)\n"},
            "forum/forums/views.py:3: sa.select: views and CLI commands call services",
        ),
        (
            queries_in_views_and_clis,
            {"forum/forums/cli.py": "from forum.extensions import db\n\ndb.session.execute(1)\ndb.session.commit()\n"},
            "forum/forums/cli.py:3: db.session.execute: views and CLI commands call services",
        ),
        (
            queries_in_views_and_clis,
            {"forum/forums/views.py": "from sqlalchemy import select\n"},
            "forum/forums/views.py:1: from sqlalchemy import select: views and CLI commands call services",
        ),
        (
            query_language_elsewhere,
            {"forum/search/postgres/tsquery.py": "def fold(text):\n    return text\n"},
            "forum/search/postgres/tsquery.py:1: def fold: the query language lives in forum/search/query.py",
        ),
        (
            audit_log_elsewhere,
            {"forum/forums/models.py": "class ForumAudit:\n    __tablename__ = 'forum_audit'\n"},
            "forum/forums/models.py:1: class ForumAudit",
        ),
        (
            audit_log_elsewhere,
            {"forum/forums/services.py": "from forum.core.audit import AuditEntry\n\nAuditEntry()\n"},
            "forum/forums/services.py:3: builds an AuditEntry",
        ),
    ],
)
def test_each_check_catches_its_violation(tmp_path, check, files, expected):
    assert check(write_tree(tmp_path, {})) == []
    problems = check(write_tree(tmp_path, files))
    assert any(problem.startswith(expected) for problem in problems), report(problems)
