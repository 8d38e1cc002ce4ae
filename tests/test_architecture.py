"""The floors of the house, read from the code's own imports (every import,
at the top of a module or inside a function):

    api, worker          the web process and the Celery workers, side by side
    crawl                the crawl's steps: a target's tables into the catalog
    catalog, engines     the catalog (PostgreSQL) and the targets, side by side
    bench                the benchmark: anything but api and worker

Each package imports only the floors below it (and its own modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "worker", "crawl", "catalog", "engines", "bench")
# what each package may import of the project's other packages
ALLOWED = {
    "engines": set(),
    "catalog": set(),
    "crawl": {"catalog", "engines"},
    "api": {"catalog", "engines", "crawl"},
    "worker": {"catalog", "engines", "crawl"},
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
