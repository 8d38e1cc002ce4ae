"""Schema diff between two sources: two PostgreSQL targets that differ in every
way the diff reports, and a MariaDB pair compared across differently named
databases. The targets are crawled once for the module; the tests only read."""

from __future__ import annotations

import json

import pytest

from catalog.schema_diff import compare_tables

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import SECRET, pg_source
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog

PROD = """
CREATE SCHEMA app;
CREATE TABLE app.customers (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name varchar(50),
    created date DEFAULT CURRENT_DATE,
    legacy_code text,
    CONSTRAINT email_unique UNIQUE (email)
);
COMMENT ON TABLE app.customers IS 'buyers';
CREATE TABLE app.orders (
    id bigint PRIMARY KEY,
    customer_id bigint CONSTRAINT orders_customer_fk REFERENCES app.customers (id) ON DELETE CASCADE,
    total numeric(10, 2) CONSTRAINT orders_total_check CHECK (total >= 0),
    status text
);
CREATE INDEX orders_status ON app.orders (status);
CREATE INDEX orders_customer ON app.orders (customer_id);
CREATE TABLE app.pk_change (a int, b int NOT NULL, PRIMARY KEY (a));
CREATE TABLE app.same (id int PRIMARY KEY, note text, customer_id bigint REFERENCES app.customers (id));
CREATE TABLE app.only_prod (id int);
"""

STAGING = """
CREATE SCHEMA app;
CREATE TABLE app.customers (
    id bigint PRIMARY KEY,
    email text,
    name varchar(100),
    created date,
    phone text,
    CONSTRAINT name_not_blank CHECK (name <> '')
);
COMMENT ON TABLE app.customers IS 'buyers';
CREATE TABLE app.orders (
    id bigint PRIMARY KEY,
    customer_id bigint CONSTRAINT orders_customer_fk REFERENCES app.customers (id) ON DELETE SET NULL,
    total numeric(10, 2) CONSTRAINT orders_total_check CHECK (total > 0),
    status text
);
CREATE INDEX orders_status ON app.orders (status, id);
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE TABLE app.pk_change (a int, b int NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE app.same (id int PRIMARY KEY, note text, customer_id bigint REFERENCES app.customers (id));
CREATE VIEW app.only_staging AS SELECT 1 AS one;
"""


@pytest.fixture(scope="module")
def diff_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def owner(diff_app):
    return ApiUser(diff_app.test_client(), "differ@example.com")


@pytest.fixture(scope="module")
def stranger(diff_app):
    return ApiUser(diff_app.test_client(), "other-differ@example.com")


@pytest.fixture(scope="module")
def pg_pair(owner, worker):
    with pg_database("mc_prod") as prod, pg_database("mc_staging") as staging:
        pg_execute(prod, PROD)
        pg_execute(staging, STAGING)
        a, b = pg_source(owner, prod, name="prod"), pg_source(owner, staging, name="staging")
        for s in (a, b):
            assert wait_for_crawl(owner, s["crawl"]["url"])["state"] == "succeeded"
        yield a["id"], b["id"]


