"""The crawl end to end: API → Redis → a real Celery worker → target → catalog."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from urllib.parse import quote

import pytest
import redis

from engines import ConnectionParams
from engines.documents import table_document
from engines.postgres import PostgresIntrospector

from .conftest import IDLE_REDIS_URL, ApiUser, wait_for_crawl
from .crawl_helpers import RICH_PG_TARGET, SECRET, catalog_rows, crawl_now, pg_source, wait_for_insights
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute, pg_params


def direct_documents(dbname) -> dict:
    """What the target's own catalog says, read directly (the truth to compare to)."""
    p = pg_params()
    params = ConnectionParams(
        host=p["host"], port=p["port"], database=dbname, username=p["username"], password=p["password"]
    )
    with PostgresIntrospector(params) as target:
        return {(t.schema, t.name): table_document(t) for t in target.describe(target.list_tables())}


def catalog_documents(catalog_url, source_id) -> dict:
    rows = catalog_rows(
        catalog_url,
        """
        SELECT schema_name, name, kind, comment, definition FROM catalog_tables
        WHERE source_id = %s AND removed_at IS NULL""",
        (source_id,),
    )
    return {(s, n): {"kind": k, "comment": c, **d} for s, n, k, c, d in rows}


@pytest.fixture
def rich_pg():
    with pg_database() as name:
        pg_execute(name, RICH_PG_TARGET)
        yield name


def test_first_crawl_matches_target_object_by_object(alice, worker, rich_pg, catalog_url):
    source = pg_source(alice, rich_pg)
    job = wait_for_crawl(alice, source["crawl"]["url"])
    assert job["state"] == "succeeded", job
    truth = direct_documents(rich_pg)
    assert job["progress"]["tables_total"] == job["progress"]["tables_done"] == len(truth) == 9
    assert job["progress"]["batches_total"] == job["progress"]["batches_done"] == 2  # batch size 7 in tests
    assert job["stats"] == {"added": 9, "changed": 0, "removed": 0, "unchanged": 0, "with_warnings": 0}
    stored = catalog_documents(catalog_url, source["id"])
    assert set(stored) == set(truth)
    for key, doc in truth.items():
        for part in ("kind", "comment", "columns", "primary_key", "foreign_keys", "indexes", "constraints"):
            assert stored[key][part] == doc[part], (key, part)
    # spot checks against the DDL itself
    orders = stored[("sales", "orders")]
    assert orders["primary_key"]["columns"] == ["region", "order_no"]
    assert [c["type"] for c in orders["columns"]][3:] == ["sales.status", "numeric(10,2)", "text[]"]
    lines_fk = stored[("sales", "order_lines")]["foreign_keys"][0]
    assert (lines_fk["columns"], lines_fk["referenced_columns"], lines_fk["on_update"], lines_fk["on_delete"]) == (
        ["region", "order_no"],
        ["region", "order_no"],
        "CASCADE",
        "CASCADE",
    )
    self_fk = stored[("sales", "customers")]["foreign_keys"][0]
    assert (self_fk["referenced_table"], self_fk["on_delete"]) == ("customers", "SET NULL")
    assert {k for k in stored if k[0] == "Mixed Case"} == {
        ("Mixed Case", "with-hyphen"),
        ("Mixed Case", "dot.ted/slash"),
    }
    assert [c["name"] for c in stored[("Mixed Case", "with-hyphen")]["columns"]] == ["Has Space", 'quote"d']
    kinds = {k[1]: v["kind"] for k, v in stored.items()}
    assert (kinds["big_orders"], kinds["totals"], kinds["events"]) == ("view", "materialized_view", "partitioned_table")
    assert catalog_rows(catalog_url, 'SELECT schema_name, name, "values" FROM catalog_enums') == [
        ("sales", "status", ["new", "paid"])
    ]
    columns = catalog_rows(catalog_url, "SELECT count(*) FROM catalog_columns WHERE source_id = %s", (source["id"],))
    assert columns[0][0] == sum(len(d["columns"]) for d in truth.values())
    # freshness on the source
    body = alice.get(f"/api/v1/sources/{source['id']}").get_json()
    assert body["last_crawled_at"] and body["stale"] is False and body["last_crawl"]["state"] == "succeeded"


