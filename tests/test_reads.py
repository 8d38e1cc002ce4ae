"""Catalog reads, search and export: from the catalog, with freshness.

The target is crawled once for the module: the tests only read (a test that
changes something brings its own user and source)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import RICH_PG_TARGET, crawl_now, pg_source
from .targets import pg_database, pg_execute, random_name

pytestmark = pytest.mark.shared_catalog

READS_TARGET = (
    RICH_PG_TARGET
    + """
CREATE TABLE sales.customer (id int PRIMARY KEY, note text);
COMMENT ON TABLE sales.customer IS 'Legacy table kept for the old invoicing export';
CREATE TABLE sales."100%_real" (id int, "under_score" int, "o'brien" text);
CREATE TABLE sales.customers_archive (id int, customer_email text);
ALTER TABLE sales.customers_archive ADD CONSTRAINT archive_customer FOREIGN KEY (id) REFERENCES sales.customer (id)
    DEFERRABLE INITIALLY DEFERRED NOT VALID;
"""
)


@pytest.fixture(scope="module")
def reads_target():
    with pg_database() as name:
        pg_execute(name, READS_TARGET)
        yield name


@pytest.fixture(scope="module")
def reads_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def alice(reads_app):
    return ApiUser(reads_app.test_client(), "alice@example.com")


@pytest.fixture(scope="module")
def bob(reads_app):
    return ApiUser(reads_app.test_client(), "bob@example.com")


@pytest.fixture
def someone(reads_app):
    """A user of one test's own, for a test that changes what it reads."""
    return ApiUser(reads_app.test_client(), f"{random_name('reader')}@example.com")


