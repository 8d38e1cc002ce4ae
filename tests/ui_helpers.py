"""Shared pieces of the web UI tests: a person's browser over the Flask test
client (cookies, CSRF, pages read as HTML), signing up, waiting for a crawl
on its progress page, and a target whose hub table many tables reference."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import ApiUser, truncate_catalog
from .crawl_helpers import RICH_PG_TARGET

HUB_TARGET = (
    RICH_PG_TARGET
    + """
CREATE TABLE sales.hub (id bigint PRIMARY KEY, label text);
"""
    + "".join(
        f"CREATE TABLE sales.spoke_{i:02d} (id bigint PRIMARY KEY, hub_id bigint REFERENCES sales.hub (id));\n"
        for i in range(30)
    )
    + """
CREATE TABLE sales.payments (id bigint PRIMARY KEY, order_region text, order_no integer, amount numeric,
    FOREIGN KEY (order_region, order_no) REFERENCES sales.orders (region, order_no));
CREATE TABLE sales.refunds (id bigint PRIMARY KEY, payment_id bigint REFERENCES sales.payments (id));
CREATE TABLE "Mixed Case"."Select" (id int PRIMARY KEY, "order" int);
"""
)


def error_of(html: str, field: str) -> str:
    """The message a form shows next to a field."""
    m = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', html)
    assert m, f"no message next to {field}"
    return m.group(1)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Browser:
    """A person's browser: the test client with its cookie jar, reading HTML."""

    def __init__(self, client):
        self.client = client
        self.pages: list[str] = []
        self.api: ApiUser | None = None

    def get(self, url, **kw):
        r = self.client.get(url, **kw)
        if r.mimetype == "text/html":
            self.pages.append(r.get_data(as_text=True))
        return r

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        r = self.client.post(url, data=data, **kw)
        if r.mimetype == "text/html":
            self.pages.append(r.get_data(as_text=True))
        return r

    @property
    def csrf(self) -> str:
        return csrf_of(self.get("/sources").get_data(as_text=True))

    def sign_in(self, email, password):
        token = csrf_of(self.get("/login").get_data(as_text=True))  # sets the sign-in form's nonce cookie
        return self.post("/login", {"email": email, "password": password, "csrf_token": token}, csrf=False)


def register(client, email, password="correct horse battery"):
    """A signed-in browser; `.api` drives the API as the same user."""
    api = ApiUser(client, email, password)
    b = Browser(client)
    r = b.sign_in(email, password)
    assert r.status_code == 302, r.get_data(as_text=True)
    b.api = api
    return b


def crawl_done(client, job_id: int, timeout: float = 90) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        html = client.get(f"/crawls/{job_id}/progress").get_data(as_text=True)
        state = re.search(r'data-state="(\w+)"', html).group(1)
        if state in ("succeeded", "failed"):
            return html
        time.sleep(0.2)
    raise AssertionError(f"crawl {job_id} did not end")


def team_of_four(app, domain: str = "example.com") -> tuple[dict, int]:
    """alice, bob, carol and dave signed in ({name: Browser}); alice admins the
    team "data" (its id returned) with bob a viewer and carol a curator; dave
    is in no team of hers."""
    people = {n: register(app.test_client(), f"{n}@{domain}") for n in ("alice", "bob", "carol", "dave")}
    r = people["alice"].post("/teams", {"name": "data"})
    data = int(r.headers["Location"].rsplit("/", 1)[1])
    people["alice"].post(f"/teams/{data}/members", {"email": f"bob@{domain}", "role": "viewer"})
    people["alice"].post(f"/teams/{data}/members", {"email": f"carol@{domain}", "role": "curator"})
    return people, data


@pytest.fixture(scope="module")
def ui_app(settings, redis_client, catalog_url):
    """One app for a module's tests over one crawl (modules marked shared_catalog), the catalog emptied after
    them; a module takes it with `from .ui_helpers import ui_app as ui_app`."""
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)
