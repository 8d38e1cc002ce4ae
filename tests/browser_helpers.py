"""What the Chromium tests share (tests/test_ui_browser.py and the page tests
that drive a browser): Debian's chromium through Playwright, one browser per
module (the `chromium` fixture, imported by each module), a person's context
keeping every HTML answer, and signing up through the forms."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("METACRAWL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 90_000  # ms, for a crawl to end; pages answer far sooner

if not Path(CHROMIUM).exists() or shutil.which("dot") is None:
    if os.environ.get("CI"):
        raise RuntimeError(f"browser tests need {CHROMIUM} and Graphviz: run scripts/setup.sh")
    pytest.skip(f"{CHROMIUM} or Graphviz missing (scripts/setup.sh installs them)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium(request):
    pw = playwright_api.sync_playwright().start()
    request.addfinalizer(pw.stop)
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    request.addfinalizer(browser.close)
    return browser


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request, catalog_url):
    """gunicorn for a module of shared_catalog tests (imported by each such
    module, as `chromium`); the catalog is emptied after the module."""
    from .conftest import serve_app, truncate_catalog

    yield serve_app(test_env, tmp_path_factory, request)
    truncate_catalog(catalog_url)


class Person:
    """One person's browser context; every HTML answer it receives is kept."""

    def __init__(self, chromium, base: str, width: int = 1280, height: int = 900):
        self.context = chromium.new_context(base_url=base, viewport={"width": width, "height": height})
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.html: list[str] = []
        self.page.on("response", self._keep)

    def _keep(self, response):
        if "text/html" in response.headers.get("content-type", "") and response.status < 300:
            # a body already gone (the page navigated on) cannot be kept; the count is checked at the end
            with contextlib.suppress(Exception):
                self.html.append(response.text())


@contextlib.contextmanager
def person_at(chromium, base: str, cookies: list, width: int):
    """A signed-in person (their `cookies`) at a screen `width`: a phone's
    height at phone widths; the context closed after."""
    person = Person(chromium, base, width=width, height=900 if width > 400 else 844)
    try:
        person.context.add_cookies(cookies)
        yield person
    finally:
        person.context.close()


def sign_up(page, email: str) -> None:
    """Register through the form, then sign in."""
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Password again").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/login\?registered=1$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sources$"))


def add_pg_source(page, name: str, sql: str, prefix: str, password: str) -> None:
    """Add a new PostgreSQL target (made by `sql` in a database named from
    `prefix`, dropped afterwards) through the form, and wait on its progress
    page for the first crawl to succeed."""
    from .targets import pg_database, pg_execute

    with pg_database(prefix) as target:
        pg_execute(target, sql)
        add_pg_database(page, name, target, password)


def add_pg_database(page, name: str, database: str, password: str) -> None:
    """Add a PostgreSQL source of an existing database through the form and wait for its first crawl to succeed."""
    from .targets import pg_params

    p = pg_params()
    page.goto("/sources/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Host").fill(p["host"])
    page.get_by_label("Port").fill(str(p["port"]))
    page.get_by_label("Database").fill(database)
    page.get_by_label("User").fill(p["username"])
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Add and crawl").click()
    expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