@pytest.fixture(scope="module")
def crawled(alice, worker, reads_target):
    source = pg_source(alice, reads_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    return source


def test_schema_page_with_freshness(alice, crawled):
    r = alice.get(f"/api/v1/sources/{crawled['id']}/schema")
    assert r.status_code == 200
    body = r.get_json()
    assert body["source_id"] == crawled["id"] and body["last_crawled_at"] and body["crawl_state"] == "succeeded"
    names = [(t["schema"], t["name"]) for t in body["tables"]]
    assert names == sorted(names) and len(names) == 11 and body["next_cursor"] is None
    assert ("sales", "events_2026") not in names  # a partition: listed under partitions=true
    orders = next(t for t in body["tables"] if t["name"] == "orders")
    assert orders["primary_key"]["columns"] == ["region", "order_no"]
    assert {i["name"] for i in orders["indexes"]} >= {"orders_open", "orders_lower_region"}
    assert any(c["type"] == "check" for c in orders["constraints"])
    for key in ("first_seen_at", "crawled_at", "changed_at", "row_estimate", "kind", "comment", "foreign_keys"):
        assert key in orders
    assert r.headers["ETag"] and r.headers["Last-Modified"]


def test_schema_filters(alice, crawled):
    base = f"/api/v1/sources/{crawled['id']}/schema"
    assert {t["name"] for t in alice.get(f"{base}?schema=Mixed Case").get_json()["tables"]} == {
        "with-hyphen",
        "dot.ted/slash",
    }
    assert [t["name"] for t in alice.get(f"{base}?kind=view").get_json()["tables"]] == ["big_orders"]
    assert {t["name"] for t in alice.get(f"{base}?q=CUSTOMER").get_json()["tables"]} == {
        "customer",
        "customers",
        "customers_archive",
    }


def test_schema_keyset_pagination(alice, crawled):
    url, seen, pages = f"/api/v1/sources/{crawled['id']}/schema?limit=5", [], 0
    while url:
        r = alice.get(url)
        body = r.get_json()
        seen += [(t["schema"], t["name"]) for t in body["tables"]]
        pages += 1
        if body["next_cursor"]:
            assert 'rel="next"' in r.headers["Link"]
            url = f"/api/v1/sources/{crawled['id']}/schema?limit=5&cursor={quote(body['next_cursor'])}"
        else:
            url = None
    assert pages == 3 and len(seen) == len(set(seen)) == 11 and seen == sorted(seen)


def test_never_crawled_source(idle_app):
    user = ApiUser(idle_app.test_client(), f"{random_name('nora')}@example.com")
    source = pg_source(user, "not_crawled_yet")
    body = user.get(f"/api/v1/sources/{source['id']}/schema").get_json()
    assert body["tables"] == [] and body["last_crawled_at"] is None
    assert body["crawl"]["url"] == source["crawl"]["url"] and body["crawl_state"] == "queued"


def test_table_detail(alice, crawled):
    r = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/customers")
    assert r.status_code == 200
    t = r.get_json()
    assert t["name"] == "customers" and t["comment"] == "People who buy"
    assert [c["name"] for c in t["columns"]] == ["id", "customer_email", "referred_by"]
    assert t["columns"][0]["identity"] == "always"


def test_table_detail_lists_the_keys_that_reference_it(alice, crawled):
    """referenced_by: other tables' keys (and a table's own, referencing
    itself), read through the catalog's key index; pages do not carry it."""
    customers = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/customers").get_json()
    assert [
        (k["schema"], k["table"], k["name"], k["columns"], k["referenced_columns"], k["on_delete"])
        for k in customers["referenced_by"]
    ] == [
        ("sales", "customers", "customers_referred_by_fkey", ["referred_by"], ["id"], "SET NULL"),
        ("sales", "orders", "orders_customer_id_fkey", ["customer_id"], ["id"], "NO ACTION"),
    ]
    orders = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/orders").get_json()
    assert [(k["table"], k["columns"], k["on_update"]) for k in orders["referenced_by"]] == [
        ("order_lines", ["region", "order_no"], "CASCADE")
    ]
    # a NOT VALID, deferred key: told apart in the table's keys and in referenced_by
    [archived] = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/customers_archive").get_json()["foreign_keys"]
    [referencing] = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/customer").get_json()["referenced_by"]
    for key in (archived, referencing):
        assert (key["validated"], key["deferrable"], key["deferred"]) == (False, True, True)
        assert key["definition"] == (
            "FOREIGN KEY (id) REFERENCES sales.customer(id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
        )
    assert orders["referenced_by"][0]["validated"] is True and orders["referenced_by"][0]["deferrable"] is False
    lines = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/order_lines").get_json()
    assert lines["referenced_by"] == []
    page = alice.get(f"/api/v1/sources/{crawled['id']}/schema").get_json()
    assert all("referenced_by" not in t for t in page["tables"])


def test_table_with_slash_and_dot_in_name(alice, crawled):
    url = f"/api/v1/sources/{crawled['id']}/tables/{quote('Mixed Case', safe='')}/{quote('dot.ted/slash', safe='')}"
    r = alice.get(url)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["name"] == "dot.ted/slash"


def test_missing_table_is_404_with_message(alice, crawled):
    r = alice.get(f"/api/v1/sources/{crawled['id']}/tables/sales/nope")
    assert r.status_code == 404
    assert "sales.nope" in r.get_json()["message"]


def test_etag_and_last_modified_answer_304(alice, crawled):
    for url in (f"/api/v1/sources/{crawled['id']}/schema", f"/api/v1/sources/{crawled['id']}/tables/sales/orders"):
        first = alice.get(url)
        assert alice.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert alice.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
        assert alice.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_recrawl_invalidates_cache_and_etag(someone, worker, reads_target):
    source = pg_source(someone, reads_target)
    assert wait_for_crawl(someone, source["crawl"]["url"])["state"] == "succeeded"
    url = f"/api/v1/sources/{source['id']}/schema?schema=sales&q=refund"
    first = someone.get(url)
    assert first.get_json()["tables"] == []
    pg_execute(reads_target, "CREATE TABLE sales.refunds (id int)")
    try:
        assert crawl_now(someone, source["id"])["state"] == "succeeded"
        second = someone.get(url)
        assert [t["name"] for t in second.get_json()["tables"]] == ["refunds"]
        assert second.headers["ETag"] != first.headers["ETag"]
        assert someone.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    finally:
        pg_execute(reads_target, "DROP TABLE sales.refunds")


# --- search ---


def search(user, **params):
    r = user.get("/api/v1/search", query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def test_search_ranks_exact_prefix_substring(alice, crawled):
    hits = search(alice, q="customer", kind="table")
    assert [h["table"] for h in hits][:3] == ["customer", "customers", "customers_archive"]
    assert [h["match"] for h in hits][:3] == ["exact", "prefix", "prefix"]
    assert hits[0]["url"] == f"/api/v1/tables/{hits[0]['table_id']}"  # by id: one URL whatever the name holds
    assert hits[0]["crawled_at"] and hits[0]["source_id"] == crawled["id"]


def test_search_columns_with_type_and_comment(alice, crawled):
    hits = search(alice, q="customer_email", kind="column")
    assert [h["match"] for h in hits][:2] == ["exact", "exact"] and hits[-1]["match"] == "near"
    assert {(h["table"], h["type"]) for h in hits if h["match"] == "exact"} == {
        ("customers", "character varying(320)"),
        ("customers_archive", "text"),
    }
    assert next(h for h in hits if h["table"] == "customers")["comment"] == "Contact address"


def test_search_near_miss(alice, crawled):
    hits = search(alice, q="custmer")
    assert hits and hits[0]["table"] == "customer" and hits[0]["match"] == "near"


def test_search_comments(alice, crawled):
    hits = search(alice, q="invoicing")
    assert [(h["table"], h["match"]) for h in hits] == [("customer", "comment")]


def test_search_scoped_to_own_sources(alice, bob, crawled):
    assert search(bob, q="customer") == []
    assert bob.get("/api/v1/search", query_string={"q": "customer", "source_id": crawled["id"]}).status_code == 404
    assert search(alice, q="customer", source_id=crawled["id"])


@pytest.mark.parametrize(
    "q,expected",
    [("0%_", {"100%_real"}), ("%", set()), ("_real", {"100%_real"}), ("o'b", {"o'brien"}), ("under_", {"under_score"})],
)
def test_search_wildcards_match_literally(alice, crawled, q, expected):
    assert {h["column"] or h["table"] for h in search(alice, q=q)} == expected


@pytest.mark.parametrize("q", ["\\", "'; DROP TABLE catalog_tables; --", "SELECT * FROM users", "ünïcødé 表", "x"])
def test_search_odd_terms_answer_correctly(alice, crawled, q):
    hits = search(alice, q=q)
    assert all(q.lower() in (h["column"] or h["table"]).lower() or h["match"] in ("near", "comment") for h in hits)
    assert alice.get(f"/api/v1/sources/{crawled['id']}/schema").status_code == 200


def test_search_one_character_matches_by_prefix(alice, crawled):
    hits = search(alice, q="t", kind="table")
    assert {h["table"] for h in hits} == {"totals"}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"q": "x" * 1000}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({}, "q"),
        ({"q": "x", "kind": "index"}, "kind"),
        ({"q": "x", "limit": 0}, "limit"),
    ],
)
def test_search_bad_input(alice, crawled, params, field):
    r = alice.get("/api/v1/search", query_string=params)
    assert r.status_code == 422 and field in r.get_json()["errors"]["query"]


