"""Every page of the web UI checked with axe-core (WCAG 2.1 A and AA) in a
real headless Chromium: gunicorn on a free port, a real worker crawling a
real PostgreSQL target (tests/browser_helpers.py). The pages are those of
tests/ui_pages.py, which also fails when a page of the UI blueprint is
missing from its list. axe-core comes from node_modules (package.json)."""

from __future__ import annotations

import re

import pytest

from .browser_helpers import chromium as chromium  # the module fixture
from .browser_helpers import expect
from .crawl_helpers import catalog_conn
from .ui_pages import AXE, PAGES, missing_rules, pages_world, violations, visit
from .ui_pages import server as server  # the module fixture

pytestmark = pytest.mark.shared_catalog


@pytest.fixture(scope="module")
def world(chromium, server, catalog_url):
    yield from pages_world(chromium, server, catalog_url, "mc_ui_a11y", 1280, 900)


def test_every_get_page_of_the_ui_is_in_the_list():
    assert not missing_rules(PAGES), "add a line to tests/ui_pages.py PAGES (or NOT_PAGES) for each"


def test_axe_core_is_installed_from_npm():
    assert AXE.is_file(), "run scripts/setup.sh (npm ci installs axe-core from package.json)"


@pytest.mark.parametrize("page_of", PAGES, ids=[p.name for p in PAGES])
def test_page_has_no_wcag_violations(chromium, server, world, page_of):
    person, ids = world
    context = person.context if page_of.signed_in else chromium.new_context(base_url=server)
    page = context.new_page()
    try:
        response = page.goto(page_of.url.format(**ids))
        assert response.status == page_of.status
        expect(page.locator(page_of.ready).first).to_be_visible()
        found = violations(page)
        assert not found, f"{page_of.name}: {len(found)} problems\n" + "\n".join(found)
    finally:
        page.close()
        if not page_of.signed_in:
            context.close()


def test_search_suggestions_open_have_no_wcag_violations(world):
    with visit(world[0].context, "/sources") as page:
        page.get_by_role("searchbox", name="Search tables and columns").fill("custom")
        expect(page.locator("#suggest a").first).to_be_visible()
        # the count is told in a live region that stays in place
        expect(page.locator("#suggest-count")).to_have_text(re.compile(r"^\d+ tables and columns match “custom”"))
        found = violations(page)
        assert not found, "\n".join(found)


def test_crawl_progress_is_told_in_one_live_region_that_stays(world, catalog_url):
    """The section is replaced every second; the status line a screen reader
    follows is the same element throughout, its text changed."""
    ids = world[1]
    with visit(world[0].context, f"/crawls/{ids['crawl_running']}") as page:
        said = page.locator("#crawl-said")
        expect(said).to_have_text("Crawling: 12 of 40 tables.")
        expect(said).to_have_attribute("aria-live", "polite")
        said.evaluate("e => { e.dataset.first = 'yes' }")
        set_job(catalog_url, ids["crawl_running"], "tables_done = 30")
        expect(said).to_have_text("Crawling: 30 of 40 tables.")
        set_job(catalog_url, ids["crawl_running"], "state = 'succeeded', finished_at = now(), stats = NULL")
        expect(said).to_have_text("The crawl is done.")
        expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded")
        expect(page.locator("#crawl-said[data-first=yes]")).to_have_count(1)  # never replaced
        expect(page.locator("#crawl-progress[aria-live]")).to_have_count(0)  # the section is no live region


def set_job(catalog_url: str, job: int, values: str) -> None:
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"UPDATE crawl_jobs SET {values} WHERE id = %s", (job,))
    finally:
        conn.close()


FOCUS = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  let under = el.parentElement;  // the ring is drawn 2 px outside the element, on what is behind it
  while (under && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(under).backgroundColor)) {
    under = under.parentElement;
  }
  return {what: el.outerHTML.slice(0, 80), ring: style.outlineStyle + ' ' + style.outlineColor,
          under: under ? getComputedStyle(under).backgroundColor : 'rgb(255, 255, 255)'};
}"""


def luminance(css: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_focus_ring_stands_out_wherever_tab_goes(world):
    """WCAG 1.4.11: the focus ring at 3:1 at least against what is behind it (header, page, buttons)."""
    with visit(world[0].context, "/sources/{source}".format(**world[1])) as page:
        seen = []
        for _ in range(30):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS)
            if focus["what"].startswith("<body"):  # past the last element: the browser's own controls
                continue
            style, colour = focus["ring"].split(" ", 1)
            lighter, darker = sorted((luminance(colour), luminance(focus["under"])), reverse=True)
            seen.append(((lighter + 0.05) / (darker + 0.05), style, focus))
        assert all(style == "solid" for _, style, _ in seen), [s for s in seen if s[1] != "solid"]
        assert min(ratio for ratio, _, _ in seen) >= 3, min(seen, key=lambda s: s[0])
        assert {s[2]["under"] for s in seen} >= {"rgb(20, 50, 79)", "rgb(255, 255, 255)"}  # header and page
