"""MariaDB facts read beside the structure (issue #26), against the local
server: table engine and collation, column charset and collation where not
the table's, VIRTUAL/STORED and INVISIBLE columns, partition bounds and the
partitioned kind, view options, routine data access and security, the next
AUTO_INCREMENT value; and foreign key definitions that recreate the key."""

from __future__ import annotations

import pytest

from engines.base import ConnectionParams, ForeignKey
from engines.documents import table_document
from engines.mysql import MySQLIntrospector, quote_ident
from tests.targets import mysql_databases, mysql_execute, mysql_params

q = quote_ident


def make_params(database: str) -> ConnectionParams:
    p = mysql_params()
    return ConnectionParams(
        host=p["host"], port=p["port"], database=database, username=p["username"], password=p["password"]
    )


FACTS = """
CREATE TABLE plain (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20)) ENGINE=InnoDB
    DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci AUTO_INCREMENT=42;
CREATE TABLE mixed (
    id int PRIMARY KEY,
    latin varchar(10) CHARACTER SET latin1,
    exact varchar(10) COLLATE utf8mb4_bin,
    same varchar(10),
    v int AS (id + 1) VIRTUAL,
    s int AS (id + 2) STORED,
    hidden int INVISIBLE
) ENGINE=Aria DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE ranged (id int NOT NULL) PARTITION BY RANGE (id)
    (PARTITION `p<b>0` VALUES LESS THAN (10), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE listed (id int NOT NULL) PARTITION BY LIST (id) (PARTITION a VALUES IN (1,2), PARTITION b VALUES IN (3));
CREATE TABLE hashed (id int NOT NULL) PARTITION BY HASH (id) PARTITIONS 2;
CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW merged AS SELECT id, name FROM plain WITH CASCADED CHECK OPTION;
CREATE VIEW plain_view AS SELECT id FROM plain;
CREATE FUNCTION reader() RETURNS int READS SQL DATA SQL SECURITY INVOKER RETURN (SELECT count(*) FROM plain);
CREATE PROCEDURE writer() MODIFIES SQL DATA INSERT INTO plain (name) VALUES ('x');
"""


@pytest.fixture(scope="module")
def facts():
    with mysql_databases(1, prefix="mc_facts") as (db,):
        mysql_execute(FACTS, db)
        with MySQLIntrospector(make_params(db)) as intro:
            refs = intro.list_tables()
            tables = {t.name: t for t in intro.describe(refs)}
            activity = intro.activity(refs)
            routines = {r.name: r for r in intro.list_routines()}
        yield db, tables, activity, routines


def test_table_engine_and_collation(facts):
    _, tables, _, _ = facts
    assert (tables["plain"].engine, tables["plain"].collation) == ("InnoDB", "utf8mb4_general_ci")
    assert tables["mixed"].engine == "Aria"
    # a view has neither: the document leaves them out
    assert (tables["merged"].engine, tables["merged"].collation) == (None, None)
    assert "engine" not in table_document(tables["merged"]) and "collation" not in table_document(tables["merged"])


def test_column_charset_collation_generated_invisible(facts):
    _, tables, _, _ = facts
    cols = {c.name: c for c in tables["mixed"].columns}
    assert (cols["latin"].charset, cols["latin"].collation) == ("latin1", "latin1_swedish_ci")
    assert (cols["exact"].charset, cols["exact"].collation) == (None, "utf8mb4_bin")
    assert (cols["same"].charset, cols["same"].collation) == (None, None)  # the table's default: not repeated
    assert (cols["v"].generated_storage, cols["s"].generated_storage) == ("virtual", "stored")
    assert cols["hidden"].invisible is True and cols["id"].invisible is None
    doc = {c["name"]: c for c in table_document(tables["mixed"])["columns"]}
    # only where they apply: an ordinary column's document is what it was
    assert set(doc["id"]) == {"name", "ordinal", "type", "nullable", "default", "comment", "identity", "generated",
                              "on_update"}  # fmt: skip
    assert doc["hidden"]["invisible"] is True and doc["latin"]["charset"] == "latin1"
    # a view's column of its database's default collation says nothing either
    [view_col] = [c for c in tables["merged"].columns if c.name == "name"]
    assert (view_col.charset, view_col.collation) == (None, None)


