"""Every page of the web UI, for the tests that visit them all in Chromium
(tests/test_ui_a11y.py: axe-core; tests/test_ui_mobile.py: 390 px wide).

PAGES is the list: one line per page (a name, its URL with {placeholders}
from the world `build_world` makes, and what to wait for before looking).
`missing_rules` names each GET rule of the UI blueprint that no page of the
list reaches, so a new page cannot be forgotten: add its line here, or its
rule to NOT_PAGES when it is no page (a fragment, a file)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from .browser_helpers import TIMEOUT, Person, expect, sign_up
from .conftest import serve_app, truncate_catalog
from .crawl_helpers import catalog_conn
from .targets import pg_database, pg_execute, pg_params
from .ui_helpers import HUB_TARGET

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class Page:
    name: str
    url: str  # with {source}, {other}, {crawl_ok}, {crawl_failed}, {crawl_running}, {team}, {webhook}
    ready: str = "main"  # a selector that is visible once the page is all there (htmx parts loaded)
    signed_in: bool = True
    status: int = 200


TABLE = "/sources/{source}/table?schema=sales&name=orders"
PAGES = [
    Page("login", "/login", signed_in=False),
    Page("register", "/register", signed_in=False),
    Page("home", "/"),
    Page("sources", "/sources"),
    Page("add source", "/sources/new"),
    Page("source settings", "/sources/{source}/edit"),
    Page("source overview", "/sources/{source}", "svg.chart"),
    Page("delete confirmation", "/sources/{source}/delete"),
    Page("crawl succeeded", "/crawls/{crawl_ok}", "#crawl-progress[data-state=succeeded]"),
    Page("crawl failed", "/crawls/{crawl_failed}", "#crawl-progress[data-state=failed]"),
    Page("crawl running", "/crawls/{crawl_running}", "#crawl-progress[data-state=running]"),
    Page("tables", "/sources/{source}/tables"),
    Page("tables of a schema", "/sources/{source}/tables?schema=sales"),
    Page("table with its diagram", TABLE, "#diagram-box svg"),
    Page("starter query", "/sources/{source}/table/query?schema=sales&name=orders&other=sales.customers"),
    Page("search with results", "/search?q=customer", ".hits"),
    Page("changes", "/sources/{source}/changes"),
    Page("insights", "/sources/{source}/insights"),
    Page("inferred keys", "/sources/{source}/inferred-keys"),
    Page("renames", "/sources/{source}/renames"),
    Page("curation history", "/sources/{source}/curation/history?table={orders}"),
    Page("curation edit", "/sources/{source}/curation/edit?table={orders}"),
    Page("tag", "/tags/pii"),
    Page("teams", "/teams"),
    Page("team", "/teams/{team}"),
    Page("webhooks", "/sources/{source}/webhooks"),
    Page("webhook", "/sources/{source}/webhooks/{webhook}"),
    Page("exports", "/sources/{source}/export"),
    Page("diff form", "/sources/{source}/diff"),
    Page("diff with a past crawl", "/sources/{source}/diff?crawl={crawl_ok}"),
    Page("routines", "/sources/{source}/routines"),
    Page("sequences", "/sources/{source}/sequences"),
    Page("triggers", "/sources/{source}/triggers"),
    Page("enums", "/sources/{source}/enums"),
    Page("extensions", "/sources/{source}/extensions"),
    Page("domains", "/sources/{source}/domains"),
    Page("collations", "/sources/{source}/collations"),
    Page("text search configurations", "/sources/{source}/text_search_configurations"),
    Page("schema diagram", "/sources/{source}/diagram", ".pan-zoom svg"),
    Page("one schema's diagram", "/sources/{source}/diagram?schema=sales", ".pan-zoom svg"),
    Page("not found", "/no-such-page", status=404),
    Page("another's source", "/sources/{other}", status=404),
]

# GET rules of the UI blueprint that are no page of their own.
NOT_PAGES = {
    "/ui/vendor/<name>",  # htmx from node_modules
    "/favicon.ico",
    "/ui/static/<path:filename>",  # app.css, app.js
    "/sources/<int:source_id>/table/diagram",  # the diagram fragment the table page loads (or an SVG file)
    "/sources/<int:source_id>/curation",  # an object's curation box (htmx), else a redirect to its page
    "/sources/new/fields",  # the engine's fields of the source form (htmx)
    "/sources/<int:source_id>/edit/fields",
    "/crawls/<int:job_id>/progress",  # the crawl page's live part (htmx)
    "/sources/<int:source_id>/export/<any(json,ndjson,markdown,dbml,plantuml,mermaid,dot,dbt):fmt>",  # downloads
    "/sources/<int:source_id>/diff/<any(json,ndjson):fmt>",
    "/sources/<int:source_id>/docs-site.zip",
}


def ui_get_rules() -> dict[str, str]:
    """The UI blueprint's GET rules: {rule: endpoint}, from a bare Flask app holding only the blueprint."""
    from flask import Flask

    from api.ui import blp

    app = Flask("ui-rules")
    app.register_blueprint(blp)
    rules = app.url_map.iter_rules()
    return {r.rule: r.endpoint for r in rules if r.endpoint.startswith("ui.") and "GET" in (r.methods or ())}