def _diff(user, source_id, against_id, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"against": against_id, **params}.items())
    r = user.get(f"/api/v1/sources/{source_id}/diff?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.is_streamed
    return json.loads(r.get_data(as_text=True))


def test_tables_only_in_one_and_counts(owner, pg_pair):
    body = _diff(owner, *pg_pair)
    status = {(t["schema"], t["table"]): t["status"] for t in body["tables"]}
    assert status == {
        ("app", "customers"): "different",
        ("app", "only_prod"): "only_in_source",
        ("app", "only_staging"): "only_in_against",
        ("app", "orders"): "different",
        ("app", "pk_change"): "different",
    }
    assert [(t["schema"], t["table"]) for t in body["tables"]] == sorted(status)
    assert body["summary"] == {"only_in_source": 1, "only_in_against": 1, "different": 3, "same": 1}
    assert next(t for t in body["tables"] if t["table"] == "only_staging")["kind"] == "view"


def test_columns_types_nullability_defaults(owner, pg_pair):
    customers = next(t for t in _diff(owner, *pg_pair)["tables"] if t["table"] == "customers")
    assert customers["columns_only_in_source"] == ["legacy_code"]
    assert customers["columns_only_in_against"] == ["phone"]
    changes = {c["name"]: c["changes"] for c in customers["columns_different"]}
    assert changes["email"] == {"nullable": {"source": False, "against": True}}
    assert changes["name"] == {"type": {"source": "character varying(50)", "against": "character varying(100)"}}
    assert changes["created"] == {"default": {"source": "CURRENT_DATE", "against": None}}
    assert "comment_different" not in customers and "kind_different" not in customers
    constraints = customers["constraints"]
    assert [c["name"] for c in constraints["only_in_source"]] == ["email_unique"]
    assert [c["name"] for c in constraints["only_in_against"]] == ["name_not_blank"]
    assert constraints["only_in_against"][0]["type"] == "check"
    # the unique constraint's index is only in production too
    assert [i["name"] for i in customers["indexes"]["only_in_source"]] == ["email_unique"]


def test_keys_indexes_constraints(owner, pg_pair):
    body = _diff(owner, *pg_pair)
    orders = next(t for t in body["tables"] if t["table"] == "orders")
    fk = orders["foreign_keys"]["different"]
    assert fk[0]["name"] == "orders_customer_fk"
    assert fk[0]["changes"]["on_delete"] == {"source": "CASCADE", "against": "SET NULL"}
    assert "ON DELETE CASCADE" in fk[0]["changes"]["definition"]["source"]
    indexes = orders["indexes"]
    assert indexes["renamed"] == [{"source": "orders_customer", "against": "orders_customer_idx"}]
    assert indexes["different"][0]["name"] == "orders_status"
    assert indexes["different"][0]["changes"]["columns"] == {"source": ["status"], "against": ["status", "id"]}
    check = orders["constraints"]["different"]
    assert check[0]["name"] == "orders_total_check" and set(check[0]["changes"]) == {"definition"}
    assert not any(k.startswith("columns") for k in orders)
    pk = next(t for t in body["tables"] if t["table"] == "pk_change")
    assert pk["primary_key"]["source"]["columns"] == ["a"]
    assert pk["primary_key"]["against"]["columns"] == ["a", "b"]
    # the primary key's index changed with it
    assert pk["indexes"]["different"][0]["changes"]["columns"]["against"] == ["a", "b"]


def test_the_other_way_round_and_ndjson(owner, pg_pair):
    prod, staging = pg_pair
    r = owner.get(f"/api/v1/sources/{staging}/diff?against={prod}&format=ndjson")
    assert r.status_code == 200 and r.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in r.get_data(as_text=True).splitlines()]
    status = {t["table"]: t["status"] for t in lines}
    assert status["only_prod"] == "only_in_against" and status["only_staging"] == "only_in_source"
    customers = next(t for t in lines if t["table"] == "customers")
    assert customers["columns_only_in_source"] == ["phone"]


def test_the_ndjson_operation_answers_the_same_lines(owner, pg_pair):
    """/diff/ndjson: the NDJSON a generated client reads as text; text/plain when Accept prefers it."""
    prod, staging = pg_pair
    by_query = owner.get(f"/api/v1/sources/{staging}/diff?against={prod}&format=ndjson")
    by_path = owner.get(f"/api/v1/sources/{staging}/diff/ndjson?against={prod}")
    assert by_path.status_code == 200 and by_path.mimetype == "application/x-ndjson"
    assert by_path.get_data() == by_query.get_data() and by_path.get_data().count(b"\n") == 5
    as_text = owner.get(f"/api/v1/sources/{staging}/diff/ndjson?against={prod}", headers={"Accept": "text/plain"})
    assert as_text.mimetype == "text/plain" and as_text.get_data() == by_query.get_data()
    assert owner.get(f"/api/v1/sources/{staging}/diff/ndjson").status_code == 422


def test_a_schema_only_and_itself(owner, pg_pair):
    prod, _ = pg_pair
    same = _diff(owner, prod, prod)
    assert same["tables"] == [] and same["summary"]["same"] == 5
    nothing = _diff(owner, *pg_pair, schema="public")
    assert nothing["tables"] == [] and nothing["schema"] == "public" and nothing["against_schema"] == "public"


def test_someone_elses_source_is_404_either_way(owner, stranger, pg_pair, worker):
    prod, staging = pg_pair
    with pg_database("mc_stranger") as db:
        theirs = pg_source(stranger, db, name="theirs")["id"]
        assert owner.get(f"/api/v1/sources/{prod}/diff?against={theirs}").status_code == 404
        assert owner.get(f"/api/v1/sources/{theirs}/diff?against={prod}").status_code == 404
        assert stranger.get(f"/api/v1/sources/{theirs}/diff?against={staging}").status_code == 404
    assert owner.get(f"/api/v1/sources/{prod}/diff?against=999999").status_code == 404
    assert owner.get(f"/api/v1/sources/{prod}/diff").status_code == 422
    assert owner.get(f"/api/v1/sources/{prod}/diff?against={staging}&against_schema=x").status_code == 422


# --- MariaDB: production and staging as two databases, compared across their names ---

MARIA_PROD = """
CREATE TABLE customers (id int PRIMARY KEY, email varchar(100) NOT NULL, UNIQUE KEY email_unique (email));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, note text,
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE);
CREATE TABLE order_lines (id int PRIMARY KEY, order_id int,
    CONSTRAINT order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id));
"""

