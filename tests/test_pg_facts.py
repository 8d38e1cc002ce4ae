"""PostgreSQL's facts beyond tables (issue #26) through a real crawl: the
API's lists of extensions, domains, collations, text-search configurations
and schemas, a column's collation, a view's options and schema-qualified
operator classes in the table document, the source and schema pages, their
change events, and upgrade safety: a recrawl of an unchanged database, and
the first crawl after a catalog of main's shape, record no change."""

from __future__ import annotations

import time

import pytest
from markupsafe import escape

from catalog.staging import encode_definition

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, mariadb_reader, mariadb_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute
from .ui_helpers import Browser

HOSTILE = '<b>we"ird\nname'
Q = HOSTILE.replace('"', '""')

TARGET = f"""
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'Orders <and> invoices';
CREATE SCHEMA "{Q}";
CREATE EXTENSION pg_trgm WITH SCHEMA app VERSION '1.5';
CREATE EXTENSION citext WITH SCHEMA "{Q}";
CREATE COLLATION "{Q}"."{Q}" (provider = icu, locale = 'de-u-ks-level2', deterministic = false);
CREATE DOMAIN app.amount AS numeric(12,2) DEFAULT 0 NOT NULL CONSTRAINT positive CHECK (VALUE >= 0);
COMMENT ON DOMAIN app.amount IS 'Cents';
CREATE TEXT SEARCH CONFIGURATION app.en (COPY = pg_catalog.english);
CREATE TYPE app.state AS ENUM ('open', 'closed');
COMMENT ON TYPE app.state IS 'An order''s <state>';
CREATE TABLE app.orders (id int PRIMARY KEY, total app.amount, label text COLLATE "C", note text);
CREATE INDEX orders_label_trgm ON app.orders USING gin (label app.gin_trgm_ops);
CREATE VIEW app.big_orders WITH (security_barrier) AS SELECT id, total FROM app.orders WHERE total > 100
    WITH CASCADED CHECK OPTION;
"""

LATER_KINDS = ("extension", "domain", "collation", "text_search_configuration", "schema")


@pytest.fixture
def pg_target():
    with pg_database("mc_pgfacts") as name:
        pg_execute(name, TARGET)
        yield name


def get(user, url: str) -> dict:
    r = user.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def crawled(alice, db) -> int:
    source = pg_source(alice, db)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    return source["id"]


def events(alice, sid) -> list[str]:
    return [c["event"] for c in get(alice, f"/api/v1/sources/{sid}/changes")["changes"]]


