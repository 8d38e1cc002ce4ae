"""The insights page in a real headless Chromium (as tests/test_ui_browser.py, with tests/browser_helpers.py:
gunicorn on a free port, a real worker crawling a real PostgreSQL target):
a source added through the form, its findings grouped with their fixes and
copy buttons at 1280 px and at 390 px, nothing wider than a phone's screen."""

from __future__ import annotations

import re

import pytest

from .browser_helpers import Person, add_pg_source, expect, person_at, sign_up
from .browser_helpers import chromium as chromium  # the module fixture: one Chromium for these tests too
from .browser_helpers import server as server  # gunicorn for the module, the catalog emptied after it
from .insight_helpers import BAD_PG

pytestmark = pytest.mark.shared_catalog


@pytest.fixture(scope="module")
def insights_url(chromium, server):
    """A signed-in person's source, crawled, with its insights computed: (cookies, the page's path)."""
    person = Person(chromium, server)
    try:
        page = person.page
        sign_up(page, "insights.browser@example.com")
        add_pg_source(page, "lint", BAD_PG, "mc_ui_insights_browser", "pw-insights-browser")
        page.get_by_role("link", name="Overview").click()
        page.get_by_role("link", name="Insights", exact=True).click()
        url = page.url
        for _ in range(120):  # insights follow the crawl in their own task
            if "Computed" in page.locator("main").inner_text():
                break
            page.wait_for_timeout(500)
            page.reload()
        return person.context.cookies(), url
    finally:
        person.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_insights_page_at_desktop_and_phone_width(chromium, server, insights_url, width, tmp_path):
    cookies, url = insights_url
    with person_at(chromium, server, cookies, width) as person:
        person.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page = person.page
        page.goto(url)
        expect(page.get_by_role("heading", level=2, name="Findings")).to_be_visible()
        expect(page.locator("#rule-duplicate_index")).to_contain_text("public.child.child_a_again")
        expect(page.locator("#coverage")).to_contain_text("have a database comment or a curated description")
        copy = page.locator("#rule-duplicate_index button.copy").first
        expect(copy).to_be_visible()
        fix = page.locator("#rule-duplicate_index pre.sql").first.inner_text()
        assert "DROP INDEX" in fix
        copy.click()
        expect(copy).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == fix
        # the owner may ignore: the button is there and reachable
        expect(page.locator("#rule-duplicate_index").get_by_role("button", name="Ignore").first).to_be_visible()
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, width_used
        page.screenshot(path=str(tmp_path / f"insights-{width}.png"), full_page=False)
        assert re.search(r"/sources/\d+/insights$", page.url)