MARIA_STAGING = """
CREATE TABLE customers (id int PRIMARY KEY, email varchar(200) NOT NULL, UNIQUE KEY email_unique (email));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, note text, shipped tinyint(1) NOT NULL DEFAULT 0,
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT);
CREATE TABLE order_lines (id int PRIMARY KEY, order_id int,
    CONSTRAINT order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id));
"""


@pytest.fixture(scope="module")
def maria_pair(owner, worker):
    with mysql_databases(2, "mc_diff") as (prod, staging):
        mysql_execute(MARIA_PROD, prod)
        mysql_execute(MARIA_STAGING, staging)
        p = mysql_params()
        reader = "mc_diff_" + prod[-8:]
        mysql_execute(
            f"CREATE USER '{reader}'@'%' IDENTIFIED BY '{SECRET}';"
            f"CREATE USER '{reader}'@'localhost' IDENTIFIED BY '{SECRET}';"
            + "".join(
                f"GRANT SELECT, REFERENCES ON `{d}`.* TO '{reader}'@'{h}';"
                for d in (prod, staging)
                for h in ("%", "localhost")
            )
        )
        try:
            ids = []
            for db in (prod, staging):
                r = owner.post(
                    "/api/v1/sources",
                    json={
                        "name": f"maria {db}",
                        "engine": "mariadb",
                        "host": p["host"],
                        "port": p["port"],
                        "database": db,
                        "username": reader,
                        "password": SECRET,
                        "options": {"include_schemas": [db]},
                    },
                )
                assert r.status_code == 201, r.get_json()
                assert wait_for_crawl(owner, r.get_json()["crawl"]["url"])["state"] == "succeeded"
                ids.append(r.get_json()["id"])
            yield prod, staging, ids[0], ids[1]
        finally:
            mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")


def test_mariadb_pair_across_database_names(owner, maria_pair):
    prod, staging, a, b = maria_pair
    # without a mapping, the two databases share no table
    unmapped = _diff(owner, a, b)
    assert unmapped["summary"] == {"only_in_source": 3, "only_in_against": 3, "different": 0, "same": 0}
    body = _diff(owner, a, b, schema=prod, against_schema=staging)
    assert body["summary"] == {"only_in_source": 0, "only_in_against": 0, "different": 2, "same": 1}
    by_table = {t["table"]: t for t in body["tables"]}
    assert set(by_table) == {"customers", "orders"}  # order_lines' key into its own database is the same key
    assert all(t["schema"] == prod for t in body["tables"])
    email = by_table["customers"]["columns_different"][0]
    assert email == {"name": "email", "changes": {"type": {"source": "varchar(100)", "against": "varchar(200)"}}}
    orders = by_table["orders"]
    assert orders["columns_only_in_against"] == ["shipped"]
    fk = orders["foreign_keys"]["different"][0]
    assert fk["name"] == "orders_customer" and fk["changes"]["on_delete"] == {
        "source": "CASCADE",
        "against": "RESTRICT",
    }
    assert "referenced_schema" not in fk["changes"]


# --- the comparison itself ---


def test_compare_tables_matches_by_name_then_by_shape():
    mine = {
        "kind": "table",
        "comment": "a",
        "columns": [{"name": "id", "type": "int", "nullable": False}],
        "primary_key": {"name": "t_pkey", "columns": ["id"]},
        "foreign_keys": [
            {
                "name": "fk1",
                "columns": ["id"],
                "referenced_schema": "s1",
                "referenced_table": "u",
                "referenced_columns": ["id"],
            }
        ],
        "indexes": [
            {"name": "i1", "columns": ["id"], "unique": False, "definition": "CREATE INDEX i1 ON s1.t USING btree (id)"}
        ],
    }
    theirs = {
        "kind": "view",
        "comment": "a",
        "columns": [{"name": "id", "type": "int", "nullable": False, "validated": None}],
        "primary_key": {"name": "t_pkey", "columns": ["id"]},
        "foreign_keys": [
            {
                "name": "fk1",
                "columns": ["id"],
                "referenced_schema": "s2",
                "referenced_table": "u",
                "referenced_columns": ["id"],
            }
        ],
        "indexes": [
            {
                "name": "i2",
                "columns": ["id"],
                "unique": False,
                "definition": 'CREATE INDEX i2 ON "s2".t USING btree (id)',
            }
        ],
    }
    assert compare_tables(mine, theirs, {"s2": "s1"}) == {
        "kind_different": {"source": "table", "against": "view"},
        "indexes": {"renamed": [{"source": "i1", "against": "i2"}]},
    }
    unmapped = compare_tables(mine, theirs)
    assert unmapped["foreign_keys"]["different"][0]["changes"] == {
        "referenced_schema": {"source": "s1", "against": "s2"}
    }
    assert compare_tables(mine, mine) == {}