def missing_rules(pages: list[Page]) -> set[str]:
    """GET rules of the UI blueprint that no page of `pages` reaches and NOT_PAGES does not name."""
    from flask import Flask
    from werkzeug.exceptions import HTTPException

    from api.ui import blp

    app = Flask("ui-rules")
    app.register_blueprint(blp)
    adapter = app.url_map.bind("localhost")
    reached = set()
    for page in pages:
        path = re.sub(r"\{\w+\}", "1", page.url).split("?")[0]
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
        except HTTPException:  # the unknown path: no rule
            continue
        reached.add(rule.rule)
    return set(ui_get_rules()) - reached - NOT_PAGES


def add_source(page, name: str, database: str, port: int | None = None) -> tuple[int, int, str]:
    """Add a PostgreSQL source through the form; (source id, crawl id, the crawl's end state)."""
    p = pg_params()
    page.goto("/sources/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Host").fill(p["host"])
    page.get_by_label("Port").fill(str(port or p["port"]))
    page.get_by_label("Database").fill(database)
    page.get_by_label("User").fill(p["username"])
    page.get_by_label("Password").fill("pw-ui-pages")
    page.get_by_role("button", name="Add and crawl").click()
    expect(page).to_have_url(re.compile(r"/crawls/\d+$"))
    crawl = int(page.url.rsplit("/", 1)[1])
    progress = page.locator("#crawl-progress[data-state=succeeded], #crawl-progress[data-state=failed]")
    expect(progress).to_be_visible(timeout=TIMEOUT)
    source = int(re.search(r"/sources/(\d+)", page.get_by_role("link", name="Overview").get_attribute("href"))[1])
    return source, crawl, progress.get_attribute("data-state")


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request, catalog_url):
    """gunicorn for the module's pages; the catalog emptied once it stops (the finalizers run last first)."""
    request.addfinalizer(lambda: truncate_catalog(catalog_url))
    return serve_app(test_env, tmp_path_factory, request)


def pages_world(chromium, server: str, catalog_url: str, database: str, width: int, height: int):
    """The module's world (a generator for a module fixture): a signed-in
    person's browser at `width` and the ids the pages' URLs need."""
    person, stranger = (Person(chromium, server, width=width, height=height) for _ in range(2))
    try:
        with pg_database(database) as target:
            pg_execute(target, HUB_TARGET)
            ids = build_world(person, stranger, target, catalog_url, f"{database}@example.com")
    finally:
        stranger.context.close()
    yield person, ids
    person.context.close()


@contextlib.contextmanager
def visit(context, url: str):
    """A new tab of `context` on `url`, closed after."""
    page = context.new_page()
    try:
        page.goto(url)
        yield page
    finally:
        page.close()


def build_world(person, stranger, target: str, catalog_url: str, email: str) -> dict:
    """What every page of PAGES needs, made through the UI as a person would:
    a crawled source, one whose crawl failed and then one that runs, a team
    with a tag, a webhook; and a stranger's source. The placeholders of PAGES."""
    page = person.page
    sign_up(page, email)
    source, crawl_ok, state = add_source(page, "shop", target)
    assert state == "succeeded"
    other_source, crawl_failed, state = add_source(page, "down", target, port=1)  # nothing listens there
    assert state == "failed"
    # a running crawl: a worker would have started it; the page shows it the same way
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO crawl_jobs (source_id, state, trigger, started_at, heartbeat_at, tables_total,"
                " tables_done, batches_total, batches_done) VALUES (%s, 'running', 'manual', now(), now(), 40, 12,"
                " 4, 1) RETURNING id",
                (other_source,),
            )
            crawl_running = cur.fetchone()[0]
    finally:
        conn.close()
    page.goto("/teams")
    page.get_by_label("Team name").fill("analytics")
    page.get_by_role("button", name="Create team").click()
    expect(page).to_have_url(re.compile(r"/teams/\d+$"))
    team = int(page.url.rsplit("/", 1)[1])
    page.goto(f"/sources/{source}/webhooks")
    page.get_by_label("URL (https, or http)").fill("https://hooks.example.com/metacrawl")
    page.get_by_role("button", name=re.compile("^Add")).click()
    webhook = int(page.locator("tr[id^=webhook-]").first.get_attribute("id").split("-")[1])
    page.goto(TABLE.format(source=source))
    edit = page.get_by_role("link", name="Edit the description of table sales.orders")
    orders = int(re.search(r"table=(\d+)", edit.get_attribute("href"))[1])
    sign_up(stranger.page, "stranger." + email)
    other, _, _ = add_source(stranger.page, "theirs", target, port=1)
    return {
        "source": source,
        "crawl_ok": crawl_ok,
        "crawl_failed": crawl_failed,
        "crawl_running": crawl_running,
        "team": team,
        "webhook": webhook,
        "orders": orders,
        "other": other,
    }


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations of the page as it is now, one line per element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # run by the test's driver: the pages' CSP allows no inline script
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}\n    at {node['target']}: {node['failureSummary']}"
        for v in found
        for node in v["nodes"]
    ]
