"""The repository holds only the project's own files: nothing under .venv/ and
nothing .gitignore ignores (virtualenvs, caches, installed assets, results)."""

from __future__ import annotations

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
