"""Every page of the web UI on a phone, 390 px wide, in a real headless
Chromium (gunicorn, a real worker crawling a real PostgreSQL target; the
pages of tests/ui_pages.py): no page is wider than the screen, the lists
are cards showing every field, wide tables and diagrams scroll inside their
own box, and the charts' labels are at least 11 px as drawn."""

from __future__ import annotations

import pytest

from .browser_helpers import chromium as chromium  # the module fixture
from .browser_helpers import expect
from .ui_pages import PAGES, TABLE, pages_world, violations, visit
from .ui_pages import server as server  # the module fixture

WIDTH, HEIGHT = 390, 844

pytestmark = pytest.mark.shared_catalog


@pytest.fixture(scope="module")
def world(chromium, server, catalog_url):
    yield from pages_world(chromium, server, catalog_url, "mc_ui_mobile", WIDTH, HEIGHT)


def phone_page(chromium, server, world, signed_in=True):
    person, _ = world
    if signed_in:
        return person.context.new_page()
    return chromium.new_context(base_url=server, viewport={"width": WIDTH, "height": HEIGHT}).new_page()


@pytest.mark.parametrize("page_of", PAGES, ids=[p.name for p in PAGES])
def test_no_page_is_wider_than_the_phone_nor_fails_axe(chromium, server, world, page_of):
    page = phone_page(chromium, server, world, page_of.signed_in)
    try:
        response = page.goto(page_of.url.format(**world[1]))
        assert response.status == page_of.status
        expect(page.locator(page_of.ready).first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{page_of.name} is {width} px wide"
        found = violations(page)  # at this width too: a box that scrolls only here must take the focus
        assert not found, f"{page_of.name}: {len(found)} problems\n" + "\n".join(found)
    finally:
        page.close()
        if not page_of.signed_in:
            page.context.close()


CARD_FIELDS = """(table) => Array.from(table.querySelectorAll('tbody tr')).map(tr =>
  Array.from(tr.cells).map(td => {
    const r = td.getBoundingClientRect();
    return {label: getComputedStyle(td, '::before').content, text: td.innerText.trim(),
            shown: getComputedStyle(td).display !== 'none' && r.width > 0, left: r.left, right: r.right};
  }))"""


def assert_cards(page, labels: list[str]) -> None:
    """Each row a card: every field shown, after its column's name, inside the screen."""
    rows = page.locator("table.cards").evaluate(CARD_FIELDS)
    assert rows
    for cells in rows:
        # the column's name before each value, for the eyes ("Name: " / "": a screen reader has the header)
        assert [c["label"] for c in cells] == [f'"{label}: " / ""' for label in labels]
        for label, cell in zip(labels, cells, strict=True):
            assert cell["shown"] and cell["text"], (label, cell)
            assert cell["left"] >= 0 and cell["right"] <= WIDTH, (label, cell)


def test_the_sources_list_is_cards_with_every_field(world):
    with visit(world[0].context, "/sources") as page:
        assert_cards(page, ["Name", "Team", "Engine", "Freshness", "Last crawl", "Next crawl"])
        shop = page.locator("table.cards tbody tr", has_text="shop")
        expect(shop.locator("td[data-label='Last crawl']")).to_have_text("succeeded")
        expect(shop.locator("td[data-label='Next crawl']")).not_to_be_empty()


def test_the_tables_list_is_cards_with_every_field(world):
    with visit(world[0].context, "/sources/{source}/tables?schema=sales".format(**world[1])) as page:
        assert_cards(page, ["Table", "Kind", "Columns", "Rows", "Size", "Changed"])


def test_the_columns_table_scrolls_in_its_own_box(world):
    with visit(world[0].context, TABLE.format(**world[1])) as page:
        box = page.locator("#columns .scroll")
        expect(box.get_by_role("columnheader", name="Default")).to_be_attached()
        assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # wider than the phone: it scrolls...
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # ...and the page does not
        box.scroll_into_view_if_needed()
        box.evaluate("b => { b.scrollLeft = b.scrollWidth }")
        expect(box.get_by_role("columnheader", name="Description")).to_be_in_viewport()
        # the keyboard scrolls it too: it takes the focus, named after its section, while it scrolls...
        expect(box).to_have_attribute("tabindex", "0")
        expect(page.get_by_role("region", name="Columns (scrolls)")).to_have_count(1)
        # ...and on a wide screen, where it does not, it is no tab stop
        page.set_viewport_size({"width": 1280, "height": 900})
        expect(box).not_to_have_attribute("tabindex", "0")


def test_the_diagram_pans_in_its_box_and_follows_the_focus(world):
    with visit(world[0].context, TABLE.format(**world[1])) as page:
        box = page.locator("#diagram-box")
        expect(box.locator("svg")).to_be_visible()
        assert box.evaluate("b => [getComputedStyle(b).overflowX, getComputedStyle(b).overflowY]") == ["auto", "auto"]
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        # a table box far off to one side, reached with the keyboard, is scrolled into the box's view
        links = box.locator("svg a")  # the table boxes' links; an edge's tooltip is an <a> without href
        linked = "a => a.hasAttribute('xlink:href') || a.hasAttribute('href')"
        ends = links.evaluate_all(f"as => as.map(a => ({linked})(a) ? a.getBoundingClientRect().right : -1)")
        link = links.nth(ends.index(max(ends)))
        outside = "a => a.getBoundingClientRect().right > a.closest('.diagram').getBoundingClientRect().right"
        assert link.evaluate(outside)
        box.focus()
        link.focus()
        expect(link).to_be_focused()
        inside = link.evaluate(
            """a => { const r = a.getBoundingClientRect(), b = a.closest('.diagram').getBoundingClientRect();
                return r.left >= b.left - 1 && r.right <= b.right + 1; }"""
        )
        assert inside


def test_chart_labels_are_at_least_11_px_as_drawn(world):
    with visit(world[0].context, "/sources/{source}".format(**world[1])) as page:
        sizes = page.locator("svg.chart").evaluate_all(
            """svgs => svgs.flatMap(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return Array.from(svg.querySelectorAll('text')).map(
                    t => parseFloat(getComputedStyle(t).fontSize) * scale);
            })"""
        )
        assert len(sizes) >= 4  # four charts, each with a label and a value per bar
        assert min(sizes) >= 11, sorted(sizes)[:5]
