"""The web UI as a person uses it, in a real headless Chromium (Debian's
`chromium`, driven by Playwright): gunicorn serves the app on a free port, a
real Celery worker crawls a real PostgreSQL target. The tests run in order
and share one browser session (module fixtures).

Set METACRAWL_SCREENSHOTS=/some/dir to keep screenshots of the pages at 1280
and 390 px wide (the README's picture comes from there)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .browser_helpers import TIMEOUT, Person, expect, sign_up
from .browser_helpers import chromium as chromium  # the module fixture
from .conftest import serve_app
from .crawl_helpers import SECRET, mariadb_reader, sqlite_file
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute, pg_params
from .ui_helpers import HUB_TARGET

CANARY = "canary-browser-pw-51c2"


@pytest.fixture(scope="module")
def target():
    with pg_database("mc_ui_browser") as name:
        pg_execute(name, HUB_TARGET)
        yield name


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request):
    return serve_app(test_env, tmp_path_factory, request)


@pytest.fixture(scope="module")
def alice(chromium, server, request):
    person = Person(chromium, server)
    request.addfinalizer(person.context.close)
    return person


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    wanted = os.environ.get("METACRAWL_SCREENSHOTS")
    path = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def clean_catalog():
    """The module's tests share one catalog in order; conftest's truncation runs once, at the end."""
    yield


@pytest.fixture(scope="module", autouse=True)
def truncate_after_module(catalog_url):
    yield
    from .conftest import CATALOG_TABLES
    from .crawl_helpers import catalog_conn

    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(CATALOG_TABLES)} RESTART IDENTITY CASCADE")
    finally:
        conn.close()


state: dict = {}


def test_register_and_sign_in(alice):
    page = alice.page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_role("link", name="Create one").click()
    page.get_by_label("Email").fill("alice.browser@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Password again").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    # the same answer whether the email had an account or not: sign in to find out
    expect(page).to_have_url(re.compile(r"/login\?registered=1$"))
    expect(page.get_by_role("status")).to_contain_text("Registration received")
    page.get_by_label("Email").fill("alice.browser@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sources$"))
    expect(page.get_by_text("No sources yet")).to_be_visible()
    # sign out and in again, with a wrong password first
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Email").fill("alice.browser@example.com")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#e-password")).to_have_text("Wrong email or password.")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sources$"))


def test_add_source_form_messages_then_progress_bar(alice, target, shots):
    page = alice.page
    page.get_by_role("link", name="Add a source").click()
    page.get_by_role("button", name="Add and crawl").click()
    for field in ("name", "host", "database", "username", "password"):
        expect(page.locator(f"#e-{field}")).to_have_text("Required.")
    p = pg_params()
    page.get_by_label("Name").fill("shop")
    page.get_by_label("Host").fill(p["host"])
    page.get_by_label("Port").fill("1")  # nothing listens there
    page.get_by_label("Database").fill(target)
    page.get_by_label("User").fill(p["username"])
    page.get_by_label("Password").fill(CANARY)
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".probe.failed")).to_contain_text("connection_failed")
    # the result came in place (htmx): the typed password is still in its field, never sent back by the server
    expect(page.get_by_label("Password")).to_have_value(CANARY)
    page.get_by_label("Port").fill(str(p["port"]))
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".probe.ok")).to_contain_text("Connected.")
    expect(page.get_by_label("Password")).to_have_value(CANARY)
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(shots / "source-tested-1280.png"))
    page.get_by_role("button", name="Add and crawl").click()  # with the password typed once
    expect(page).to_have_url(re.compile(r"/crawls/\d+$"))
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
    assert page.evaluate("window.__sameDocument") is True  # the bar moved without a reload
    expect(page.locator("#crawl-bar")).to_have_attribute("value", "100")
    page.screenshot(path=str(shots / "crawl-1280.png"))
    state["source_url"] = page.get_by_role("link", name="Overview").get_attribute("href")


def test_browse_to_a_table_and_follow_the_diagram(alice, shots):
    page = alice.page
    page.get_by_role("link", name="Browse the tables").click()
    page.locator(".schema-list").get_by_role("link", name="sales", exact=True).click()
    page.get_by_role("link", name="sales.orders", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("orders")
    expect(page.locator("#columns")).to_contain_text("customer_id")
    svg = page.locator("#diagram-box svg")
    expect(svg).to_be_visible()
    expect(svg).to_contain_text("sales.customers")
    expect(svg).to_contain_text("sales.payments")
    page.screenshot(path=str(shots / "table-1280.png"), full_page=True)
    page.screenshot(
        path=str(shots / "ui-table.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1000}
    )
    page.locator("#diagram").screenshot(path=str(shots / "diagram-1280.png"))
    state["orders_url"] = page.url
    svg.get_by_text("sales.customers", exact=True).click()
    expect(page).to_have_url(re.compile(r"name=customers"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("customers")


def test_starter_query_from_the_list(alice):
    page = alice.page
    page.goto(state["orders_url"])
    page.locator("#starter-query").get_by_label("sales.customers").check()
    page.get_by_role("button", name="Write the query").click()
    expect(page.locator("#sql")).to_contain_text("JOIN sales.customers AS c ON o.customer_id = c.id")


def test_search_a_typo_and_land_on_the_table(alice):
    page = alice.page
    page.get_by_role("searchbox", name="Search tables and columns").fill("custmer")
    hit = page.locator("#suggest a", has_text="sales.customers").first
    expect(hit).to_be_visible()
    hit.click()
    expect(page).to_have_url(re.compile(r"/table\?schema=sales&name=customers$"))


def test_recrawl_after_alter_shows_the_change(alice, target):
    page = alice.page
    pg_execute(target, "ALTER TABLE sales.orders ADD COLUMN gift_note text")
    page.goto(state["source_url"])
    page.get_by_role("button", name="Crawl now").click()
    expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
    page.goto(state["source_url"])
    page.get_by_role("navigation", name="Source").get_by_role("link", name="Changes").click()
    page.get_by_label("Kind of change").select_option("table_changed")
    page.get_by_role("button", name="Filter").click()
    change = page.locator(".feed li", has_text="sales.orders")
    expect(change).to_contain_text("gift_note")
    change.get_by_role("link", name="sales.orders").click()
    expect(page.locator("#columns")).to_contain_text("gift_note")


def test_pages_at_phone_width(chromium, server, alice, shots):
    """The same session at 390 px: screenshots to look at, and nothing wider than the screen but scroll boxes."""
    cookies = alice.context.cookies()
    phone = Person(chromium, server, width=390, height=844)
    try:
        phone.context.add_cookies(cookies)
        for name, url in (
            ("sources", "/sources"),
            ("overview", state["source_url"]),
            ("tables", state["source_url"] + "/tables?schema=sales"),
            ("table", state["orders_url"]),
        ):
            phone.page.goto(url)
            if name == "table":
                expect(phone.page.locator("#diagram-box svg")).to_be_visible()
            width = phone.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (name, width)
            phone.page.screenshot(path=str(shots / f"{name}-390.png"), full_page=False)
        alice.html.extend(phone.html)
    finally:
        phone.context.close()


def test_another_user_gets_404_pages(chromium, server):
    bob = Person(chromium, server)
    try:
        page = bob.page
        sign_up(page, "bob.browser@example.com")
        for url in (state["source_url"], state["orders_url"], state["source_url"] + "/changes"):
            response = page.goto(url)
            assert response.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    finally:
        bob.context.close()


def test_an_unknown_path_is_the_ui_404_page_with_its_favicon(alice):
    page = alice.page
    for url in ("/no-such-page", "/sources/999999/insights"):
        response = page.goto(url)
        assert response.status == 404 and response.headers["content-type"].startswith("text/html")
        expect(page).to_have_title("Not found · metacrawl")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # signed in: the usual header
    icon = page.locator("link[rel=icon]").get_attribute("href")
    answer = page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")


def test_add_a_sqlite_source_by_choosing_its_engine(alice, files_dir, tmp_path):
    """The engine select swaps in that engine's fields (htmx, no reload); a refused path is shown next to it."""
    page = alice.page
    page.goto("/sources/new")
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_label("Host")).to_be_visible()
    page.get_by_label("Engine").select_option("sqlite")
    expect(page.get_by_label("Database file")).to_be_visible()
    expect(page.get_by_label("Host")).to_have_count(0)
    expect(page.locator("input[name=password]")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_label("Name").fill("shop file")
    page.get_by_label("Database file").fill(sqlite_file(tmp_path))  # outside the allowed directory
    page.get_by_role("button", name="Add and crawl").click()
    expect(page.locator("#e-path")).to_contain_text("outside the directories this server may read")
    expect(page.get_by_label("Engine")).to_have_value("sqlite")
    page.get_by_label("Database file").fill(sqlite_file(files_dir))
    page.get_by_role("button", name="Add and crawl").click()
    expect(page).to_have_url(re.compile(r"/crawls/\d+$"))
    expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)