# --- bad input on schema reads ---


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("kind=index", "kind"),
        ("q=" + "x" * 1000, "q"),
        ("q=a%00b", "q"),
    ],
)
def test_schema_bad_input(alice, crawled, query, field):
    r = alice.get(f"/api/v1/sources/{crawled['id']}/schema?{query}")
    assert r.status_code == 422 and field in r.get_json()["errors"]["query"]


@pytest.mark.parametrize("cursor", ["forged", "eyJhIjoxfQ.AAAA", None])
def test_schema_forged_or_truncated_cursor(alice, crawled, cursor):
    if cursor is None:  # a real cursor, truncated
        real = alice.get(f"/api/v1/sources/{crawled['id']}/schema?limit=2").get_json()["next_cursor"]
        cursor = real[:-3]
    r = alice.get(f"/api/v1/sources/{crawled['id']}/schema?limit=2&cursor={quote(cursor)}")
    assert r.status_code == 400 and "cursor" in r.get_json()["errors"]["query"]


def test_cursor_of_another_filter_is_refused(alice, crawled):
    cursor = alice.get(f"/api/v1/sources/{crawled['id']}/schema?limit=2").get_json()["next_cursor"]
    r = alice.get(f"/api/v1/sources/{crawled['id']}/schema?limit=2&kind=view&cursor={quote(cursor)}")
    assert r.status_code == 400


def test_schema_q_with_wildcards_is_literal(alice, crawled):
    body = alice.get(f"/api/v1/sources/{crawled['id']}/schema?q={quote('%_')}").get_json()
    assert [t["name"] for t in body["tables"]] == ["100%_real"]


@pytest.mark.parametrize("path", ["schema", "tables/sales/orders", "schema/export"])
def test_someone_elses_source_reads_are_404(bob, crawled, path):
    assert bob.get(f"/api/v1/sources/{crawled['id']}/{path}").status_code == 404


# --- export ---


def test_export_json_ndjson_markdown(alice, crawled):
    base = f"/api/v1/sources/{crawled['id']}/schema/export"
    r = alice.get(base)
    assert r.status_code == 200 and r.is_streamed
    body = json.loads(r.get_data(as_text=True))
    assert len(body["tables"]) == 12 and body["source_id"] == crawled["id"]
    lines = alice.get(f"{base}?format=ndjson").get_data(as_text=True).splitlines()
    assert len(lines) == 12 and json.loads(lines[0])["schema"] == "Mixed Case"
    md = alice.get(f"{base}?format=markdown").get_data(as_text=True)
    assert "## sales.orders (table)" in md and "| 2 | customer_email | character varying(320) | no |" in md
    assert alice.get(f"{base}?format=xml").status_code == 422