def test_lists_documents_and_pages(alice, bob, worker, pg_target):
    sid = crawled(alice, pg_target)
    base = f"/api/v1/sources/{sid}"

    body = get(alice, f"{base}/extensions")
    assert body["last_crawled_at"] and body["next_cursor"] is None
    assert sorted((e["schema"], e["name"], e["version"]) for e in body["extensions"]) == [
        (HOSTILE, "citext", "1.6"), ("app", "pg_trgm", "1.5"), ("pg_catalog", "plpgsql", "1.0")
    ]  # fmt: skip
    [domain] = get(alice, f"{base}/domains")["domains"]
    assert domain == {
        "schema": "app", "name": "amount", "base_type": "numeric(12,2)", "default": "0", "not_null": True,
        "checks": [{"name": "positive", "definition": "CHECK ((VALUE >= (0)::numeric))"}], "collation": None,
        "comment": "Cents",
    }  # fmt: skip
    [collation] = get(alice, f"{base}/collations")["collations"]
    assert (collation["schema"], collation["name"], collation["provider"], collation["deterministic"]) == (
        HOSTILE, HOSTILE, "icu", False
    )  # fmt: skip
    [config] = get(alice, f"{base}/text_search_configurations")["text_search_configurations"]
    assert (config["schema"], config["name"], config["parser"]) == ("app", "en", 'pg_catalog."default"')
    schemas = get(alice, f"{base}/schemas")["schemas"]
    assert sorted(schemas, key=lambda s: s["name"]) == [
        {"name": HOSTILE, "comment": None},
        {"name": "app", "comment": "Orders <and> invoices"},
        {"name": "public", "comment": "standard public schema"},
    ]
    assert [e["name"] for e in get(alice, f"{base}/extensions?q=TRG")["extensions"]] == ["pg_trgm"]
    [state] = get(alice, f"{base}/enums")["enums"]
    assert (state["name"], state["values"], state["comment"]) == ("state", ["open", "closed"], "An order's <state>")
    assert get(alice, f"{base}/schema?schema=app")["schema_comment"] == "Orders <and> invoices"
    assert get(alice, f"{base}/schema?schema=public")["schema_comment"] == "standard public schema"
    assert "schema_comment" not in get(alice, f"{base}/schema")
    page = alice.get(f"{base}/extensions?limit=1")
    assert len(page.get_json()["extensions"]) == 1 and page.get_json()["next_cursor"]
    for what in ("extensions", "domains", "collations", "text_search_configurations", "schemas"):
        assert bob.get(f"{base}/{what}").status_code == 404

    orders = get(alice, f"{base}/tables/app/orders")
    columns = {c["name"]: c for c in orders["columns"]}
    assert columns["label"]["collation"] == "C"
    assert "collation" not in columns["note"] and columns["total"]["type"] == "app.amount"
    [trgm] = [i for i in orders["indexes"] if i["name"] == "orders_label_trgm"]
    assert trgm["parts"][0]["opclass"] == "app.gin_trgm_ops"
    view = get(alice, f"{base}/tables/app/big_orders")
    assert view["view_options"] == {"check_option": "cascaded", "security_barrier": True}
    assert "view_options" not in orders

    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    page_html = browser.get(f"/sources/{sid}").get_data(as_text=True)
    assert 'id="extensions"' in page_html and "<code>pg_trgm</code></td><td>1.5</td>" in page_html
    assert str(escape(HOSTILE)) in page_html and HOSTILE not in page_html  # escaped, never as markup
    assert "CHECK ((VALUE &gt;= (0)::numeric))" in page_html
    assert 'id="enum-types"' in page_html and "An order&#39;s &lt;state&gt;" in page_html
    schema_page = browser.get(f"/sources/{sid}/tables?schema=app").get_data(as_text=True)
    assert "Orders &lt;and&gt; invoices" in schema_page
    table_page = browser.get(f"/sources/{sid}/table?schema=app&name=big_orders").get_data(as_text=True)
    assert "<code>WITH CASCADED CHECK OPTION</code> <code>security_barrier</code>" in table_page
    table_page = browser.get(f"/sources/{sid}/table?schema=app&name=orders").get_data(as_text=True)
    assert "collate <code>C</code>" in table_page


def test_an_unchanged_database_recrawled_records_no_change(alice, worker, pg_target):
    sid = crawled(alice, pg_target)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert events(alice, sid) == ["source_crawled"]


def test_their_changes_are_events(alice, worker, pg_target):
    sid = crawled(alice, pg_target)
    pg_execute(
        pg_target,
        f"""ALTER EXTENSION pg_trgm UPDATE TO '1.6'; CREATE EXTENSION hstore;
        ALTER DOMAIN app.amount ADD CONSTRAINT small CHECK (VALUE < 10); COMMENT ON SCHEMA app IS 'Orders';
        DROP COLLATION "{Q}"."{Q}"; ALTER VIEW app.big_orders RESET (security_barrier);
        COMMENT ON TYPE app.state IS NULL;""",
    )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    listed = get(alice, f"/api/v1/sources/{sid}/changes")["changes"]
    changes = {(c["event"], c["details"].get("name")): c for c in listed if c["details"]}
    upgraded = changes[("extension_upgraded", "pg_trgm")]
    assert (upgraded["hazard"], upgraded["details"]["changes"]) == ("safe", {"version": {"from": "1.5", "to": "1.6"}})
    assert changes[("extension_added", "hstore")]["hazard"] == "safe"
    domain = changes[("domain_changed", "app.amount")]
    assert domain["hazard"] == "risky" and set(domain["details"]["changes"]) == {"checks"}
    assert changes[("schema_changed", "app")]["hazard"] == "safe"
    [state] = [c for c in listed if c["event"] == "enum_changed"]
    assert (state["hazard"], state["details"]["comment"]) == ("safe", {"from": "An order's <state>", "to": None})
    assert changes[("collation_removed", f"{HOSTILE}.{HOSTILE}")]["hazard"] == "risky"
    view = [c for (event, _), c in changes.items() if event == "table_changed" and c["table"] == "big_orders"]
    assert view[0]["details"]["view_options"] == {"from": {"check_option": "cascaded", "security_barrier": True},
                                                  "to": {"check_option": "cascaded"}}  # fmt: skip