def test_confirm_a_probable_rename_on_mariadb(alice):
    """MariaDB has no stable table ids: a renamed table arrives as one removed
    and one added with the same definition, a probable rename the feed links
    to; confirming it in the browser keeps the table's id under its new name."""
    page = alice.page
    with mysql_databases(1, "mc_ui_rename") as (db,), mariadb_reader(db) as reader:
        mysql_execute("CREATE TABLE orders (id int PRIMARY KEY, total decimal(10,2)) COMMENT 'what was bought'", db)
        p = mysql_params()
        page.goto("/sources/new")
        page.get_by_label("Engine").select_option("mariadb")
        page.get_by_label("Name").fill("maria shop")
        page.get_by_label("Host").fill(p["host"])
        page.get_by_label("Port").fill(str(p["port"]))
        page.get_by_label("Database", exact=True).fill(db)
        page.get_by_label("User", exact=True).fill(reader)
        page.locator("input[name=password]").fill(SECRET)
        page.get_by_role("button", name="Add and crawl").click()
        expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
        source_url = page.locator("a", has_text="maria shop").first.get_attribute("href")

        mysql_execute("RENAME TABLE orders TO purchases", db)
        page.goto(source_url)
        page.get_by_role("button", name="Crawl now").click()
        expect(page.locator("#crawl-progress")).to_have_attribute("data-state", "succeeded", timeout=TIMEOUT)
        page.goto(source_url + "/changes")
        entry = page.locator(".feed li", has_text="probable rename")
        expect(entry).to_contain_text(f"was {db}.orders")
        entry.get_by_role("link", name="Confirm or reject").click()
        row = page.locator("table.renames tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(f"{db}.orders")
        expect(row).to_contain_text(f"{db}.purchases")
        row.get_by_role("button", name="Confirm rename").click()
        expect(page.get_by_role("status")).to_have_text("The rename was confirmed.")
        expect(page.locator("table.renames tbody tr")).to_have_count(0)

        page.goto(source_url + "/changes")
        expect(page.locator(".feed li", has_text="renamed").first).to_contain_text(f"was {db}.orders")
        page.locator(".feed li", has_text="renamed").first.get_by_role("link", name=f"{db}.purchases").click()
        expect(page.locator("body")).to_contain_text("what was bought")


def test_create_a_team_and_add_a_member(chromium, server, alice):
    erin = Person(chromium, server)
    try:
        sign_up(erin.page, "erin.browser@example.com")
        page = alice.page
        page.goto("/sources")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
        page.get_by_label("Team name").fill("analytics")
        page.get_by_role("button", name="Create team").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("analytics")
        page.evaluate("window.__sameDocument = true")
        page.get_by_label("Email of their account").fill("nobody.browser@example.com")
        page.get_by_role("button", name="Add member").click()
        expect(page.locator("#e-email")).to_contain_text("no account has the email")
        page.get_by_label("Email of their account").fill("erin.browser@example.com")
        page.get_by_label("Role", exact=True).select_option("curator")
        page.get_by_role("button", name="Add member").click()
        erin_row = page.locator("tr[data-member='erin.browser@example.com']")
        expect(erin_row).to_be_visible()
        expect(erin_row.get_by_label("Role of erin.browser@example.com")).to_have_value("curator")
        expect(page.locator("#e-email")).to_have_count(0)
        assert page.evaluate("window.__sameDocument") is True  # htmx swapped the team part in place
        erin.page.goto("/teams")
        row = erin.page.get_by_role("row", name=re.compile("analytics"))
        expect(row).to_contain_text("curator")
        expect(row).to_contain_text("2")
    finally:
        erin.context.close()


def test_edit_a_table_description_inline(alice):
    page = alice.page
    page.goto(state["orders_url"])
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Edit the description of table sales.orders").click()
    form = page.locator("form.curation-form")
    form.get_by_label("Description").fill("**Orders** placed in the shop, one row each.")
    form.get_by_role("button", name="Save").click()
    shown = page.locator("[data-curation=table] .description")
    expect(shown.locator("strong")).to_have_text("Orders")
    expect(shown).to_contain_text("placed in the shop, one row each.")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True  # rendered without a reload


def test_edit_a_table_description_without_javascript(chromium, server, alice):
    context = chromium.new_context(base_url=server, java_script_enabled=False)
    try:
        context.add_cookies(alice.context.cookies())
        page = context.new_page()
        page.goto(state["orders_url"])
        page.get_by_role("link", name="Edit the description of table sales.orders").click()
        expect(page).to_have_url(re.compile(r"/curation/edit\?table=\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Describe table sales.orders")
        form = page.locator("form.curation-form")
        expect(form.get_by_label("Description")).to_have_value("**Orders** placed in the shop, one row each.")
        form.get_by_label("Description").fill("Orders, changed *without* JavaScript.")
        form.get_by_role("button", name="Save").click()
        expect(page).to_have_url(re.compile(r"/table\?schema=sales&name=orders$"))
        expect(page.locator("[data-curation=table] .description em")).to_have_text("without")
        history = page.locator("#curation-history")
        expect(history).to_contain_text("alice.browser@example.com changed the description")
        expect(history.locator("li")).to_have_count(2)
    finally:
        context.close()


def test_sign_out(alice):
    page = alice.page
    page.goto("/sources")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/sources")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsources$"))


def test_docs_render_under_their_csp_and_keep_no_token(chromium, server):
    person = Person(chromium, server)
    try:
        page = person.page
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto("/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("metacrawl")
        page.locator("button.authorize").first.click()
        page.locator(".auth-container input").first.fill("a-bearer-token")
        page.locator(".auth-container").get_by_role("button", name="Authorize").click()
        page.get_by_role("button", name="Close").first.click()
        assert page.evaluate("Object.keys(window.localStorage)") == []
        assert not refused
    finally:
        person.context.close()


def test_no_page_held_the_password(alice):
    assert len(alice.html) > 15
    leaked = [page[:200] for page in alice.html if CANARY in page]
    assert not leaked