def test_recrawl_counts_changed_removed_added(alice, worker, rich_pg, catalog_url):
    source = pg_source(alice, rich_pg)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    before = {
        r[0]: r[1:]
        for r in catalog_rows(catalog_url, "SELECT name, first_seen_at, changed_at, crawled_at FROM catalog_tables")
    }
    pg_execute(
        rich_pg,
        "ALTER TABLE sales.customers ADD COLUMN phone text; DROP TABLE sales.order_lines;"
        "CREATE TABLE sales.refunds (id int PRIMARY KEY)",
    )
    job = crawl_now(alice, source["id"])
    assert job["state"] == "succeeded", job
    assert job["stats"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 7, "with_warnings": 0}
    after = {
        r[0]: r[1:]
        for r in catalog_rows(
            catalog_url, "SELECT name, first_seen_at, changed_at, crawled_at, removed_at FROM catalog_tables"
        )
    }
    assert after["customers"][0] == before["customers"][0] and after["customers"][1] > before["customers"][1]
    assert after["orders"][1] == before["orders"][1]
    # an unchanged table is confirmed by the new crawl: its crawled_at is the crawl's
    orders = alice.get(f"/api/v1/sources/{source['id']}/tables/sales/orders").get_json()
    assert datetime.fromisoformat(orders["crawled_at"]) > before["orders"][2]
    assert datetime.fromisoformat(orders["changed_at"]) == before["orders"][1]
    assert after["order_lines"][3] is not None and "refunds" in after
    assert catalog_documents(catalog_url, source["id"]).keys() == direct_documents(rich_pg).keys()
    # an unchanged recrawl changes nothing but the freshness
    job = crawl_now(alice, source["id"])
    assert job["stats"] == {"added": 0, "changed": 0, "removed": 0, "unchanged": 9, "with_warnings": 0}


def test_mariadb_several_databases(alice, worker, catalog_url):
    with mysql_databases(2) as (db1, db2):
        mysql_execute(f"""
            CREATE TABLE `{db1}`.`customers` (id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
                email varchar(50) NOT NULL UNIQUE, kind enum('a','b') DEFAULT 'a') COMMENT 'buyers';
            CREATE TABLE `{db1}`.`Mixed Case-t` (id int PRIMARY KEY, parent int,
                FOREIGN KEY (parent) REFERENCES `{db1}`.`Mixed Case-t` (id) ON DELETE SET NULL);
            CREATE TABLE `{db2}`.`orders` (id int PRIMARY KEY, customer_id int,
                FOREIGN KEY (customer_id) REFERENCES `{db1}`.`customers` (id) ON UPDATE CASCADE);
            CREATE VIEW `{db2}`.`v_orders` AS SELECT id FROM `{db2}`.`orders`;""")
        p = mysql_params()
        reader = "mc_reader_" + db1[-6:]
        mysql_execute(
            f"CREATE USER '{reader}'@'%' IDENTIFIED BY '{SECRET}';"
            f"CREATE USER '{reader}'@'localhost' IDENTIFIED BY '{SECRET}';"
            + "".join(
                f"GRANT SELECT, REFERENCES ON `{d}`.* TO '{reader}'@'{h}';"
                for d in (db1, db2)
                for h in ("%", "localhost")
            )
        )
        r = alice.post(
            "/api/v1/sources",
            json={
                "name": "maria",
                "engine": "mariadb",
                "host": p["host"],
                "port": p["port"],
                "database": db1,
                "username": reader,
                "password": SECRET,
                "options": {"include_schemas": [db1, db2]},
            },
        )
        assert r.status_code == 201, r.get_json()
        job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
        assert job["state"] == "succeeded", job
        stored = catalog_documents(catalog_url, r.get_json()["id"])
        assert set(stored) == {(db1, "customers"), (db1, "Mixed Case-t"), (db2, "orders"), (db2, "v_orders")}
        customers = stored[(db1, "customers")]
        assert [c["type"] for c in customers["columns"]] == ["int(11)", "varchar(50)", "enum('a','b')"]
        assert customers["columns"][0]["identity"] == "auto_increment" and customers["comment"] == "buyers"
        fk = stored[(db2, "orders")]["foreign_keys"][0]
        assert (fk["referenced_schema"], fk["referenced_table"], fk["on_update"]) == (db1, "customers", "CASCADE")
        assert stored[(db2, "v_orders")]["kind"] == "view"
        # who references a table, across databases and from itself, through the API
        sid = r.get_json()["id"]
        customers_api = alice.get(f"/api/v1/sources/{sid}/tables/{db1}/customers").get_json()
        assert [
            (k["schema"], k["table"], k["columns"], k["referenced_columns"], k["on_update"])
            for k in customers_api["referenced_by"]
        ] == [(db2, "orders", ["customer_id"], ["id"], "CASCADE")]
        [ref] = customers_api["referenced_by"]
        assert (ref["validated"], ref["deferrable"], ref["deferred"]) == (True, False, False)
        assert (
            ref["definition"] == f"FOREIGN KEY (`customer_id`) REFERENCES `{db1}`.`customers` (`id`) ON UPDATE CASCADE"
        )
        mixed = alice.get(f"/api/v1/sources/{sid}/tables/{db1}/{quote('Mixed Case-t', safe='')}").get_json()
        assert [(k["table"], k["on_delete"]) for k in mixed["referenced_by"]] == [("Mixed Case-t", "SET NULL")]
        assert alice.get(f"/api/v1/sources/{sid}/tables/{db2}/orders").get_json()["referenced_by"] == []
        mysql_execute(f"DROP USER '{reader}'@'%'; DROP USER '{reader}'@'localhost';")


