"""The exports and diff pages in a real headless Chromium (as
tests/test_ui_insights_browser.py, with tests/browser_helpers.py: gunicorn on
a free port, a real worker crawling real PostgreSQL targets): two sources
added through the form, one lacking a column of the other; each page at
1280 px and at 390 px, nothing wider than the screen, and a download."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from .browser_helpers import TIMEOUT, Person, expect, sign_up
from .browser_helpers import chromium as chromium  # the module fixture: one Chromium for these tests too
from .conftest import serve_app, truncate_catalog
from .targets import pg_database, pg_execute, pg_params

pytestmark = pytest.mark.shared_catalog

SHOP = """
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint PRIMARY KEY, note text);
CREATE TABLE public.customer_with_a_rather_long_name_to_wrap (id bigint PRIMARY KEY, name text);
"""
STAGING = SHOP + "ALTER TABLE public.customer_with_a_rather_long_name_to_wrap ADD COLUMN email text;"


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request, catalog_url):
    yield serve_app(test_env, tmp_path_factory, request)
    truncate_catalog(catalog_url)


def _add(page, name: str, database: str) -> str:
    p = pg_params()
    page.goto("/sources/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Host").fill(p["host"])
    page.get_by_label("Port").fill(str(p["port"]))
    page.get_by_label("Database").fill(database)
    page.get_by_label("User").fill(p["username"])
    page.get_by_label("Password").fill("pw-exports-browser")
    page.get_by_role("button", name="Add and crawl").click()
    expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
    page.get_by_role("link", name="Overview").click()
    return page.url


@pytest.fixture(scope="module")
def sources(chromium, server):
    """A signed-in person's two sources, crawled: (cookies, shop's page)."""
    person = Person(chromium, server)
    try:
        page = person.page
        sign_up(page, "exports.browser@example.com")
        with pg_database("mc_ui_exports_b1") as shop_db, pg_database("mc_ui_exports_b2") as staging_db:
            pg_execute(shop_db, SHOP)
            pg_execute(staging_db, STAGING)
            shop = _add(page, "shop", shop_db)
            _add(page, "staging", staging_db)
        return person.context.cookies(), shop
    finally:
        person.context.close()


@contextlib.contextmanager
def on_tab(chromium, server, sources, width: int, tab: str):
    """The person's browser at `width` px, signed in, on shop's `tab` (from its page's navigation)."""
    cookies, shop = sources
    person = Person(chromium, server, width=width, height=900 if width > 400 else 844)
    try:
        person.context.add_cookies(cookies)
        page = person.page
        page.goto(shop)
        page.get_by_role("navigation", name="Source").get_by_role("link", name=tab).click()
        yield page
    finally:
        person.context.close()


def _fits(page, width: int, shot: Path) -> None:
    """Nothing wider than the screen (a screenshot kept for a person to look at)."""
    used = page.evaluate("document.documentElement.scrollWidth")
    assert used <= width, used
    page.screenshot(path=str(shot), full_page=True)


def download_json(page, within) -> tuple[str, dict]:
    """Click the JSON link `within` a part of the page: the file's name and its document."""
    with page.expect_download() as download:
        within.get_by_role("link", name="JSON", exact=True).click()
    return download.value.suggested_filename, json.loads(Path(download.value.path()).read_text())


@pytest.mark.parametrize("width", [1280, 390])
def test_the_export_page_downloads_at_desktop_and_phone_width(chromium, server, sources, width, tmp_path):
    with on_tab(chromium, server, sources, width, "Export") as page:
        expect(page.get_by_role("heading", level=2, name="Download the whole source")).to_be_visible()
        _fits(page, width, tmp_path / f"export-all-{width}.png")
        page.get_by_label("Schema").select_option("sales")  # htmx swaps the links in as the choice changes
        expect(page.get_by_role("heading", level=2, name="Download schema sales")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/export\?schema=sales$"))
        _fits(page, width, tmp_path / f"export-{width}.png")
        name, doc = download_json(page, page.locator("#formats"))
        assert name.endswith("-sales-schema.json")
        assert [t["name"] for t in doc["tables"]] == ["orders"]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_diff_page_at_desktop_and_phone_width(chromium, server, sources, width, tmp_path):
    with on_tab(chromium, server, sources, width, "Diff") as page:
        _fits(page, width, tmp_path / f"diff-form-{width}.png")
        staging = page.locator("#f-against option", has_text="staging").inner_text()
        page.get_by_label("Another source").select_option(label=staging)
        page.get_by_role("button", name="Compare").click()
        diff = page.locator("#diff")
        expect(diff).to_contain_text("From staging")
        expect(diff.locator(".diff-table", has_text="customer_with_a_rather_long_name_to_wrap")).to_contain_text(
            "breaking column email removed"
        )
        _fits(page, width, tmp_path / f"diff-{width}.png")
        name, doc = download_json(page, diff)
        assert re.fullmatch(r"source-\d+-diff-\d+\.json", name), name
        assert doc["tables"][0]["columns_only_in_against"] == ["email"]
