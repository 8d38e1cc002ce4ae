"""Starter queries on hostile names. A table named `r`, a line break,
`DROP TABLE ...;`, a line break and `--` once ended the query's `--` comment
and dropped the table when the query ran; names in the `-- not linked`
comments broke it the same way. Here: that canary survives on PostgreSQL and
MariaDB through the API, colliding column names get their own aliases, and
every query built from names Hypothesis makes is exactly one statement each
engine accepts (EXPLAIN against real tables of those names)."""

from __future__ import annotations

import psycopg2
import pymysql
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from catalog.keygraph import Edge
from catalog.starter_query import Join, _alias, quote_ident, write_sql

from .conftest import wait_for_crawl
from .crawl_helpers import maria_source, pg_source
from .hostile_schema import hostile_name
from .targets import mysql_connect, mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute, pg_params

PG_DROPPER = "r\nDROP TABLE public.canary_victim;\n--"
MARIA_DROPPER = "r\nDROP TABLE canary_victim;\n--"
# tables no key links to the dropper: their names go into `-- not linked` comments
UNLINKED = ["u\rDROP TABLE canary_victim;\r--", "v\u2028\x0b\x0c\x85DROP TABLE canary_victim;--"]


def pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def maria_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _target(ident, dropper: str) -> str:
    return (
        "CREATE TABLE canary_victim (id int);"
        f"CREATE TABLE {ident(dropper)} (id int PRIMARY KEY, note text);"
        f"CREATE TABLE orders (id int PRIMARY KEY, r_id int, FOREIGN KEY (r_id) REFERENCES {ident(dropper)} (id));"
        + "".join(f"CREATE TABLE {ident(u)} (id int);" for u in UNLINKED)
    )


def _crawled(user, source: dict) -> int:
    job = wait_for_crawl(user, source["crawl"]["url"])
    assert job["state"] == "succeeded", job
    return source["id"]


