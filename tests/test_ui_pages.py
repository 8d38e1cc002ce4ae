"""The web UI's pages through the Flask test client, against a real catalog
crawled by a real worker: sign-in and the session cookie, CSRF, forms with
messages next to their fields, every catalog page, other users' 404 pages,
and the diagram, starter query and test-connection API endpoints."""

from __future__ import annotations

import re

import pytest

from .conftest import ApiUser
from .targets import pg_database, pg_execute, pg_params
from .ui_helpers import HUB_TARGET, Browser, crawl_done, csrf_of, register

CANARY = "canary-pw-7f3a9e"  # the target's password as registered: must never appear in a page


@pytest.fixture(scope="module")
def hub_target():
    with pg_database("mc_ui") as name:
        pg_execute(name, HUB_TARGET)
        yield name


def add_source(browser: Browser, database: str, name="shop") -> int:
    p = pg_params()
    r = browser.post(
        "/sources/new",
        {
            "name": name,
            "engine": "postgresql",
            "host": p["host"],
            "port": str(p["port"]),
            "database": database,
            "username": p["username"],
            "password": CANARY,
            "schedule": "0 2 * * *",
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_signed_out_pages_lead_to_sign_in(client):
    assert client.get("/").headers["Location"] == "/login"
    r = client.get("/sources/1/tables?schema=x")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_sign_in_session_cookie_csrf_and_sign_out(client):
    ApiUser(client, "carol@example.com")
    b = Browser(client)
    r = b.sign_in("carol@example.com", "wrong password")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="e-password">Wrong email or password', html)
    assert "Traceback" not in html
    r = b.sign_in("carol@example.com", "correct horse battery")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "metacrawl_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "carol@example.com" in b.get("/sources").get_data(as_text=True)
    # a form without its CSRF value changes nothing
    r = client.post("/sources/new", data={"name": "x"})
    assert r.status_code == 400 and "This form has expired" in r.get_data(as_text=True)
    # the API keeps bearer tokens: the cookie alone is not enough there
    assert client.get("/api/v1/sources").status_code == 401
    csrf = b.csrf
    r = b.post("/logout", {"csrf_token": csrf})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/sources").status_code == 302


def test_revoked_session_cookie_is_refused(client):
    b = register(client, "dave@example.com")
    jar_cookie = client.get_cookie("metacrawl_session").value
    b.post("/logout")
    client.set_cookie("metacrawl_session", jar_cookie)  # replaying the old cookie
    assert client.get("/sources").status_code == 302


def test_sign_out_ends_every_cookie_of_the_session(app, client):
    """A session renewed while used has had several cookies: signing out ends them all."""
    from datetime import timedelta

    b = register(client, "grace@example.com")
    first_cookie = client.get_cookie("metacrawl_session").value
    # a longer lifetime makes the first cookie look past half its life: the next page renews it
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(hours=1)
    assert b.get("/sources").status_code == 200
    renewed = client.get_cookie("metacrawl_session").value
    assert renewed != first_cookie
    assert b.post("/logout").status_code == 302
    client.set_cookie("metacrawl_session", first_cookie)
    assert client.get("/sources").status_code == 302


BAD_NEXT = {
    "tab-between-slashes": "/\t/evil.example/phish",
    "newline-between-slashes": "/\n/evil.example/phish",
    "carriage-return-between-slashes": "/\r/evil.example/phish",
    "crlf-header": "/sources\r\nSet-Cookie: pwned=1",
    "lf-header": "/sources\nX-Evil: 1",
    "double-slash": "//evil.example/phish",
    "triple-slash": "///evil.example/phish",
    "slash-backslash": "/\\evil.example/phish",
    "backslash-inside": "/sources\\..\\evil",
    "leading-backslashes": "\\\\evil.example",
    "scheme": "https://evil.example/phish",
    "javascript": "javascript:alert(1)",
    "no-leading-slash": "evil.example/phish",
    "leading-space": " /sources",
    "space-inside": "/ /evil.example",
    "nul": "/sources\x00",
    "vertical-tab": "/\x0b/evil.example",
    "line-separator": "/sources\u2028",
    "zero-width-space": "/\u200b/evil.example",
}


@pytest.mark.parametrize("target", list(BAD_NEXT.values()), ids=list(BAD_NEXT))
def test_sign_in_ignores_a_next_that_is_not_a_path_here(client, target):
    ApiUser(client, "heidi@example.com")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    form = {"email": "heidi@example.com", "password": "correct horse battery", "csrf_token": token, "next": target}
    r = client.post("/login", data=form)
    assert r.status_code == 302 and r.headers["Location"] == "/sources"


@pytest.mark.parametrize("target", list(BAD_NEXT.values()), ids=list(BAD_NEXT))
def test_sign_in_page_does_not_carry_a_bad_next(client, target):
    r = client.get("/login", query_string={"next": target})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="next" value="/sources"' in html


@pytest.mark.parametrize("path", ["/sources?a=\\b", "/sources?a=b c"], ids=["backslash", "space"])
def test_signed_out_page_sends_no_next_it_would_refuse(client, path):
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"] == "/login"


def test_sign_in_keeps_a_next_on_this_site(client):
    ApiUser(client, "ivy@example.com")
    r = client.get("/sources/1/tables?schema=x")
    assert r.headers["Location"] == "/login?next=%2Fsources%2F1%2Ftables%3Fschema%3Dx"
    token = csrf_of(client.get(r.headers["Location"]).get_data(as_text=True))
    form = {"email": "ivy@example.com", "password": "correct horse battery", "csrf_token": token}
    r = client.post("/login", data={**form, "next": "/sources/1/tables?schema=x"})
    assert r.status_code == 302 and r.headers["Location"] == "/sources/1/tables?schema=x"


def test_register_form_messages(client):
    token = csrf_of(client.get("/register").get_data(as_text=True))
    form = {"csrf_token": token}
    r = client.post("/register", data={**form, "email": "not-an-email", "password": "short", "password_again": "short"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="e-email"' in html and 'id="e-password"' in html
    r = client.post(
        "/register", data={**form, "email": "erin@example.com", "password": "long enough", "password_again": "x"}
    )
    assert 'id="e-password_again">The two passwords differ.' in r.get_data(as_text=True)
    good = {**form, "email": "erin@example.com", "password": "long enough", "password_again": "long enough"}
    # without the form's CSRF value, or with a wrong one: refused with a message, no account
    for bad in ({k: v for k, v in good.items() if k != "csrf_token"}, {**good, "csrf_token": "0" * 64}):
        r = client.post("/register", data=bad)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and 'id="e-form">This form has expired' in html, html
        assert "metacrawl_session=" not in r.headers.get("Set-Cookie", "")
    r = client.post("/register", data=good)
    assert r.status_code == 303 and r.headers["Location"] == "/login?registered=1"
    assert "metacrawl_session=" not in r.headers.get("Set-Cookie", "")
    html = client.get("/login?registered=1").get_data(as_text=True)
    assert 'class="notice" role="status">Registration received: if this email had no account' in html


def test_registering_an_existing_email_answers_as_a_new_one(client):
    """The UI tells no more than the API's 202 (issue 13): the same redirect and
    notice for a taken email as for a new one, and no session either way."""

    def register_form(email, password):
        token = csrf_of(client.get("/register").get_data(as_text=True))
        form = {"csrf_token": token, "email": email, "password": password, "password_again": password}
        r = client.post("/register", data=form)
        return (
            r.status_code,
            r.headers.get("Location"),
            r.get_data(),
            "metacrawl_session=" in r.headers.get("Set-Cookie", ""),
        )

    new = register_form("frank@example.com", "correct horse battery")
    again = register_form("Frank@example.com", "another long password")
    assert new == again == (303, "/login?registered=1", new[2], False)
    b = Browser(client)
    assert b.sign_in("frank@example.com", "another long password").status_code == 422  # the first password stays
    assert b.sign_in("frank@example.com", "correct horse battery").status_code == 302


def test_sign_in_without_its_csrf_value_is_refused(client):
    """Login CSRF: another site cannot sign a browser in, with or without the nonce cookie."""
    ApiUser(client, "ivan@example.com")
    credentials = {"email": "ivan@example.com", "password": "correct horse battery"}
    r = client.post("/login", data=credentials)  # no cookie, no field: what a cross-site form sends
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="e-form">This form has expired or came from another site' in html
    assert "metacrawl_session=" not in r.headers.get("Set-Cookie", "") and "Traceback" not in html
    cookie = r.headers["Set-Cookie"]
    assert "metacrawl_login_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = csrf_of(html)  # the page that said so carries a fresh value
    r = client.post("/login", data={**credentials, "csrf_token": "f" * 64})
    assert r.status_code == 400 and "metacrawl_session=" not in r.headers.get("Set-Cookie", "")
    other = type(client)(client.application)  # another browser: its own cookie, so this value does not fit
    other.get("/login")
    assert other.post("/login", data={**credentials, "csrf_token": token}).status_code == 400
    r = client.post("/login", data={**credentials, "csrf_token": token})
    assert r.status_code == 302 and "metacrawl_session=" in r.headers["Set-Cookie"]


def test_source_form_shows_messages_next_to_fields(client):
    b = register(client, "frank@example.com")
    r = b.post("/sources/new", {"engine": "postgresql", "port": "abc"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in ("name", "host", "database", "username", "password"):
        assert f'id="e-{field}">Required.' in html, field
    assert 'id="e-port">Must be a whole number.' in html
    r = b.post(
        "/sources/new",
        {
            "name": "meta",
            "engine": "postgresql",
            "host": "169.254.169.254",
            "port": "5432",
            "database": "d",
            "username": "u",
            "password": CANARY,
            "schedule": "not cron",
        },
    )
    html = r.get_data(as_text=True)
    assert 'id="e-host">' in html and "link-local" in html
    r = b.post(
        "/sources/new",
        {
            "name": "meta",
            "engine": "postgresql",
            "host": "db",
            "port": "5432",
            "database": "d",
            "username": "u",
            "password": CANARY,
            "schedule": "not cron",
        },
    )
    assert 'id="e-schedule">not a valid 5-field cron expression' in r.get_data(as_text=True)
    assert all(CANARY not in page for page in b.pages)


def test_test_connection_unreachable_host_shows_typed_reason(client):
    b = register(client, "gina@example.com")
    p = pg_params()
    closed_port = 1  # nothing listens there
    r = b.post(
        "/sources/new",
        {
            "name": "nowhere",
            "engine": "postgresql",
            "host": p["host"],
            "port": str(closed_port),
            "database": "postgres",
            "username": p["username"],
            "password": CANARY,
            "action": "test",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Could not connect" in html and "connection_failed" in html
    assert CANARY not in html
    # the same through the API
    user = ApiUser(client, "gina2@example.com")
    body = user.post(
        "/api/v1/sources/test-connection",
        json={
            "engine": "postgresql",
            "host": p["host"],
            "port": closed_port,
            "database": "postgres",
            "username": p["username"],
            "password": CANARY,
        },
    ).get_json()
    assert body["ok"] is False and body["error"]["type"] == "connection_failed"
    body = user.post(
        "/api/v1/sources/test-connection",
        json={
            "engine": "postgresql",
            "host": "169.254.169.254",
            "port": 5432,
            "database": "x",
            "username": "u",
            "password": CANARY,
        },
    ).get_json()
    assert body["error"]["type"] == "address_not_allowed"


@pytest.fixture(scope="module")
def shop(hub_target, worker, settings, catalog_url, redis_server, tmp_path_factory):
    """Alice's source `shop`, added and crawled through the UI, shared by the read tests below."""
    from api import create_app
    from catalog import db

    app = create_app(settings)
    client = app.test_client()
    alice = register(client, "alice.ui@example.com")
    job_id = add_source(alice, hub_target)
    assert "Crawl #" in alice.get(f"/crawls/{job_id}").get_data(as_text=True)
    html = crawl_done(client, job_id)
    assert 'data-state="succeeded"' in html, html
    source_id = int(re.search(r'href="/sources/(\d+)/tables"', html).group(1))
    yield {"app": app, "client": client, "alice": alice, "source_id": source_id, "job_id": job_id}
    db.Session.remove()


@pytest.fixture
def clean_catalog():
    """These tests share one crawled catalog (the module's `shop`): nothing is
    truncated between them, only once after the module (below)."""
    yield


@pytest.fixture(scope="module", autouse=True)
def truncate_after_module(catalog_url):
    yield
    from catalog import db

    from .conftest import CATALOG_TABLES
    from .crawl_helpers import catalog_conn

    db.Session.remove()
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(CATALOG_TABLES)} RESTART IDENTITY CASCADE")
    finally:
        conn.close()


def test_sources_list_and_overview(shop):
    alice, sid = shop["alice"], shop["source_id"]
    html = alice.get("/sources").get_data(as_text=True)
    assert "shop" in html and "postgresql" in html and "fresh" in html and "succeeded" in html
    html = alice.get(f"/sources/{sid}").get_data(as_text=True)
    assert "tables and views" in html and "<svg" in html and "sales" in html
    r = alice.post(f"/sources/{sid}/test", headers={"HX-Request": "true"})
    assert "Connected." in r.get_data(as_text=True)


def test_schema_browser_filters_and_pages(shop):
    alice, sid = shop["alice"], shop["source_id"]
    html = alice.get(f"/sources/{sid}/tables?schema=sales&q=spoke").get_data(as_text=True)
    assert html.count(f'href="/sources/{sid}/table?schema=sales&amp;name=spoke_') == 30
    html = alice.get(f"/sources/{sid}/tables?kind=view").get_data(as_text=True)
    assert "big_orders" in html and "spoke_01" not in html
    r = alice.get(f"/sources/{sid}/tables?cursor=forged")
    assert r.status_code == 400 and "cursor is invalid" in r.get_data(as_text=True)


def test_table_page(shop):
    alice, sid = shop["alice"], shop["source_id"]
    html = alice.get(f"/sources/{sid}/table?schema=sales&name=orders").get_data(as_text=True)
    for text in (
        "customer_id",
        "numeric(10,2)",
        "new, paid",
        "orders_open",
        "Referenced by (2)",
        "order_lines",
        "payments",
        "sales.customers",
        "First seen",
    ):
        assert text in html, text
    html = alice.get(f"/sources/{sid}/table?schema=Mixed%20Case&name=dot.ted/slash").get_data(as_text=True)
    assert "dot.ted/slash" in html
    r = alice.get(f"/sources/{sid}/table?schema=sales&name=nope")
    assert r.status_code == 404 and "not in the catalog" in r.get_data(as_text=True)


def test_diagram_links_neighbours_and_groups_a_hub(shop):
    alice, sid = shop["alice"], shop["source_id"]
    html = alice.get(f"/sources/{sid}/table/diagram?schema=sales&name=orders", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert html.startswith('<div class="diagram-svg"><svg')
    for name in ("customers", "order_lines", "payments"):
        assert f"/sources/{sid}/table?schema=sales&amp;name={name}" in html, name
    assert "refunds" not in html  # two keys away
    html2 = alice.get(f"/sources/{sid}/table/diagram?schema=sales&name=orders&depth=2").get_data(as_text=True)
    assert "refunds" in html2
    hub = alice.get(f"/sources/{sid}/table/diagram?schema=sales&name=hub").get_data(as_text=True)
    assert len(set(re.findall(r"spoke_\d\d", hub))) == 16  # drawn boxes
    assert "+ 14 more tables referencing hub" in hub


def test_key_graph_reads_inbound_keys_from_the_catalog_edge_table(shop, redis_client):
    """Who references a table comes from catalog_foreign_keys (issue 16): the
    same keys as the API's referenced_by, and nothing built in Redis."""
    from catalog import db, reads
    from catalog.keygraph import KeyGraph

    alice, sid = shop["alice"], shop["source_id"]
    assert alice.get(f"/sources/{sid}/table?schema=sales&name=hub").status_code == 200
    assert not list(redis_client.scan_iter("metacrawl:keygraph:*"))
    keys = [("sales", "orders"), ("sales", "hub"), ("sales", "nope")]
    with shop["app"].app_context():
        inbound = KeyGraph(db.Session(), sid).inbound(keys)
        expected = reads.referenced_by(db.Session(), sid, keys)
        db.Session.remove()
    assert [(e.schema, e.table) for e in inbound[("sales", "orders")]] == [
        ("sales", "order_lines"),
        ("sales", "payments"),
    ]
    assert len(inbound[("sales", "hub")]) == 30 and inbound[("sales", "nope")] == []
    for key in keys:
        got = [(e.schema, e.table, e.name, list(e.columns), list(e.ref_columns)) for e in inbound[key]]
        want = [(k["schema"], k["table"], k["name"], k["columns"], k["referenced_columns"]) for k in expected[key]]
        assert got == want, key
    payments = inbound[("sales", "orders")][1]
    assert payments.columns == ("order_region", "order_no") and payments.ref_columns == ("region", "order_no")


def test_starter_query_along_shortest_key_path(shop):
    alice, sid = shop["alice"], shop["source_id"]
    r = alice.get(
        f"/sources/{sid}/table/query?schema=sales&name=customers&other=sales.refunds",
        headers={"HX-Request": "true"},
    )
    sql = re.search(r"<code>(.*?)</code>", r.get_data(as_text=True), re.S).group(1)
    assert "FROM sales.customers AS c" in sql
    assert "JOIN sales.orders AS o ON o.customer_id = c.id" in sql
    assert "JOIN sales.payments AS p ON p.order_region = o.region AND p.order_no = o.order_no" in sql
    assert "JOIN sales.refunds AS r ON r.payment_id = p.id" in sql


def test_search_finds_typos_and_links_the_table(shop):
    alice, sid = shop["alice"], shop["source_id"]
    html = alice.get("/search?q=custmer&suggest=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'href="/sources/{sid}/table?schema=sales&amp;name=customers"' in html
    assert "near" in html and "shop" in html
    html = alice.get("/search?q=customer_email").get_data(as_text=True)
    assert "<h1>Search</h1>" in html and "customer_email" in html


def test_change_feed_after_alter(shop, hub_target):
    alice, sid, client = shop["alice"], shop["source_id"], shop["client"]
    pg_execute(hub_target, "ALTER TABLE sales.hub ADD COLUMN colour text")
    r = alice.post(f"/sources/{sid}/crawl")
    job_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert 'data-state="succeeded"' in crawl_done(client, job_id)
    html = alice.get(f"/sources/{sid}/changes?event=table_changed").get_data(as_text=True)
    assert f'href="/sources/{sid}/table?schema=sales&amp;name=hub"' in html and "colour" in html
    html = alice.get(f"/sources/{sid}/changes?event=table_removed").get_data(as_text=True)
    assert "No changes of this kind" in html
    assert "colour" in alice.get(f"/sources/{sid}/table?schema=sales&name=hub").get_data(as_text=True)


def test_someone_elses_pages_are_404(shop):
    sid, job_id = shop["source_id"], shop["job_id"]
    mallory = register(shop["app"].test_client(), "mallory@example.com")
    for url in (
        f"/sources/{sid}",
        f"/sources/{sid}/edit",
        f"/sources/{sid}/delete",
        f"/sources/{sid}/tables",
        f"/sources/{sid}/changes",
        f"/sources/{sid}/table?schema=sales&name=orders",
        f"/sources/{sid}/table/diagram?schema=sales&name=orders",
        f"/sources/{sid}/table/query?schema=sales&name=orders",
        f"/crawls/{job_id}",
        f"/crawls/{job_id}/progress",
    ):
        r = mallory.get(url)
        assert r.status_code == 404 and "<h1>Not found</h1>" in r.get_data(as_text=True), url
    assert mallory.post(f"/sources/{sid}/delete").status_code == 404
    assert mallory.post(f"/sources/{sid}/crawl").status_code == 404
    assert "Nothing matches" in mallory.get("/search?q=customers").get_data(as_text=True)


def test_api_diagram_formats_and_starter_query(shop):
    client, sid = shop["client"], shop["source_id"]
    tokens = client.post(
        "/api/v1/auth/login", json={"email": "alice.ui@example.com", "password": "correct horse battery"}
    ).get_json()
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    base = f"/api/v1/sources/{sid}/diagram?schema=sales&table=orders"
    r = client.get(base, headers=h)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and r.get_data(as_text=True).startswith("<svg")
    mermaid = client.get(base + "&format=mermaid", headers=h).get_data(as_text=True)
    assert mermaid.startswith("erDiagram") and '["sales.customers"]' in mermaid and "||--o{" in mermaid
    dot = client.get(base + "&format=dot&depth=2", headers=h).get_data(as_text=True)
    assert dot.startswith("digraph") and "refunds" in dot
    assert client.get(base + "&format=png", headers=h).status_code == 422
    assert client.get(f"/api/v1/sources/{sid}/diagram?schema=sales&table=nope", headers=h).status_code == 404
    body = client.post(
        f"/api/v1/sources/{sid}/starter-query",
        headers=h,
        json={
            "schema": "Mixed Case",
            "table": "Select",
            "columns": [{"schema": "Mixed Case", "table": "Select", "column": "order"}],
        },
    ).get_json()
    assert body["sql"].splitlines()[1:4] == ["SELECT", '    s."order" AS "order"', 'FROM "Mixed Case"."Select" AS s']
    body = client.post(
        f"/api/v1/sources/{sid}/starter-query",
        headers=h,
        json={"schema": "sales", "table": "orders", "join": [{"schema": "sales", "table": "hub"}]},
    ).get_json()
    assert body["unreachable"] == [{"schema": "sales", "table": "hub"}]
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/sources/{source_id}/diagram",
        "/sources/{source_id}/starter-query",
        "/sources/test-connection",
        "/sources/{source_id}/test-connection",
    ):
        assert "/api/v1" + path in spec["paths"], path


def test_svg_diagram_may_not_run_script(shop):
    """The raw SVG is a document of its own when opened: names inside it are
    escaped, and its CSP refuses script should one get through anyway."""
    client, sid = shop["client"], shop["source_id"]
    tokens = client.post(
        "/api/v1/auth/login", json={"email": "alice.ui@example.com", "password": "correct horse battery"}
    ).get_json()
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = client.get(f"/api/v1/sources/{sid}/diagram?schema=sales&table=orders&format=svg", headers=h)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    no_script = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    assert r.headers["Content-Security-Policy"] == no_script
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # the UI's own diagram page answers the same SVG under the same policy
    page = shop["alice"].get(f"/sources/{sid}/table/diagram?schema=sales&name=orders")
    assert page.mimetype == "image/svg+xml"
    assert page.headers["Content-Security-Policy"] == r.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_edit_keeps_password_when_blank_and_delete_asks_first(shop, hub_target):
    alice, client = shop["alice"], shop["client"]
    job_id = add_source(alice, hub_target, name="to-delete")
    crawl_done(client, job_id)
    sid = int(re.search(r'href="/sources/(\d+)"', alice.get(f"/crawls/{job_id}").get_data(as_text=True)).group(1))
    html = alice.get(f"/sources/{sid}/edit").get_data(as_text=True)
    assert CANARY not in html and 'name="password" type="password" value=""' in html
    p = pg_params()
    form = {
        "name": "to-delete",
        "engine": "postgresql",
        "host": p["host"],
        "port": str(p["port"]),
        "database": hub_target,
        "username": p["username"],
        "password": "",
        "schedule": "",
    }
    assert alice.post(f"/sources/{sid}/edit", {**form, "action": "test"}).get_data(as_text=True).count("Connected.")
    r = alice.post(f"/sources/{sid}/edit", form)
    assert r.status_code == 303
    assert "not scheduled" in alice.get(f"/sources/{sid}").get_data(as_text=True)
    assert "Delete to-delete?" in alice.get(f"/sources/{sid}/delete").get_data(as_text=True)
    assert alice.post(f"/sources/{sid}/delete").status_code == 303
    assert alice.get(f"/sources/{sid}").status_code == 404


def test_no_page_shows_the_password(shop):
    assert shop["alice"].pages
    assert all(CANARY not in page for page in shop["alice"].pages)