def test_the_first_crawl_after_the_upgrade_records_no_change(alice, worker, pg_target, catalog_url):
    sid = crawled(alice, pg_target)
    # the catalog as main left it: none of the new kinds, documents without
    # the new fields, the signatures main computed (other than today's for
    # the tables that have the new facts)
    catalog_rows(
        catalog_url,
        "DELETE FROM catalog_objects WHERE source_id = %s AND kind = ANY(%s) RETURNING 1",
        (sid, list(LATER_KINDS)),
    )
    catalog_rows(catalog_url, "UPDATE catalog_enums SET comment = NULL WHERE source_id = %s RETURNING 1", (sid,))
    rows = catalog_rows(
        catalog_url, "SELECT id, kind, comment, definition FROM catalog_tables WHERE source_id = %s", (sid,)
    )
    for table_id, kind, comment, definition in rows:
        definition.pop("view_options", None)
        for c in definition.get("columns") or []:
            c.pop("collation", None)
        for i in definition.get("indexes") or []:
            for p in i.get("parts") or []:
                if p.get("opclass") == "app.gin_trgm_ops":
                    p["opclass"] = "gin_trgm_ops"
        fingerprint, stored = encode_definition({**definition, "kind": kind, "comment": comment})
        catalog_rows(
            catalog_url,
            "UPDATE catalog_tables SET definition = %s, fingerprint = %s, signature = 'pg4:main' WHERE id = %s "
            "RETURNING 1",
            (stored, fingerprint, table_id),
        )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert events(alice, sid) == ["source_crawled"]
    base = f"/api/v1/sources/{sid}"
    assert len(get(alice, f"{base}/extensions")["extensions"]) == 3  # listed, as a baseline
    assert get(alice, f"{base}/enums")["enums"][0]["comment"] == "An order's <state>"
    assert get(alice, f"{base}/tables/app/big_orders")["view_options"]["security_barrier"] is True
    assert {c["name"]: c.get("collation") for c in get(alice, f"{base}/tables/app/orders")["columns"]}["label"] == "C"
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert events(alice, sid) == ["source_crawled"]


def test_a_partitioned_tables_activity_is_its_partitions(alice, worker, pg_target):
    pg_execute(
        pg_target,
        """CREATE TABLE app.log (id int) PARTITION BY RANGE (id);
        CREATE TABLE app.log_a PARTITION OF app.log FOR VALUES FROM (0) TO (100);
        CREATE TABLE app.log_b PARTITION OF app.log FOR VALUES FROM (100) TO (200);""",
    )
    pg_execute(pg_target, "INSERT INTO app.log SELECT generate_series(0, 149)")
    time.sleep(1)  # the inserting session's statistics are flushed as it ends
    sid = crawled(alice, pg_target)
    base = f"/api/v1/sources/{sid}"
    parts = [get(alice, f"{base}/tables/app/{name}")["activity"]["rows_inserted"] for name in ("log_a", "log_b")]
    activity = get(alice, f"{base}/tables/app/log")["activity"]
    assert parts == [100, 50] and activity["rows_inserted"] == 150 and activity["last_analyze_at"] is None


def test_other_engines_list_none(alice, worker):
    # MariaDB's plugins are not extensions, and it has no domains, collations of its own, nor schema comments
    with mysql_databases(1, "mc_pgfacts") as (db,):
        mysql_execute("CREATE TABLE items (id int PRIMARY KEY)", db)
        with mariadb_reader(db) as reader:
            source = mariadb_source(alice, db, reader)
            assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
            base = f"/api/v1/sources/{source['id']}"
            for what in ("extensions", "domains", "collations", "text_search_configurations", "schemas"):
                assert get(alice, f"{base}/{what}")[what] == []
            assert "schema_comment" in get(alice, f"{base}/schema?schema={db}")
            assert get(alice, f"{base}/schema?schema={db}")["schema_comment"] is None
