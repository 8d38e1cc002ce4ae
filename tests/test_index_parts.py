"""Indexes' key elements (`parts`), index definitions that the engine accepts
as they are, MySQL/MariaDB columns' ON UPDATE, generated columns and CHECK
definitions: crawled from PostgreSQL and MariaDB and read through the API
(issue #12).

Each engine's test crawls a target with purpose-built indexes, then creates
the same tables without indexes in a scratch database, runs every stored
index definition there and crawls that: the index documents must come back
the same."""

from __future__ import annotations

import pytest

from engines.base import ConnectionParams, TableRef
from engines.postgres import PostgresIntrospector

from .conftest import wait_for_crawl
from .crawl_helpers import detail, maria_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute, pg_params
from .ui_helpers import Browser

# The tables alone: the original gets its keys and indexes on top, the
# scratch database only the stored index definitions.
PG_TABLES = """
CREATE SCHEMA shop;
CREATE TABLE shop.items (
    id int NOT NULL,
    name text COLLATE "C",
    code varchar(20),
    tags int[],
    at timestamptz,
    body text,
    price numeric CONSTRAINT items_price_check CHECK (price >= 0)
);
"""

PG_INDEXES = """
ALTER TABLE shop.items ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX items_code_name ON shop.items (code, name);
CREATE INDEX items_at_desc ON shop.items (at DESC NULLS LAST, id NULLS FIRST);
CREATE INDEX items_name_posix ON shop.items (name COLLATE "POSIX");
CREATE INDEX items_code_pattern ON shop.items (code text_pattern_ops);
CREATE INDEX items_lower_body ON shop.items (lower(body)) WHERE price > 0;
CREATE INDEX items_tags ON shop.items USING gin (tags);
"""


def part(column=None, expression=None, prefix_length=None, direction=None, nulls=None, collation=None, opclass=None):
    return {
        "column": column,
        "expression": expression,
        "prefix_length": prefix_length,
        "direction": direction,
        "nulls": nulls,
        "collation": collation,
        "opclass": opclass,
    }


def crawled(user, source) -> int:
    assert wait_for_crawl(user, source["crawl"]["url"])["state"] == "succeeded"
    return source["id"]


def test_postgres_index_parts_and_definitions_that_run(alice, worker):
    with pg_database("mc_idx") as db, pg_database("mc_idx_scratch") as scratch:
        pg_execute(db, PG_TABLES + PG_INDEXES)
        sid = crawled(alice, pg_source(alice, db))
        items = detail(alice, sid, "shop", "items")
        indexes = {i["name"]: i for i in items["indexes"]}
        assert {n: i["parts"] for n, i in indexes.items()} == {
            "items_pkey": [part("id", direction="asc", nulls="last")],
            "items_code_name": [
                part("code", direction="asc", nulls="last"),
                part("name", direction="asc", nulls="last"),
            ],
            "items_at_desc": [
                part("at", direction="desc", nulls="last"),
                part("id", direction="asc", nulls="first"),
            ],
            "items_name_posix": [part("name", direction="asc", nulls="last", collation="POSIX")],
            "items_code_pattern": [part("code", direction="asc", nulls="last", opclass="text_pattern_ops")],
            "items_lower_body": [part(expression="lower(body)", direction="asc", nulls="last")],
            "items_tags": [part("tags")],  # GIN keeps no order
        }
        assert indexes["items_lower_body"]["columns"] == ["lower(body)"]  # as before
        assert indexes["items_lower_body"]["predicate"] == "(price > (0)::numeric)"
        assert [c["definition"] for c in items["constraints"]] == ["CHECK ((price >= (0)::numeric))"]
        assert all(c["on_update"] is None for c in items["columns"])

        # the markdown export shows the direction
        markdown = alice.get(f"/api/v1/sources/{sid}/schema/export?format=markdown").get_data(as_text=True)
        assert "| items_at_desc | at DESC, id | no | btree |" in markdown

        # describe's own signature is the target's (the parts are signed too)
        params = ConnectionParams(database=db, **pg_params())
        with PostgresIntrospector(params) as intro:
            ref = [TableRef("shop", "items", "table")]
            [table] = intro.describe(ref)
            assert table.signature == intro.signatures(ref)[("shop", "items")].signature
            assert table.signature.startswith("pg6:")

        # every stored definition runs as it is and gives back the same index
        pg_execute(scratch, PG_TABLES)
        for index in items["indexes"]:
            pg_execute(scratch, index["definition"])
        copy = detail(alice, crawled(alice, pg_source(alice, scratch)), "shop", "items")
        assert copy["indexes"] == items["indexes"]


