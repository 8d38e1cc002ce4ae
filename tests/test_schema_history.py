"""A source against itself at an earlier crawl (issue #14): crawl, alter the
target (add a column, drop a table, change a type, add an index), recrawl,
and diff `as_of` the first crawl, from the definitions the catalog kept."""

from __future__ import annotations

import json

import pytest

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import catalog_conn, catalog_rows, crawl_now, maria_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog

BEFORE = """
CREATE SCHEMA app;
CREATE TABLE app.customers (id bigint PRIMARY KEY, email varchar(100) NOT NULL);
CREATE TABLE app.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES app.customers (id), status text);
CREATE TABLE app.audit (id int, note text);
CREATE TABLE app.untouched (id int PRIMARY KEY);
"""

ALTER = """
ALTER TABLE app.customers ADD COLUMN phone text;
DROP TABLE app.audit;
ALTER TABLE app.customers ALTER COLUMN email TYPE varchar(200);
CREATE INDEX orders_status ON app.orders (status);
"""


@pytest.fixture(scope="module")
def history_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def owner(history_app):
    return ApiUser(history_app.test_client(), "historian@example.com")


@pytest.fixture(scope="module")
def stranger(history_app):
    return ApiUser(history_app.test_client(), "other-historian@example.com")


@pytest.fixture(scope="module")
def altered(owner, worker):
    """(source id, first crawl id, second crawl id, target database)."""
    with pg_database("mc_history") as db:
        pg_execute(db, BEFORE)
        source = pg_source(owner, db, name="history")
        first = wait_for_crawl(owner, source["crawl"]["url"])
        assert first["state"] == "succeeded"
        pg_execute(db, ALTER)
        second = crawl_now(owner, source["id"])
        assert second["state"] == "succeeded" and second["stats"]["changed"] == 2, second
        yield source["id"], first["id"], second["id"], db