# --- job control ---


def test_second_crawl_while_one_is_active_is_409(idle_app):
    user = ApiUser(idle_app.test_client(), "dora@example.com")
    source = pg_source(user, "anything")
    r = user.post(f"/api/v1/sources/{source['id']}/crawls")
    assert r.status_code == 409
    assert r.get_json()["crawl"]["url"] == source["crawl"]["url"] == r.headers["Location"]


def test_simultaneous_crawl_requests_make_one_crawl(idle_app, catalog_url):
    client = idle_app.test_client()
    user = ApiUser(client, "erin@example.com")
    source = pg_source(user, "anything")
    catalog_rows(catalog_url, "UPDATE crawl_jobs SET state = 'failed' RETURNING id")
    codes, barrier = [], threading.Barrier(4)

    def request():
        c = idle_app.test_client()
        barrier.wait()
        codes.append(c.post(f"/api/v1/sources/{source['id']}/crawls", headers=user.headers).status_code)

    threads = [threading.Thread(target=request) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [202, 409, 409, 409]
    assert catalog_rows(catalog_url, "SELECT count(*) FROM crawl_jobs WHERE state = 'queued'")[0][0] == 1


def test_crawl_list_newest_first_and_ownership(idle_app, catalog_url):
    client = idle_app.test_client()
    user, other = ApiUser(client, "fay@example.com"), ApiUser(client, "gus@example.com")
    source = pg_source(user, "anything")
    catalog_rows(  # as jobs.fail_job leaves it: a failed crawl always says why
        catalog_url,
        "UPDATE crawl_jobs SET state = 'failed', error_type = 'connection_failed', "
        "error_message = 'could not connect' RETURNING id",
    )
    second = user.post(f"/api/v1/sources/{source['id']}/crawls").get_json()
    listed = user.get(f"/api/v1/sources/{source['id']}/crawls").get_json()["crawls"]
    assert [c["id"] for c in listed] == [second["id"], source["crawl"]["id"]]
    assert other.get(second["url"]).status_code == 404
    assert other.get(f"/api/v1/sources/{source['id']}/crawls").status_code == 404
    assert other.post(f"/api/v1/sources/{source['id']}/crawls").status_code == 404


def test_broker_message_carries_ids_only(idle_app):
    user = ApiUser(idle_app.test_client(), "hal@example.com")
    source = pg_source(user, "anything")
    raw = redis.Redis.from_url(IDLE_REDIS_URL).lrange("celery", 0, -1)
    assert len(raw) == 1
    assert SECRET.encode() not in raw[0]
    message = json.loads(raw[0])
    assert message["headers"]["task"] == "crawl.plan"
    assert SECRET not in json.dumps(message["headers"])
    import base64

    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert args == [source["crawl"]["id"]] and kwargs == {}


def test_deleting_a_crawled_source_forgets_its_catalog(alice, worker, rich_pg, catalog_url):
    source = pg_source(alice, rich_pg)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    wait_for_insights(alice, source["id"], source["crawl"]["id"])
    counts = (
        "SELECT (SELECT count(*) FROM catalog_tables WHERE source_id = %(s)s), "
        "(SELECT count(*) FROM catalog_columns WHERE source_id = %(s)s), "
        "(SELECT count(*) FROM catalog_column_names WHERE source_id = %(s)s), "
        "(SELECT count(*) FROM catalog_foreign_keys WHERE source_id = %(s)s), "
        "(SELECT count(*) FROM catalog_findings WHERE source_id = %(s)s)"
    )
    assert all(n > 0 for n in catalog_rows(catalog_url, counts, {"s": source["id"]})[0])
    assert alice.delete(f"/api/v1/sources/{source['id']}").status_code == 204
    assert catalog_rows(catalog_url, counts, {"s": source["id"]})[0] == (0, 0, 0, 0, 0)
    assert alice.get("/api/v1/search?q=customer_email").get_json()["results"] == []