MARIA_TABLES = """
CREATE TABLE items (
    id int NOT NULL,
    name varchar(50),
    notes text,
    loc point NOT NULL,
    price decimal(10,2),
    created_at timestamp NOT NULL DEFAULT current_timestamp(),
    updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
    total decimal(12,2) AS (price * 2) VIRTUAL,
    name_upper varchar(50) AS (upper(name)) STORED,
    CONSTRAINT chk_price CHECK (price >= 0)
) ENGINE=InnoDB;
"""

MARIA_INDEXES = """
ALTER TABLE items ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX uq_name ON items (name);
CREATE INDEX ix_prefix ON items (notes(20), name DESC);
CREATE INDEX ix_multi ON items (price, id);
CREATE FULLTEXT INDEX ft_notes ON items (notes, name);
CREATE SPATIAL INDEX sp_loc ON items (loc);
"""


@pytest.fixture
def maria_pair():
    with mysql_databases(2, "mc_idx") as (db, scratch):
        yield db, scratch
        for name in (db, scratch):
            reader = f"mc_views_{name[-8:]}"
            mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")


def test_mariadb_index_parts_on_update_generated_and_definitions_that_run(alice, worker, maria_pair):
    db, scratch = maria_pair
    mysql_execute(MARIA_TABLES + MARIA_INDEXES, db)
    sid = crawled(alice, maria_source(alice, db))
    items = detail(alice, sid, db, "items")
    indexes = {i["name"]: i for i in items["indexes"]}
    assert {n: i["parts"] for n, i in indexes.items()} == {
        "PRIMARY": [part("id", direction="asc")],
        "uq_name": [part("name", direction="asc")],
        "ix_prefix": [part("notes", prefix_length=20, direction="asc"), part("name", direction="desc")],
        "ix_multi": [part("price", direction="asc"), part("id", direction="asc")],
        "ft_notes": [part("notes"), part("name")],
        "sp_loc": [part("loc")],  # MariaDB says SUB_PART 32: no prefix a SPATIAL index could take
    }
    assert indexes["sp_loc"]["definition"] == f"CREATE SPATIAL INDEX `sp_loc` ON `{db}`.`items` (`loc`)"
    assert indexes["ix_prefix"]["columns"] == ["notes", "name"]  # as before

    columns = {c["name"]: c for c in items["columns"]}
    assert columns["updated_at"]["on_update"] == "current_timestamp()"
    assert columns["updated_at"]["default"] == "current_timestamp()"
    assert columns["created_at"]["on_update"] is None
    assert (columns["total"]["generated"], columns["total"]["default"]) == ("`price` * 2", None)
    assert columns["name_upper"]["generated"] == "ucase(`name`)"
    assert columns["id"]["generated"] is None
    assert [c["definition"] for c in items["constraints"] if c["type"] == "check"] == ["CHECK (`price` >= 0)"]

    markdown = alice.get(f"/api/v1/sources/{sid}/schema/export?format=markdown").get_data(as_text=True)
    assert "| ix_prefix | notes(20), name DESC | no | BTREE |" in markdown
    assert "on update current_timestamp()" in markdown
    browser = Browser(alice.client)  # the web UI's table page
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema={db}&name=items").get_data(as_text=True)
    assert "on update <code>current_timestamp()</code>" in html

    # a changed ON UPDATE is a column change
    mysql_execute("ALTER TABLE items MODIFY updated_at timestamp NOT NULL DEFAULT current_timestamp()", db)
    r = alice.post(f"/api/v1/sources/{sid}/crawls")
    assert wait_for_crawl(alice, r.get_json()["url"])["state"] == "succeeded"
    history = alice.get(f"/api/v1/sources/{sid}/tables/{db}/items/history").get_json()["changes"]
    [altered] = history[0]["details"]["columns_altered"]
    assert altered == {
        "name": "updated_at",
        "changes": {"on_update": {"from": "current_timestamp()", "to": None}},
    }

    # every stored definition runs as it is and gives back the same index
    mysql_execute(MARIA_TABLES, scratch)
    for index in items["indexes"]:
        mysql_execute(index["definition"].replace(f"`{db}`.", f"`{scratch}`."), scratch)
    copy = detail(alice, crawled(alice, maria_source(alice, scratch)), scratch, "items")
    for index in copy["indexes"]:
        index["definition"] = index["definition"].replace(f"`{scratch}`.", f"`{db}`.")
    assert copy["indexes"] == items["indexes"]
