"""The floors of the house, read from the code's own imports (every import,
at the top of a module or inside a function):

    api, worker, gate    the web process, the Celery workers and the user's CLI (the
                         schema gate), side by side
    crawl                the crawl's steps: a target's tables into the catalog
    catalog, engines     the catalog (PostgreSQL) and the targets, side by side
    bench                the benchmark: anything but api and worker

Each package imports only the floors below it (and its own modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "worker", "gate", "crawl", "catalog", "engines", "bench")
# what each package may import of the project's other packages
ALLOWED = {
    "engines": set(),
    "catalog": set(),
    "crawl": {"catalog", "engines"},
    "api": {"catalog", "engines", "crawl"},
    "worker": {"catalog", "engines", "crawl"},
    "gate": {"catalog", "engines", "crawl"},
    "bench": {"catalog", "engines", "crawl"},
}


def imports_of(path: Path) -> set[str]:
    """The project packages a module imports (absolute imports; relative
    ones stay inside its own package, or climb to a sibling: resolved)."""
    package = path.relative_to(ROOT).parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level:
                found.add(package[0])  # `from ..x import y` never leaves the top-level package
    return found & set(PACKAGES)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_floors_below_it(package):
    wrong = {str(p.relative_to(ROOT)): sorted(imports_of(p) - ALLOWED[package] - {package}) for p in modules(package)}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_rule_sees_a_wrong_import(tmp_path, monkeypatch):
    """The check itself: an engine module importing the catalog is caught,
    also when the import hides inside a function."""
    fake = tmp_path / "engines" / "x.py"
    fake.parent.mkdir()
    fake.write_text("def f():\n    from catalog.models import Source\n    return Source\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert imports_of(fake) == {"catalog"}


# The API's view layer (STYLE.md lessons 6, 11, 13): a routes module answers
# HTTP and calls its area's views; it never imports another area's routes,
# and the web UI's pages call the same views, never a routes module.


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, as a dotted name: relative imports
    resolved, and `from x import y` counted as both x and x.y (y may be a module)."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return found


def routes_imported(path: Path) -> set[str]:
    """The api routes modules a file imports, other than itself."""
    itself = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return {m for m in imported_modules(path) if m.startswith("api.") and m.endswith(".routes") and m != itself}


def test_routes_never_import_routes_and_pages_import_no_routes():
    routes = {p: routes_imported(p) for p in (ROOT / "api").rglob("routes.py")}
    pages = {p: routes_imported(p) for p in (ROOT / "api" / "ui").glob("views_*.py")}
    assert routes and pages
    wrong = {str(p.relative_to(ROOT)): sorted(found) for p, found in {**routes, **pages}.items() if found}
    assert wrong == {}


def test_the_routes_rule_sees_a_route_importing_a_route(tmp_path, monkeypatch):
    """The check itself: a route taking another area's route, relatively or
    not, and a page taking a route, are caught; a route's own views are not."""
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    route = tmp_path / "api" / "tables" / "routes.py"
    route.parent.mkdir(parents=True)
    route.write_text("from ..changes.routes import history_by_id\nfrom .views import x\nimport api.sources.routes\n")
    assert routes_imported(route) == {"api.changes.routes", "api.sources.routes"}
    page = tmp_path / "api" / "ui" / "views_x.py"
    page.parent.mkdir(parents=True)
    page.write_text("def f():\n    from ..crawls import routes\n    return routes\n")
    assert routes_imported(page) == {"api.crawls.routes"}
    fine = tmp_path / "api" / "changes" / "routes.py"
    fine.parent.mkdir(parents=True)
    fine.write_text("from .views import change_page\nfrom ..paths import raw_path_segments\n")
    assert routes_imported(fine) == set()


# No SQL under api/: catalog reads and writes are catalog functions (catalog/),
# which the API and the UI call. A statement is built by SQLAlchemy's text(),
# select(), insert(), update() or delete(), however they are imported.
STATEMENTS = {"text", "select", "insert", "update", "delete"}


def sql_statements(path: Path) -> list[str]:
    """The calls in a module that build an SQLAlchemy statement, as 'line: name'."""
    tree = ast.parse(path.read_text())
    names: dict[str, str] = {}  # local name -> SQLAlchemy's name
    modules: set[str] = set()  # local names of sqlalchemy modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "sqlalchemy":
            names |= {a.asname or a.name: a.name for a in node.names if a.name in STATEMENTS}
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            found.append((node.lineno, names[func.id]))
        elif isinstance(func, ast.Attribute) and func.attr in STATEMENTS and ast.unparse(func.value) in modules:
            found.append((node.lineno, func.attr))
    return [f"{line}: {name}" for line, name in sorted(found)]


def test_no_sql_statement_is_built_under_api():
    wrong = {str(p.relative_to(ROOT)): sql_statements(p) for p in modules("api")}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_sql_rule_sees_a_statement(tmp_path):
    """The check itself: text() under another name, select() of a dialect
    module and sqlalchemy.delete() are caught; a dict's update() and a
    session's delete() are not."""
    fake = tmp_path / "x.py"
    fake.write_text(
        "import sqlalchemy\n"
        "from sqlalchemy import text as sql\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
        "def f(session, d):\n"
        "    session.execute(sql('SELECT 1'))\n"
        "    session.execute(insert(d))\n"
        "    session.execute(sqlalchemy.delete(d))\n"
        "    d.update({})\n"
        "    session.delete(d)\n"
    )
    assert sql_statements(fake) == ["5: text", "6: insert", "7: delete"]


# Sizes: a unit a contributor can read in one sitting. The engines' SQL and
# row parsers (one module per engine, its queries beside the code that reads
# their rows) are the one exception to the module limit; migrations and tests
# are not counted.
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500
SQL_AND_PARSER_MODULES = {"engines/postgres.py", "engines/mysql.py", "engines/sqlite.py"}


def long_units(path: Path, relative: str) -> list[str]:
    """Functions over MAX_FUNCTION_LINES (decorators included) and the module
    itself over MAX_MODULE_LINES, as 'name: lines'."""
    text = path.read_text()
    found = []
    lines = text.count("\n")
    if lines > MAX_MODULE_LINES and relative not in SQL_AND_PARSER_MODULES:
        found.append(f"(module): {lines}")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{node.name}: {length}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_over_80_lines_and_no_module_over_500(package):
    wrong = {str(p.relative_to(ROOT)): long_units(p, str(p.relative_to(ROOT))) for p in modules(package)}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_size_rule_sees_a_long_unit(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(81))
    fake = tmp_path / "x.py"
    fake.write_text("@decorated\ndef long():\n" + body + "\n" * 420)
    assert long_units(fake, "catalog/x.py") == ["(module): 503", "long: 83"]
    assert long_units(fake, "engines/postgres.py") == ["long: 83"]


def test_the_optional_document_parts_are_one_list_on_both_floors():
    # engines/ writes them into a table's document and catalog/ stages and
    # compares them; the floors keep the two modules from importing each
    # other, so the two spellings of the list must agree
    from catalog.staging import OPTIONAL_KEYS
    from engines.documents import OPTIONAL_PARTS

    assert OPTIONAL_KEYS == OPTIONAL_PARTS