def _as_of(user, source_id, crawl_id, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"as_of": crawl_id, **params}.items())
    r = user.get(f"/api/v1/sources/{source_id}/diff?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.is_streamed
    return json.loads(r.get_data(as_text=True))


def _refusal(user, url: str, status: int = 422) -> dict:
    r = user.get(url)
    assert r.status_code == status, r.get_data(as_text=True)
    return r.get_json()


def test_as_of_the_first_crawl_shows_exactly_what_changed(owner, altered):
    source_id, first, _, _ = altered
    body = _as_of(owner, source_id, first)
    assert body["source_id"] == source_id and body["against_id"] == source_id and body["as_of"] == first
    by_name = {t["table"]: t for t in body["tables"]}
    assert set(by_name) == {"audit", "customers", "orders"}
    assert by_name["audit"]["status"] == "only_in_against"  # dropped since
    customers = by_name["customers"]
    assert customers["status"] == "different"
    assert customers["columns_only_in_source"] == ["phone"]
    email = {"type": {"source": "character varying(200)", "against": "character varying(100)"}}
    assert customers["columns_different"] == [{"name": "email", "changes": email}]
    orders = by_name["orders"]
    assert [i["name"] for i in orders["indexes"]["only_in_source"]] == ["orders_status"]
    assert set(orders) == {"schema", "table", "status", "kind", "indexes"}
    assert body["summary"] == {"only_in_source": 0, "only_in_against": 1, "different": 2, "same": 1}


def test_as_of_the_latest_crawl_shows_nothing(owner, altered):
    source_id, _, second, _ = altered
    body = _as_of(owner, source_id, second)
    assert body["tables"] == []
    assert body["summary"] == {"only_in_source": 0, "only_in_against": 0, "different": 0, "same": 3}


def test_as_of_one_schema_and_ndjson(owner, altered):
    source_id, first, _, _ = altered
    assert _as_of(owner, source_id, first, schema="public")["summary"]["same"] == 0
    r = owner.get(f"/api/v1/sources/{source_id}/diff?as_of={first}&schema=app&format=ndjson")
    assert r.status_code == 200
    lines = [json.loads(line) for line in r.get_data(as_text=True).splitlines()]
    assert [(t["table"], t["status"]) for t in lines] == [
        ("audit", "only_in_against"),
        ("customers", "different"),
        ("orders", "different"),
    ]


def test_only_changed_and_removed_tables_are_kept(catalog_url, altered):
    source_id, first, second, _ = altered
    rows = catalog_rows(
        catalog_url,
        "SELECT name, valid_from_crawl_id, valid_to_crawl_id FROM catalog_table_versions WHERE source_id = %s "
        "ORDER BY name",
        (source_id,),
    )
    assert rows == [("audit", first, second), ("customers", first, second), ("orders", first, second)]


def test_a_table_added_later_is_only_in_source(owner, altered):
    source_id, first, second, db = altered
    pg_execute(db, "CREATE TABLE app.later (id int); ALTER TABLE app.untouched ADD COLUMN x int;")
    third = crawl_now(owner, source_id)
    assert third["state"] == "succeeded"
    try:
        body = _as_of(owner, source_id, second)
        status = {t["table"]: t["status"] for t in body["tables"]}
        assert status == {"later": "only_in_source", "untouched": "different"}
        # the first crawl's schema is still the same, two changes later
        status = {t["table"]: t["status"] for t in _as_of(owner, source_id, first)["tables"]}
        assert status == {
            "audit": "only_in_against",
            "customers": "different",
            "orders": "different",
            "later": "only_in_source",
            "untouched": "different",
        }
    finally:
        pg_execute(db, "DROP TABLE app.later; ALTER TABLE app.untouched DROP COLUMN x;")
        assert crawl_now(owner, source_id)["state"] == "succeeded"


def test_against_and_as_of_are_exactly_one(owner, altered):
    source_id, first, _, _ = altered
    both = _refusal(owner, f"/api/v1/sources/{source_id}/diff?against={source_id}&as_of={first}")
    assert "as_of" in both["errors"]["query"]
    neither = _refusal(owner, f"/api/v1/sources/{source_id}/diff")
    assert "against" in neither["errors"]["query"]
    bad = _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of=yesterday")
    assert "as_of" in bad["errors"]["query"]


def test_a_crawl_of_another_source_of_mine_is_422(owner, altered, worker):
    source_id, _, _, _ = altered
    with pg_database("mc_history_other") as db:
        other = pg_source(owner, db, name="history other")
        crawl = wait_for_crawl(owner, other["crawl"]["url"])
        body = _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of={crawl['id']}")
        assert f"not of source {source_id}" in body["errors"]["query"]["as_of"][0]


def test_an_unsuccessful_crawl_is_422(owner, catalog_url, altered):
    source_id, _, _, _ = altered
    ((failed,),) = catalog_rows(
        catalog_url,
        "INSERT INTO crawl_jobs (source_id, state, error_type) VALUES (%s, 'failed', 'target_unreachable') "
        "RETURNING id",
        (source_id,),
    )
    body = _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of={failed}")
    assert "did not succeed (failed)" in body["errors"]["query"]["as_of"][0]


def _history_from(catalog_url: str, source_id: int, crawl_id: int) -> None:
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE sources SET history_from_crawl_id = %s WHERE id = %s", (crawl_id, source_id))
    finally:
        conn.close()


def test_a_crawl_before_the_history_is_refused_honestly(owner, catalog_url, altered):
    source_id, first, second, _ = altered
    # as a source crawled before migration 0013 kept history: it starts at `second`
    _history_from(catalog_url, source_id, second)
    try:
        body = _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of={first}")
        message = body["errors"]["query"]["as_of"][0]
        assert "predates" in message and f"crawl {second}" in message
        assert _as_of(owner, source_id, second)["tables"] == []
    finally:
        _history_from(catalog_url, source_id, first)


def test_someone_elses_source_or_crawl_is_404(owner, stranger, altered, worker):
    source_id, first, _, _ = altered
    assert _refusal(stranger, f"/api/v1/sources/{source_id}/diff?as_of={first}", 404)
    with pg_database("mc_history_theirs") as db:
        theirs = pg_source(stranger, db, name="theirs")
        crawl = wait_for_crawl(stranger, theirs["crawl"]["url"])
        assert _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of={crawl['id']}", 404)
        assert _refusal(stranger, f"/api/v1/sources/{theirs['id']}/diff?as_of={first}", 404)
    assert _refusal(owner, f"/api/v1/sources/{source_id}/diff?as_of=999999999", 404)


def test_mariadb_as_of(owner, worker):
    with mysql_databases(1, "mc_hist") as (db,):
        mysql_execute("CREATE TABLE t (id int PRIMARY KEY, name varchar(10)); CREATE TABLE gone (id int);", db)
        try:
            source = maria_source(owner, db)
            first = wait_for_crawl(owner, source["crawl"]["url"])
            assert first["state"] == "succeeded"
            mysql_execute("ALTER TABLE t MODIFY name varchar(20), ADD INDEX t_name (name); DROP TABLE gone;", db)
            assert crawl_now(owner, source["id"])["state"] == "succeeded"
            body = _as_of(owner, source["id"], first["id"])
        finally:
            reader = f"mc_views_{db[-8:]}"
            mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")
        by_name = {t["table"]: t for t in body["tables"]}
        assert by_name["gone"]["status"] == "only_in_against"
        assert by_name["t"]["columns_different"] == [
            {"name": "name", "changes": {"type": {"source": "varchar(20)", "against": "varchar(10)"}}}
        ]
        assert [i["name"] for i in by_name["t"]["indexes"]["only_in_source"]] == ["t_name"]