def test_partitioned_tables_kind_and_bounds(facts):
    _, tables, _, _ = facts
    assert tables["ranged"].kind == "partitioned_table" and tables["plain"].kind == "table"
    assert tables["ranged"].partition == {
        "strategy": "range",
        "key": "`id`",
        "partitions": ["p<b>0", "pmax"],
        "bounds": [
            {"name": "p<b>0", "bounds": "VALUES LESS THAN (10)"},
            {"name": "pmax", "bounds": "VALUES LESS THAN MAXVALUE"},
        ],
    }
    assert tables["listed"].partition["bounds"] == [
        {"name": "a", "bounds": "VALUES IN (1,2)"},
        {"name": "b", "bounds": "VALUES IN (3)"},
    ]
    # HASH partitions have no bounds
    assert tables["hashed"].partition == {"strategy": "hash", "key": "`id`", "partitions": ["p0", "p1"]}


def test_view_options(facts):
    _, tables, _, _ = facts
    merged = tables["merged"].view_options
    assert {k: merged[k] for k in ("algorithm", "security", "check_option")} == {
        "algorithm": "MERGE",
        "security": "INVOKER",
        "check_option": "CASCADED",
    }
    assert merged["definer"].startswith("root@")
    plain = tables["plain_view"].view_options
    assert (plain["algorithm"], plain["security"], plain["check_option"]) == ("UNDEFINED", "DEFINER", "NONE")
    assert tables["plain"].view_options is None


def test_routine_data_access_and_security(facts):
    _, _, _, routines = facts
    assert (routines["reader"].data_access, routines["reader"].security) == ("READS SQL DATA", "INVOKER")
    assert (routines["writer"].data_access, routines["writer"].security) == ("MODIFIES SQL DATA", "DEFINER")


def test_next_auto_increment_is_activity_not_definition(facts):
    db, tables, activity, _ = facts
    assert activity[(db, "plain")].next_auto_increment == 42
    assert activity[(db, "mixed")].next_auto_increment is None  # no auto_increment column
    assert "next_auto_increment" not in table_document(tables["plain"])


RULES = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (
    id int PRIMARY KEY, a int, b int, c int, d int,
    CONSTRAINT fk_no_action FOREIGN KEY (a) REFERENCES parent (id) ON DELETE NO ACTION ON UPDATE NO ACTION,
    CONSTRAINT fk_restrict FOREIGN KEY (b) REFERENCES parent (id),
    CONSTRAINT fk_mixed FOREIGN KEY (c) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT `fk ``odd``` FOREIGN KEY (d) REFERENCES parent (id) ON DELETE SET NULL
);
"""


def _keys(db: str) -> dict[str, ForeignKey]:
    with MySQLIntrospector(make_params(db)) as intro:
        [child] = intro.describe([r for r in intro.list_tables() if r.name == "child"])
    return {fk.name: fk for fk in child.foreign_keys}


def test_served_foreign_key_definitions_recreate_the_same_keys():
    with mysql_databases(1, prefix="mc_fk_rules") as (db,):
        mysql_execute(RULES, db)
        before = _keys(db)
        assert before["fk_no_action"].definition == (
            f"FOREIGN KEY (`a`) REFERENCES {q(db)}.`parent` (`id`) ON UPDATE NO ACTION ON DELETE NO ACTION"
        )
        assert before["fk_restrict"].definition == f"FOREIGN KEY (`b`) REFERENCES {q(db)}.`parent` (`id`)"
        # drop every key and add it back from what was served
        mysql_execute(
            "ALTER TABLE child " + ", ".join(f"DROP FOREIGN KEY {q(name)}" for name in before),
            db,
        )
        mysql_execute(
            "ALTER TABLE child " + ", ".join(f"ADD CONSTRAINT {q(n)} {fk.definition}" for n, fk in before.items()),
            db,
        )
        after = _keys(db)
    assert after == before
    assert (after["fk_no_action"].on_update, after["fk_no_action"].on_delete) == ("NO ACTION", "NO ACTION")
    assert (after["fk_mixed"].on_update, after["fk_mixed"].on_delete) == ("NO ACTION", "CASCADE")