def _starter_query(user, source_id: int, schema: str, table: str, joined: list[str]) -> dict:
    """The starter query from `table` joined to the `joined` tables, as the API answers it."""
    r = user.post(
        f"/api/v1/sources/{source_id}/starter-query",
        json={"schema": schema, "table": table, "join": [{"schema": schema, "table": t} for t in joined]},
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _queries(user, source_id: int, schema: str, dropper: str) -> tuple[str, str]:
    """The issue's query (from the dropper, joined to orders: both have an
    `id`) and one whose `-- not linked` comments carry the unlinked names."""
    query = _starter_query(user, source_id, schema, dropper, ["orders"])
    unlinked = _starter_query(user, source_id, schema, "orders", UNLINKED)
    assert unlinked["unreachable"] == [{"schema": schema, "table": u} for u in UNLINKED]
    return query["sql"], unlinked["sql"]


def pg_connect(db: str):
    p = pg_params()
    conn = psycopg2.connect(host=p["host"], port=p["port"], user=p["username"], dbname=db)
    conn.autocommit = True
    return conn


def pg_explain_one(conn, sql: str) -> None:
    """EXPLAIN `sql` on PostgreSQL, refusing more than one statement (a
    PL/pgSQL cursor opens one statement only); nothing of it runs."""
    with conn.cursor() as cur:
        cur.execute(
            "CREATE OR REPLACE FUNCTION pg_temp.explain_one(q text) RETURNS SETOF text LANGUAGE plpgsql AS $f$"
            " DECLARE r record; BEGIN FOR r IN EXECUTE 'EXPLAIN ' || q LOOP RETURN NEXT r.\"QUERY PLAN\";"
            " END LOOP; END $f$"
        )
        cur.execute("SELECT pg_temp.explain_one(%s)", (sql,))
        assert cur.fetchall()


def maria_explain_one(db: str, sql: str) -> None:
    """EXPLAIN `sql` on MariaDB over a connection that refuses more than one statement."""
    p = mysql_params()
    conn = pymysql.connect(host=p["host"], port=p["port"], user=p["username"], password=p["password"], database=db)
    try:
        with conn.cursor() as cur:
            cur.execute("EXPLAIN " + sql)
            assert cur.fetchall()
    finally:
        conn.close()


def test_postgres_canary_survives_and_columns_have_their_own_names(alice, worker):
    with pg_database("mc_canary") as db:
        pg_execute(db, _target(pg_ident, PG_DROPPER))
        sql, unlinked_sql = _queries(alice, _crawled(alice, pg_source(alice, db)), "public", PG_DROPPER)
        conn = pg_connect(db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)  # as a user runs it: every statement the text holds
                names = [d.name for d in cur.description]
                cur.execute("SELECT to_regclass('public.canary_victim')")
                assert cur.fetchone()[0] == "canary_victim"
            pg_explain_one(conn, sql)
            pg_explain_one(conn, unlinked_sql)
        finally:
            conn.close()
    assert len(names) == 4 and len(set(names)) == 4, names


def test_mariadb_canary_survives_and_columns_have_their_own_names(alice, worker):
    with mysql_databases(1, "mc_canary") as (db,):
        try:
            mysql_execute(_target(maria_ident, MARIA_DROPPER), db)
            sql, unlinked_sql = _queries(alice, _crawled(alice, maria_source(alice, db)), db, MARIA_DROPPER)
            conn = mysql_connect(db)  # several statements allowed, as the mysql client allows them
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    names = [d[0] for d in cur.description]
                    while cur.nextset():
                        pass
                    cur.execute("SHOW TABLES LIKE 'canary_victim'")
                    assert cur.fetchall() == (("canary_victim",),)
            finally:
                conn.close()
            maria_explain_one(db, sql)
            maria_explain_one(db, unlinked_sql)
        finally:
            reader = "mc_views_" + db[-8:]
            mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")
    assert len(names) == 4 and len({n.casefold() for n in names}) == 4, names


def test_a_mariadb_source_through_the_sqlalchemy_engine_quotes_with_backticks(alice, worker):
    """Through the `sqlalchemy` engine a MariaDB source's names once got
    PostgreSQL's "...", which MariaDB reads as a string where a backslash
    escapes the quote: a column `\\` then `; SELECT 'INJECTED' ...; -- x` ran
    its SELECT (found by review)."""
    injector = "; SELECT 'INJECTED' AS pwned; -- x"
    with mysql_databases(1, "mc_canary") as (db,):
        mysql_execute(_target(maria_ident, MARIA_DROPPER), db)
        mysql_execute(f"CREATE TABLE tricky ({maria_ident(chr(92))} int, {maria_ident(injector)} int)", db)
        p = mysql_params()
        url = f"mysql+pymysql://{p['username']}@{p['host']}:{p['port']}/{db}"
        r = alice.post("/api/v1/sources", json={"name": "generic maria", "engine": "sqlalchemy", "url": url})
        assert r.status_code == 201, r.get_json()
        source_id = _crawled(alice, r.get_json())
        sql = _starter_query(alice, source_id, db, "tricky", [])["sql"]
        conn = mysql_connect(db)  # several statements allowed, as the mysql client allows them
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                sets = [cur.description]
                while cur.nextset():
                    sets.append(cur.description)
        finally:
            conn.close()
        maria_explain_one(db, sql)
    assert len(sets) == 1 and [d[0] for d in sets[0]] == ["\\", injector]


def test_colliding_columns_get_unique_quoted_aliases():
    a, b = ("s", "orders"), ("s", "payments")
    aliases = {a: "o", b: "p"}
    edge = Edge("s", "payments", "fk", ("order_id",), "s", "orders", ("id",))
    joins = [Join(b, "p", edge, a)]
    sql = write_sql("postgresql", a, aliases, [(a, "id"), (b, "id"), (b, "order_id")], joins, [])
    assert "SELECT\n    o.id AS orders_id,\n    p.id AS payments_id,\n    p.order_id AS order_id\nFROM" in sql
    # an alias never takes a name the result already has, whatever its case (MariaDB ignores case)
    select = [(a, "id"), (a, "ID"), (b, "id"), (b, "orders_id")]
    sql = write_sql("mariadb", a, aliases, select, joins, [])
    want = "o.id AS orders_id_2,\n    o.ID AS orders_ID_3,\n    p.id AS payments_id,\n    p.orders_id AS orders_id\n"
    assert want in sql


def test_every_column_has_an_alias_of_its_own():
    """The o.id, p.id, c.id of a query joining three tables: each under its own alias, the others too."""
    o, p, c = ("s", "orders"), ("s", "payments"), ("s", "Customer Notes")
    aliases = {o: "o", p: "p", c: "cn"}
    select = [(o, "id"), (o, "total"), (p, "id"), (c, "id"), (c, "select")]
    sql = write_sql("postgresql", o, aliases, select, [], [])
    items = sql.split("SELECT\n", 1)[1].split("\nFROM", 1)[0].split(",\n")
    assert [i.strip() for i in items] == [
        "o.id AS orders_id",
        "o.total AS total",
        "p.id AS payments_id",
        'cn.id AS "Customer Notes_id"',
        'cn."select" AS "select"',
    ]


def test_a_plain_word_and_a_line_feed_is_quoted():
    assert quote_ident("id\n", "postgresql") == '"id\n"' and quote_ident("id\n", "mariadb") == "`id\n`"
    assert quote_ident("div", "mariadb") == "`div`" and quote_ident("orders", "mariadb") == "orders"


def test_a_name_with_nul_is_refused():
    with pytest.raises(ValueError, match="NUL"):
        write_sql("postgresql", ("s", "a\x00b"), {("s", "a\x00b"): "a"}, [], [], [])


# --- every query on names Hypothesis builds parses as one statement on both engines ---

names = st.lists(hostile_name, min_size=1, max_size=3, unique_by=str.casefold)


@pytest.fixture(scope="module")
def pg_conn():
    with pg_database("mc_hostile") as db:
        conn = pg_connect(db)
        yield conn
        conn.close()


@pytest.fixture(scope="module")
def maria_db():
    with mysql_databases(1, "mc_hostile") as (db,):
        yield db


def _query(engine: str, schema: str, a: str, a_columns: list[str], b: str, b_columns: list[str], unlinked) -> str:
    """The query from `a` joined to `b` (b's first column references a.id), every column selected."""
    ka, kb = (schema, a), (schema, b)
    taken: set[str] = set()
    aliases = {ka: _alias(a, taken), kb: _alias(b, taken)}
    edge = Edge(schema, b, "fk", (b_columns[0],), schema, a, ("id",))
    select = [(ka, c) for c in ["id", *a_columns]] + [(kb, c) for c in ["id", *b_columns]]
    return write_sql(engine, ka, aliases, select, [Join(kb, aliases[kb], edge, ka)], [(schema, u) for u in unlinked])


def _create(ident, qualified_a: str, a_columns, qualified_b: str, b_columns) -> str:
    columns_a = "".join(f", {ident(c)} int" for c in a_columns)
    columns_b = "".join(f", {ident(c)} int" for c in b_columns)
    return f"CREATE TABLE {qualified_a} (id int{columns_a}); CREATE TABLE {qualified_b} (id int{columns_b});"


EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@EXAMPLES
@given(st.lists(hostile_name, min_size=3, max_size=5, unique_by=str.casefold), names, names)
def test_any_names_one_statement_on_postgres(pg_conn, tables, a_columns, b_columns):
    schema, a, b, *unlinked = tables
    a_columns = [c for c in a_columns if c != "id"] or ["x"]
    b_columns = [c for c in b_columns if c != "id"] or ["x"]
    qa, qb = (f"{pg_ident(schema)}.{pg_ident(t)}" for t in (a, b))
    with pg_conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {pg_ident(schema)}")
        try:
            cur.execute(_create(pg_ident, qa, a_columns, qb, b_columns))
            pg_explain_one(pg_conn, _query("postgresql", schema, a, a_columns, b, b_columns, unlinked))
        finally:
            cur.execute(f"DROP SCHEMA {pg_ident(schema)} CASCADE")


@EXAMPLES
@given(st.lists(hostile_name, min_size=2, max_size=4, unique_by=str.casefold), names, names)
def test_any_names_one_statement_on_mariadb(maria_db, tables, a_columns, b_columns):
    a, b, *unlinked = tables
    a_columns = [c for c in a_columns if c.casefold() != "id"] or ["x"]
    b_columns = [c for c in b_columns if c.casefold() != "id"] or ["x"]
    qa, qb = (f"{maria_ident(maria_db)}.{maria_ident(t)}" for t in (a, b))
    try:
        mysql_execute(_create(maria_ident, qa, a_columns, qb, b_columns), maria_db)
    except pymysql.err.MySQLError as e:
        if e.args[0] == 1060:  # column names MariaDB holds equal (é = e)
            mysql_execute(f"DROP TABLE IF EXISTS {qa}, {qb}", maria_db)
            reject()
        raise
    try:
        maria_explain_one(maria_db, _query("mariadb", maria_db, a, a_columns, b, b_columns, unlinked))
    finally:
        mysql_execute(f"DROP TABLE IF EXISTS {qa}, {qb}", maria_db)
