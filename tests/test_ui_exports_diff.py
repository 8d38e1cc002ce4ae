"""A source's exports and diff in the web UI (Flask test client, PostgreSQL
targets crawled by a real worker). alice admins "data" (bob a viewer);
dave is in no team of hers. "shop" is crawled twice (between the crawls
public.customer loses `email` and sales.orders gains `shipped`); "staging"
is shop as it was first, plus a table with a hostile name."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from .conftest import wait_for_crawl
from .targets import pg_database, pg_execute, pg_params
from .ui_helpers import error_of, team_of_four
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog

FIRST = """
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint PRIMARY KEY, note text, total numeric);
CREATE TABLE public.customer (id bigint PRIMARY KEY, name text, email text);
"""
ALTER = "ALTER TABLE public.customer DROP COLUMN email; ALTER TABLE sales.orders ADD COLUMN shipped date;"
HOSTILE = """CREATE TABLE public."<i>odd</i>" (a int);"""


def _add_source(person, name: str, database: str, team_id: int | None) -> dict:
    p = pg_params()
    body = {
        "name": name,
        "engine": "postgresql",
        "host": p["host"],
        "port": p["port"],
        "database": database,
        "username": p["username"],
        "password": "pw-exports",
    }
    if team_id is not None:
        body["team_id"] = team_id
    r = person.api.post("/api/v1/sources", json=body)
    assert r.status_code == 201, r.get_json()
    source = r.get_json()
    assert wait_for_crawl(person.api, source["crawl"]["url"])["state"] == "succeeded"
    return source


@pytest.fixture(scope="module")
def world(ui_app, worker):
    people, data = team_of_four(ui_app, "exports.example")
    alice = people["alice"]
    with pg_database("mc_ui_exports_shop") as shop_db, pg_database("mc_ui_exports_staging") as staging_db:
        pg_execute(shop_db, FIRST)
        pg_execute(staging_db, FIRST + HOSTILE)
        shop = _add_source(alice, "shop", shop_db, data)
        staging = _add_source(alice, "staging", staging_db, data)
        pg_execute(shop_db, ALTER)
        second = alice.api.post(f"/api/v1/sources/{shop['id']}/crawls").get_json()
        second = wait_for_crawl(alice.api, second["url"])
        assert second["state"] == "succeeded"
        outside = _add_source(people["dave"], "dave's", staging_db, None)
    return {
        **people,
        "shop": shop["id"],
        "staging": staging["id"],
        "first": shop["crawl"]["id"],
        "second": second["id"],
        "second_day": second["finished_at"][:10],
        "staging_crawl": staging["crawl"]["id"],
        "outside": outside["id"],
    }


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def links(html: str, pattern: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'href="({pattern}[^"]*)"', html)]


# ---- exports


def test_every_export_format_is_linked_and_downloads_a_file(world):
    from api.catalog_reads.schemas import EXPORT_FORMATS
    from api.catalog_reads.views import EXPORT_TYPES

    bob, shop = world["bob"], world["shop"]
    assert f'href="/sources/{shop}/export"' in bob.get(f"/sources/{shop}").get_data(as_text=True)  # in the nav
    r = bob.get(f"/sources/{shop}/export")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    hrefs = links(html, f"/sources/{shop}/export/")
    assert [h.rsplit("/", 1)[1] for h in hrefs] == list(EXPORT_FORMATS)  # every format the API takes, once
    for fmt, href in zip(EXPORT_FORMATS, hrefs, strict=True):
        block = re.search(rf'<li id="format-{fmt}">(.*?)</li>', html, re.S).group(1)
        assert EXPORT_TYPES[fmt].purpose in text_of(block)  # what it is for
        d = bob.get(href)
        assert d.status_code == 200, href
        assert d.mimetype == EXPORT_TYPES[fmt].mimetype
        disposition = d.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="source-{shop}-{EXPORT_TYPES[fmt].ending}"'
        body = d.get_data(as_text=True)
        assert "customer" in body and "orders" in body, fmt
    doc = json.loads(bob.get(f"/sources/{shop}/export/json").get_data(as_text=True))
    assert {(t["schema"], t["name"]) for t in doc["tables"]} == {("public", "customer"), ("sales", "orders")}


def test_an_export_of_one_schema_holds_only_that_schema(world):
    bob, shop = world["bob"], world["shop"]
    html = bob.get(f"/sources/{shop}/export?schema=sales").get_data(as_text=True)
    assert '<option value="sales" selected>' in html
    hrefs = links(html, f"/sources/{shop}/export/")
    assert hrefs and all(h.endswith("?schema=sales") for h in hrefs)
    r = bob.get(f"/sources/{shop}/export/json?schema=sales")
    assert r.headers["Content-Disposition"] == f'attachment; filename="source-{shop}-sales-schema.json"'
    assert [(t["schema"], t["name"]) for t in json.loads(r.get_data(as_text=True))["tables"]] == [("sales", "orders")]
    markdown = bob.get(f"/sources/{shop}/export/markdown?schema=sales").get_data(as_text=True)
    assert "orders" in markdown and "customer" not in markdown


def test_an_export_of_a_schema_the_source_lacks_is_a_404(world):
    r = world["bob"].get(f"/sources/{world['shop']}/export/json?schema=nowhere")
    assert r.status_code == 404
    assert "schema nowhere is not in this source" in r.get_data(as_text=True)


def test_another_users_source_has_no_export_and_no_diff(world):
    dave, shop, staging = world["dave"], world["shop"], world["staging"]
    for url in (
        f"/sources/{shop}/export",
        f"/sources/{shop}/export/markdown",
        f"/sources/{shop}/diff",
        f"/sources/{shop}/diff?against={staging}",
        f"/sources/{shop}/diff/json?against={staging}",
    ):
        r = dave.get(url)
        assert r.status_code == 404, url
        assert "Not found" in r.get_data(as_text=True)


# ---- diff


def diff_section(html: str) -> str:
    m = re.search(r'<section id="diff">(.*?)</section>', html, re.S)
    assert m, "no diff on the page"
    return m.group(1)


def table_block(section: str, name: str) -> str:
    m = re.search(rf'<div class="diff-table">\s*<h3><a href="[^"]*name={re.escape(name)}">(.*?)</div>', section, re.S)
    assert m, f"no {name} in the diff"
    return m.group(1)


def test_two_sources_compared_show_a_dropped_column_as_breaking(world):
    bob, shop, staging = world["bob"], world["shop"], world["staging"]
    assert f'href="/sources/{shop}/diff"' in bob.get(f"/sources/{shop}").get_data(as_text=True)  # in the nav
    r = bob.get(f"/sources/{shop}/diff?against={staging}")
    assert r.status_code == 200
    section = diff_section(r.get_data(as_text=True))
    assert "From staging" in text_of(section)
    customer = table_block(section, "customer")
    assert f"/sources/{shop}/table?schema=public&amp;name=customer" in section  # linked to its table page
    assert re.search(r'<span class="badge hazard-breaking">breaking</span> column email removed', customer)
    orders = table_block(section, "orders")
    assert re.search(r'<span class="badge hazard-safe">safe</span> column shipped added', orders)
    # the hostile name (only in staging) is text, linked to staging's table page
    assert "&lt;i&gt;odd&lt;/i&gt;" in section and "<i>odd</i>" not in section
    assert f"/sources/{staging}/table?schema=public&amp;name=%3Ci%3Eodd%3C%2Fi%3E" in section
    counts = text_of(re.search(r'<p id="hazard-counts">(.*?)</p>', section, re.S).group(1))
    assert "breaking 2" in counts and "risky 0" in counts and "safe 1" in counts  # email, the odd table; shipped


def test_the_hazard_filter_keeps_only_that_hazards_changes(world):
    bob, shop, staging = world["bob"], world["shop"], world["staging"]
    section = diff_section(bob.get(f"/sources/{shop}/diff?against={staging}&hazard=safe").get_data(as_text=True))
    assert "shipped" in section
    assert "email" not in section and "odd" not in section
    tables = section.split('<p class="downloads">', 1)[1]
    assert "hazard-breaking" not in tables
    assert "breaking 2" in text_of(section)  # the counts stay whole


def test_the_diff_downloads_as_json_and_ndjson(world):
    bob, shop, staging = world["bob"], world["shop"], world["staging"]
    html = bob.get(f"/sources/{shop}/diff?against={staging}").get_data(as_text=True)
    hrefs = links(html, f"/sources/{shop}/diff/")
    assert [h.split("?")[0].rsplit("/", 1)[1] for h in hrefs] == ["json", "ndjson"]
    r = bob.get(hrefs[0])
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Content-Disposition"] == f'attachment; filename="source-{shop}-diff-{staging}.json"'
    doc = json.loads(r.get_data(as_text=True))
    customer = next(t for t in doc["tables"] if t["table"] == "customer")
    assert customer["columns_only_in_against"] == ["email"]
    r = bob.get(hrefs[1])
    assert r.mimetype == "application/x-ndjson"
    assert {json.loads(line)["table"] for line in r.get_data(as_text=True).splitlines()} == {
        "customer",
        "orders",
        "<i>odd</i>",
    }


def test_a_past_crawl_is_offered_and_compared(world):
    bob, shop, first = world["bob"], world["shop"], world["first"]
    html = bob.get(f"/sources/{shop}/diff").get_data(as_text=True)
    assert f'<option value="{first}">#{first}' in html  # the source's past crawls are choices
    assert '<section id="diff">' not in html  # nothing compared yet
    section = diff_section(bob.get(f"/sources/{shop}/diff?crawl={first}").get_data(as_text=True))
    assert f"Since crawl #{first}" in text_of(section)
    assert re.search(r"hazard-breaking\">breaking</span> column email removed", table_block(section, "customer"))
    r = bob.get(f"/sources/{shop}/diff/json?crawl={first}")
    assert r.headers["Content-Disposition"] == f'attachment; filename="source-{shop}-diff-crawl-{first}.json"'
    assert json.loads(r.get_data(as_text=True))["as_of"] == first


def test_a_past_date_compares_with_the_last_crawl_by_that_day(world):
    bob, shop, second = world["bob"], world["shop"], world["second"]
    r = bob.get(f"/sources/{shop}/diff?date={world['second_day']}")
    assert r.status_code == 200
    section = diff_section(r.get_data(as_text=True))
    assert f"Since crawl #{second}" in text_of(section)  # the last crawl done by the end of that day
    assert "No differences." in text_of(section)


def test_a_malformed_date_is_refused_next_to_the_field(world):
    r = world["bob"].get(f"/sources/{world['shop']}/diff?date=2026-13-45")
    assert r.status_code == 422
    assert "'2026-13-45' is not a date: expected YYYY-MM-DD" in unescape(error_of(r.get_data(as_text=True), "date"))


def test_a_date_before_the_first_crawl_is_refused_next_to_the_field(world):
    r = world["bob"].get(f"/sources/{world['shop']}/diff?date=2001-02-03")
    assert r.status_code == 422
    message = error_of(r.get_data(as_text=True), "date")
    assert "no crawl of this source had succeeded by the end of 2001-02-03" in message


def test_another_users_source_to_compare_with_is_the_same_as_a_missing_one(world):
    bob, shop = world["bob"], world["shop"]
    missing = bob.get(f"/sources/{shop}/diff?against=987654321")
    theirs = bob.get(f"/sources/{shop}/diff?against={world['outside']}")
    assert missing.status_code == theirs.status_code == 404
    assert error_of(missing.get_data(as_text=True), "against") == "source #987654321 not found"
    assert error_of(theirs.get_data(as_text=True), "against") == f"source #{world['outside']} not found"
    assert bob.get(f"/sources/{shop}/diff/json?against={world['outside']}").status_code == 404


def test_a_crawl_that_is_not_there_is_refused_next_to_the_field(world):
    r = world["bob"].get(f"/sources/{world['shop']}/diff?crawl=987654321")
    assert r.status_code == 404
    assert error_of(r.get_data(as_text=True), "crawl") == "crawl #987654321 not found"


def test_a_source_to_compare_with_that_is_not_a_number_is_refused(world):
    r = world["bob"].get(f"/sources/{world['shop']}/diff?against=shop")
    assert r.status_code == 422
    assert error_of(r.get_data(as_text=True), "against") == "against must be a number"


def test_a_crawl_of_another_source_is_refused_next_to_the_field(world):
    crawl = world["staging_crawl"]
    r = world["bob"].get(f"/sources/{world['shop']}/diff?crawl={crawl}")
    assert r.status_code == 422
    message = error_of(r.get_data(as_text=True), "crawl")
    assert message == f"crawl {crawl} is a crawl of source {world['staging']}, not of source {world['shop']}"


def test_two_things_to_compare_with_at_once_are_refused(world):
    r = world["bob"].get(f"/sources/{world['shop']}/diff?against={world['staging']}&crawl={world['first']}")
    assert r.status_code == 422
    assert "compare with one thing" in error_of(r.get_data(as_text=True), "against")
    d = world["bob"].get(f"/sources/{world['shop']}/diff/json")
    assert d.status_code == 422 and "say what to compare this source with" in d.get_data(as_text=True)
