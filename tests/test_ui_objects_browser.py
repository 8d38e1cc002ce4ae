"""A source's routines page in a real headless Chromium (tests/browser_helpers.py:
gunicorn on a free port, a real worker crawling a real PostgreSQL target) at
1280 px and at 390 px: the routines reached from the source's page, a long
body highlighted in a box that scrolls inside itself, nothing wider than the
screen, and a search hit that lands on its routine."""

from __future__ import annotations

import pytest

from .browser_helpers import Person, add_pg_source, expect, person_at, sign_up
from .browser_helpers import chromium as chromium  # the module fixture: one Chromium for these tests too
from .browser_helpers import server as server  # gunicorn for the module, the catalog emptied after it

pytestmark = pytest.mark.shared_catalog

LONG_LINE = " + ".join(f"a_rather_long_argument_name_{i}" for i in range(3))
TARGET = f"""
CREATE FUNCTION public.a_function_whose_name_goes_on_and_on_and_on_without_a_break(
    a_rather_long_argument_name_0 integer, a_rather_long_argument_name_1 integer,
    a_rather_long_argument_name_2 integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- {"a comment line far wider than any phone " * 8}
    RETURN {LONG_LINE} + {LONG_LINE} + {LONG_LINE};
END $$;
CREATE TABLE public.items (id integer PRIMARY KEY);
"""


@pytest.fixture(scope="module")
def signed_in(chromium, server):
    """A signed-in person's cookies, and their source's page, crawled."""
    person = Person(chromium, server)
    try:
        page = person.page
        sign_up(page, "objects.browser@example.com")
        add_pg_source(page, "long bodies", TARGET, "mc_ui_objects_browser", "pw-objects-browser")
        page.get_by_role("link", name="Overview").click()
        return person.context.cookies(), page.url
    finally:
        person.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_routines_page_at_desktop_and_phone_width(chromium, server, signed_in, width, tmp_path):
    cookies, overview = signed_in
    with person_at(chromium, server, cookies, width) as person:
        page = person.page
        page.goto(overview)
        page.get_by_label("Objects").get_by_role("link", name="Routines").click()
        expect(page.get_by_role("heading", level=2, name="Routines")).to_be_visible()
        routine = page.locator("article.object").first
        expect(routine).to_contain_text("a_function_whose_name_goes_on_and_on")
        expect(routine.locator("dt")).to_have_text(["Returns", "Language", "Volatility"])
        expect(routine.locator("dd")).to_have_text(["integer", "plpgsql", "immutable"])
        box = routine.locator("div.hl")
        expect(box.locator("span.k", has_text="RETURN").first).to_be_visible()
        # the long body scrolls inside its box, which stays within the screen
        sizes = box.evaluate("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
        assert sizes[0] > sizes[1] and sizes[2] <= width, sizes
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, width_used
        page.screenshot(path=str(tmp_path / f"routines-{width}.png"), full_page=False)
        # a search hit lands on the routine's anchor
        page.goto("/search?q=a_function_whose")
        page.locator("a:has(.kind-routine)").first.click()
        expect(page.locator("article.object:target")).to_contain_text("a_function_whose_name_goes_on_and_on")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
