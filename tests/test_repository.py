"""The repository holds only the project's own files: nothing under .venv/ and
nothing .gitignore ignores (virtualenvs, caches, installed assets, results);
and the tests share their helpers through helper modules, never by importing
another test module (which would also collect its tests twice)."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> list[str]:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return _git("ls-files")


def test_no_virtualenv_is_tracked(tracked):
    assert [p for p in tracked if p.startswith(".venv/") or "/site-packages/" in p] == []


def test_nothing_ignored_is_tracked(tracked):
    assert _git("ls-files", "--cached", "--ignored", "--exclude-standard") == []


def _imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom):  # `from .test_x import y` and `from . import test_x`
            names = [node.module or ""] + [a.name for a in node.names]
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [n for n in names if n.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_test_module_imports_another():
    imports = {str(p.relative_to(ROOT)): _imported_test_modules(p) for p in (ROOT / "tests").rglob("*.py")}
    assert {k: v for k, v in imports.items() if v} == {}
