"""The whole-schema diagram in a real headless Chromium (tests/browser_helpers.py:
gunicorn on a free port, a real worker crawling the PostgreSQL target of
tests/diagram_helpers.py): at 1280 px and at 390 px the drawing pans by
dragging and by the arrow keys of its focused box, zooms with + and its
buttons, opens a cluster from its box, and nothing is wider than the screen."""

from __future__ import annotations

import re

import pytest

from .browser_helpers import Person, add_pg_database, expect, sign_up
from .browser_helpers import chromium as chromium  # the module fixture: one Chromium for these tests too
from .conftest import serve_app, truncate_catalog
from .diagram_helpers import TARGET
from .targets import pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request, catalog_url):
    yield serve_app(test_env, tmp_path_factory, request)
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def diagram_url(chromium, server):
    """A signed-in person's source, crawled: (cookies, the diagram page's path)."""
    person = Person(chromium, server)
    try:
        page = person.page
        sign_up(page, "diagram.browser@example.com")
        with pg_database("mc_ui_diagram_browser") as target:
            pg_execute(target, TARGET)
            add_pg_database(page, "map", target, "pw-diagram-browser")
        page.get_by_role("link", name="Overview").click()
        page.get_by_role("link", name="Diagram", exact=True).click()
        return person.context.cookies(), page.url
    finally:
        person.context.close()


def view_box(page) -> list[float]:
    return [float(v) for v in page.locator(".pan-zoom svg").get_attribute("viewBox").split()]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_schema_diagram_pans_zooms_and_fits_the_screen(chromium, server, diagram_url, width, tmp_path):
    cookies, url = diagram_url
    person = Person(chromium, server, width=width, height=900 if width > 400 else 844)
    try:
        person.context.add_cookies(cookies)
        page = person.page
        page.goto(url + "?schema=big")
        box = page.get_by_role("group", name=re.compile(r"^Diagram of map, schema big"))
        expect(box).to_be_visible()
        expect(page.locator(".pan-zoom svg")).to_have_attribute("aria-label", "Diagram of map, schema big")
        start = view_box(page)
        # the keyboard: the box takes focus, an arrow key moves the view, + zooms in, 0 fits again
        box.focus()
        page.keyboard.press("ArrowRight")
        moved = view_box(page)
        assert moved[0] > start[0] and moved[1:] == start[1:]
        page.keyboard.press("+")
        assert view_box(page)[2] < moved[2]
        page.keyboard.press("0")
        assert view_box(page) == start
        # a drag moves the view the other way
        bounds = box.bounding_box()
        x, y = bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 30, steps=5)
        page.mouse.up()
        dragged = view_box(page)
        assert dragged[0] < start[0] and dragged[1] < start[1]
        page.get_by_role("button", name="Zoom out").click()
        assert view_box(page)[2] > dragged[2]
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, width_used
        page.screenshot(path=str(tmp_path / f"schema-diagram-{width}.png"), full_page=False)
        # a cluster's row opens its tables, drawn
        page.locator("table.clusters").get_by_role("link", name="big: a_root and 24 more").click()
        expect(page.get_by_role("heading", level=2, name="big: a_root and 24 more")).to_be_visible()
        expect(page.locator(".pan-zoom svg")).to_contain_text("big.a_07")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        person.context.close()
