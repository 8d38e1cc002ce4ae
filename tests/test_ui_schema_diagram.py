"""The whole-schema diagram (the web UI's /sources/<id>/diagram and the API's
schema-map route) and the neighbourhood diagram's inferred keys and view
reads, through the Flask test client, against a PostgreSQL target crawled by
a real worker (tests/diagram_helpers.py). alice admins "data" (bob a viewer,
carol a curator); dave is in no team of hers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, pg_source, wait_for_insights
from .diagram_helpers import GROUP, HOSTILE_TABLE, TARGET
from .targets import pg_database, pg_execute
from .ui_helpers import team_of_four
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog


@pytest.fixture(scope="module")
def target():
    with pg_database("mc_ui_schema_diagram") as name:
        pg_execute(name, TARGET)
        yield name


@pytest.fixture(scope="module")
def shop(ui_app, worker, target):
    people, data = team_of_four(ui_app, "diagram.example")
    alice = people["alice"]
    source = pg_source(alice.api, target, name="shop", team_id=data)
    assert wait_for_crawl(alice.api, source["crawl"]["url"])["state"] == "succeeded"
    wait_for_insights(alice.api, source["id"], source["crawl"]["id"])
    return {**people, "source": source["id"], "target": target}


def schema_map(user, source, query="", status=200):
    r = user.api.get(f"/api/v1/sources/{source}/schema-map{query}")
    assert r.status_code == status, r.get_json()
    return r.get_json()


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def clusters_of(body) -> dict[str, set[str]]:
    return {c["name"]: {t["name"] for t in c["tables"]} for c in body["clusters"]}


def test_the_first_view_groups_tables_by_schema_and_splits_a_large_schema_by_its_keys(shop):
    bob, source = shop["bob"], shop["source"]
    first = schema_map(bob, source)
    assert first["level"] == "clusters" and first["table_count"] == 2 * GROUP + 5
    clusters = clusters_of(first)
    # shop is small: one cluster, the schema itself
    assert clusters["shop"] == {"customers", "orders", "invoice", "order_totals", HOSTILE_TABLE}
    # big holds two groups of 25 tables linked by one key: two clusters, one per group
    big = [c for c in first["clusters"] if c["schema"] == "big"]
    assert len(big) == 2
    groups = sorted((sorted(t["name"] for t in c["tables"]) for c in big), key=lambda g: g[0])
    assert groups[0] == [f"a_{i:02d}" for i in range(1, GROUP)] + ["a_root"]
    assert groups[1] == [f"b_{i:02d}" for i in range(1, GROUP)] + ["b_root"]
    a, b = sorted(big, key=lambda c: c["name"])
    assert a["name"] == "big: a_root and 24 more" and a["most_referenced"][0] == {"name": "a_root", "referenced_by": 26}
    # the one key between them is the one edge, weighted 1
    [edge] = [e for e in first["edges"] if {e["source"], e["target"]} == {a["id"], b["id"]}]
    assert (edge["keys"], edge["inferred"], edge["reads"]) == (1, 0, 0)
    # the page shows the same clusters, each a link that opens it
    html = bob.get(f"/sources/{source}/diagram").get_data(as_text=True)
    assert f'href="/sources/{source}/diagram?cluster={a["id"]}">big: a_root and 24 more</a>' in html
    assert 'class="diagram-svg pan-zoom" tabindex="0" role="group"' in html
    assert '<svg aria-label="Diagram of shop"' in html
    assert "accepted inferred key" in text_of(html) and "a view reads this table" in text_of(html)
    # one schema's clusters
    only = schema_map(bob, source, "?schema=big")
    assert only["level"] == "clusters" and {c["name"] for c in only["clusters"]} == {a["name"], b["name"]}


def test_opening_a_cluster_draws_its_tables(shop):
    bob, source = shop["bob"], shop["source"]
    a = next(c for c in schema_map(bob, source)["clusters"] if c["name"].startswith("big: a_root"))
    body = schema_map(bob, source, f"?cluster={a['id']}")
    assert body["level"] == "tables" and len(body["clusters"][0]["tables"]) == GROUP
    svg = body["svg"]
    # every table of the cluster is a box linking to its page, none of the other group
    for i in range(1, GROUP):
        assert f"big.a_{i:02d}" in svg
        assert f"/sources/{source}/table?schema=big&amp;name=a_{i:02d}" in svg
    assert "big.b_root" not in svg
    r = bob.get(f"/sources/{source}/diagram?cluster={a['id']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<h2>big: a_root and 24 more</h2>" in html
    assert f'href="/sources/{source}/table?schema=big&amp;name=a_07">a_07</a>' in html
    svg_only = bob.api.get(f"/api/v1/sources/{source}/schema-map?cluster={a['id']}&format=svg")
    assert svg_only.mimetype == "image/svg+xml" and svg_only.get_data(as_text=True).startswith("<svg")


def test_hostile_table_names_are_escaped_in_the_svg(shop):
    bob, source = shop["bob"], shop["source"]
    shop_cluster = next(c for c in schema_map(bob, source)["clusters"] if c["name"] == "shop")
    for path in (f"/sources/{source}/diagram?cluster={shop_cluster['id']}", f"/sources/{source}/diagram"):
        html = bob.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "alert(" not in html or "&lt;script&gt;alert(" in html
    svg = schema_map(bob, source, f"?cluster={shop_cluster['id']}")["svg"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in svg and "<script" not in svg


def _cache_rows(catalog_url, source) -> list[tuple]:
    sql = "SELECT part, crawl_id FROM catalog_diagram_cache WHERE source_id = %s ORDER BY part"
    return catalog_rows(catalog_url, sql, (source,))


def test_the_map_is_cached_per_crawl_and_a_new_crawl_replaces_it(shop, catalog_url):
    alice, source = shop["alice"], shop["source"]
    schema_map(alice, source, "?schema=shop")
    again = schema_map(alice, source, "?schema=shop")
    assert again["cached"] is True
    crawl_of = {part: crawl for part, crawl in _cache_rows(catalog_url, source)}
    assert "map" in crawl_of and "svg:schema:shop" in crawl_of
    pg_execute(shop["target"], "CREATE TABLE shop.refunds (id bigint PRIMARY KEY, order_id bigint);")
    crawl = alice.api.post(f"/api/v1/sources/{source}/crawls").get_json()
    assert wait_for_crawl(alice.api, crawl["url"])["state"] == "succeeded"
    wait_for_insights(alice.api, source, crawl["id"])
    fresh = schema_map(alice, source, "?schema=shop")
    assert fresh["cached"] is False
    assert "refunds" in clusters_of(fresh)["shop"]
    rows = _cache_rows(catalog_url, source)
    assert rows and {c for _part, c in rows} == {crawl["id"]} and crawl["id"] != crawl_of["map"]
    assert schema_map(alice, source, "?schema=shop")["cached"] is True


def test_accepted_inferred_keys_are_dashed_and_view_reads_dotted_in_the_neighbourhood(shop):
    alice, carol, source = shop["alice"], shop["carol"], shop["source"]
    rows = alice.api.get(f"/api/v1/sources/{source}/inferred-keys?limit=100").get_json()["inferred_keys"]
    [invoice] = [r for r in rows if (r["table"], r["column"]) == ("invoice", "customer_id")]
    before = alice.get(f"/sources/{source}/table/diagram?schema=shop&name=customers").get_data(as_text=True)
    assert "shop.invoice" not in before  # undecided: not drawn
    schema_map(alice, source, "?schema=shop")  # the map drawn before the decision
    r = carol.api.post(f"/api/v1/sources/{source}/inferred-keys/{invoice['id']}/accept")
    assert r.status_code == 200, r.get_json()
    svg = alice.get(f"/sources/{source}/table/diagram?schema=shop&name=customers").get_data(as_text=True)
    assert "shop.invoice" in svg
    inferred = [m for m in re.findall(r"<g id=\"edge\d+\".*?</g>\s*</g>", svg, re.S) if ">inferred<" in m]
    assert inferred and 'stroke-dasharray="5,2"' in inferred[0]
    orders = alice.get(
        f"/sources/{source}/table/diagram?schema=shop&name=orders", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    reads = [m for m in re.findall(r"<g id=\"edge\d+\".*?</g>\s*</g>", orders, re.S) if ">reads<" in m]
    assert "shop.order_totals" in orders and reads and 'stroke-dasharray="1,5"' in reads[0]
    assert "accepted inferred key" in text_of(orders)  # the legend under the drawing
    # the whole-schema map counts the accepted key between its tables at once (no crawl needed)
    body = schema_map(alice, source, "?schema=shop")
    assert body["cached"] is False


def test_another_users_source_is_not_found(shop):
    dave, source = shop["dave"], shop["source"]
    assert dave.get(f"/sources/{source}/diagram").status_code == 404
    assert dave.api.get(f"/api/v1/sources/{source}/schema-map").status_code == 404


# Each bad argument: the page's status and message, the API's status, the field named.
BAD_ARGUMENTS = {
    "unknown-schema": ("?schema=nowhere", 404, "The schema argument: schema nowhere is not in", 404, "schema"),
    "unknown-cluster": ("?cluster=999", 404, "The cluster argument: cluster 999 is not in the diagram", 404, "cluster"),
    "cluster-not-a-number": ("?cluster=abc", 400, "The cluster argument must be a cluster's number", 422, "cluster"),
    "empty-schema": ("?schema=", 400, "The schema argument must be a schema name", 422, "schema"),
    "schema-and-cluster": ("?schema=big&cluster=0", 400, "not both (the cluster argument", 422, "cluster"),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=list(BAD_ARGUMENTS))
def test_a_bad_argument_is_refused_naming_it(shop, case):
    bob, source = shop["bob"], shop["source"]
    query, page_status, message, api_status, field = BAD_ARGUMENTS[case]
    r = bob.get(f"/sources/{source}/diagram{query}")
    assert r.status_code == page_status and message in text_of(r.get_data(as_text=True))
    body = schema_map(bob, source, query, api_status)
    assert field in body["errors"]["query"]
