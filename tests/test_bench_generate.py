"""Quick check of the benchmark generator and floor on small targets (seconds)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest

from bench.databases import MARIADB_URL, PG_URL, mariadb_connect
from bench.floor import measure_floor
from bench.mariadb_floor import measure_mariadb_floor
from bench.mariadb_target import build_mariadb, drop_mariadb
from bench.peer import CALLS, measure_peer
from bench.pg_target import build_postgres, drop_postgres, mutate_postgres
from bench.shapes import make_shaped_spec
from bench.spec import make_spec


def _pg_rows(database: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(PG_URL, dbname=database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def _pg_column_signature(database: str) -> list[tuple]:
    return _pg_rows(
        database,
        """
        SELECT c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod),
               col_description(c.oid, a.attnum)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname ~ '^s[0-9]{2}$' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, a.attnum""",
    )


def test_spec_is_deterministic():
    assert make_spec(200, seed=7) == make_spec(200, seed=7)
    assert make_spec(200, seed=7) != make_spec(200, seed=8)


def test_postgres_target_mutate_and_floor():
    database = f"bench_test_{uuid.uuid4().hex[:10]}"
    try:
        built = build_postgres(PG_URL, database, 50, seed=1)
        assert built["tables"] == 50

        tables = _pg_rows(
            database,
            """
            SELECT c.oid, n.nspname,
                   (SELECT count(*) FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                   (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),
                   (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname ~ '^s[0-9]{2}$'""",
        )
        assert len(tables) == 50
        assert {t[1] for t in tables} == {f"s{k:02d}" for k in range(10)}
        assert all(5 <= t[2] <= 15 for t in tables)
        assert all(t[3] == 1 for t in tables)
        foreign_keys = sum(t[4] for t in tables)
        assert foreign_keys == built["foreign_keys"] > 0
        assert sum(t[2] for t in tables) == built["columns"]
        assert (
            _pg_rows(database, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'customer_email'")[
                0
            ][0]
            > 0
        )
        assert _pg_rows(database, "SELECT count(*) FROM pg_class WHERE relname LIKE 'customer%'")[0][0] > 0

        before = _pg_column_signature(database)
        changed = mutate_postgres(PG_URL, database, percent=10, seed=1)
        assert changed == 5
        after = _pg_column_signature(database)
        changed_tables = {row[0] for row in set(before) ^ set(after)}
        assert len(changed_tables) == 5

        floor = measure_floor(PG_URL, database)
        assert floor["tables"] == 50
        assert floor["columns"] == len(after)
        assert floor["constraints"] == 50 + foreign_keys
        assert floor["indexes"] == 50 + built["indexes"]
        assert floor["read_seconds"] >= 0 and floor["read_copy_seconds"] >= 0
        scratch = _pg_rows("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{database}_floor_scratch'")
        assert scratch[0][0] == 0
    finally:
        drop_postgres(PG_URL, database)


def test_mariadb_target():
    prefix = f"bench_test_{uuid.uuid4().hex[:10]}"
    try:
        built = build_mariadb(MARIADB_URL, prefix, 50, databases=2, seed=1)
        assert built["tables"] == 50

        # information_schema of MariaDB is only fast with constant schema filters.
        schemas = (f"{prefix}_0", f"{prefix}_1")
        conn = mariadb_connect(MARIADB_URL)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN (%s, %s)",
                    schemas,
                )
                tables = {row: [0, 0] for row in cur.fetchall()}
                cur.execute(
                    "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema IN (%s, %s)",
                    schemas,
                )
                columns = cur.fetchall()
                cur.execute(
                    "SELECT table_schema, table_name, constraint_type FROM information_schema.table_constraints "
                    "WHERE table_schema IN (%s, %s)",
                    schemas,
                )
                constraints = cur.fetchall()
        finally:
            conn.close()
        for schema, table, _ in columns:
            tables[schema, table][0] += 1
        for schema, table, kind in constraints:
            if kind == "PRIMARY KEY":
                tables[schema, table][1] += 1
        foreign_keys = sum(1 for c in constraints if c[2] == "FOREIGN KEY")
        customer_email = sum(1 for c in columns if c[2] == "customer_email")
        tables = [(schema, table, n_columns, n_pk) for (schema, table), (n_columns, n_pk) in tables.items()]

        assert len(tables) == 50
        assert {t[0] for t in tables} == {f"{prefix}_0", f"{prefix}_1"}
        assert all(5 <= t[2] <= 15 for t in tables)
        assert all(t[3] == 1 for t in tables)
        assert sum(t[2] for t in tables) == built["columns"]
        assert foreign_keys == built["foreign_keys"] > 0
        assert customer_email > 0
    finally:
        drop_mariadb(MARIADB_URL, prefix, databases=2)
        conn = mariadb_connect(MARIADB_URL)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN (%s, %s)",
                    (f"{prefix}_0", f"{prefix}_1"),
                )
                assert cur.fetchone()[0] == 0
        finally:
            conn.close()


@contextmanager
def _shaped(shape: str, tables: int) -> Iterator[tuple[str, dict]]:
    """A PostgreSQL target of `shape`, dropped afterwards: (database, what was built)."""
    database = f"mc_bench_shape_{uuid.uuid4().hex[:10]}"
    try:
        yield database, build_postgres(PG_URL, database, tables, seed=1, shape=shape)
    finally:
        drop_postgres(PG_URL, database)


def _per_table(database: str, sql: str) -> list[tuple]:
    """`sql`'s rows per user table of the generated schemas (s00..s09)."""
    return _pg_rows(
        database,
        f"""
        SELECT c.relname, c.relkind, c.relispartition, ({sql})
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname ~ '^s[0-9]{{2}}$'""",
    )


def test_wide_shape_has_100_columns_or_more_a_table():
    with _shaped("wide", 12) as (database, built):
        rows = _per_table(database, "SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0")
        assert len(rows) == 12 and built["tables"] == 12
        assert all(100 <= r[3] <= 140 for r in rows), rows
        assert sum(r[3] for r in rows) == built["columns"]
        assert measure_floor(PG_URL, database)["columns"] == built["columns"]


def test_index_shape_has_5_to_10_extra_indexes_a_table():
    with _shaped("index", 20) as (database, built):
        rows = _per_table(database, "SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid AND NOT x.indisprimary")
        assert len(rows) == 20
        # an extra index from the default spec on about half, 5 to 10 more (fewer where a table has few columns)
        assert all(1 <= r[3] <= 11 for r in rows), rows
        assert sum(r[3] for r in rows) == built["indexes"] >= 20 * 4


def test_partition_shape_counts_every_partition_as_a_table_and_mutates_partitions_by_comment():
    with _shaped("partition", 60) as (database, built):
        rows = _per_table(database, "SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid")
        parents = [r for r in rows if r[1] == "p"]
        partitions = [r for r in rows if r[2]]
        assert len(parents) == 3 and all(r[3] == 19 for r in parents)
        assert len(partitions) == 57 == built["partitions"]
        assert len(rows) == 60 == built["tables"]
        comments_before = _pg_rows(database, "SELECT count(*) FROM pg_description")[0][0]
        assert mutate_postgres(PG_URL, database, percent=10, seed=1) == 6
        # every chosen table is a partition here: each got a revised column comment, nothing else
        assert _pg_rows(database, "SELECT count(*) FROM pg_description")[0][0] - comments_before <= 6
        assert _pg_rows(database, "SELECT count(*) FROM pg_description WHERE description LIKE '%(rev 1)'")[0][0] == 6


def test_comment_shape_comments_every_table_and_column():
    with _shaped("comment", 15) as (database, built):
        rows = _per_table(
            database,
            "SELECT count(*) FILTER (WHERE col_description(c.oid, a.attnum) IS NULL) "
            "FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0",
        )
        assert len(rows) == 15 and all(r[3] == 0 for r in rows)
        comments = _pg_rows(
            database,
            "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname ~ '^s[0-9]{2}$'",
        )
        assert all(c[0] and len(c[0]) > 150 for c in comments) and built["table_comments"] == 15


def test_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="unknown shape 'tall'"):
        make_shaped_spec(10, shape="tall")
    with pytest.raises(ValueError, match="PostgreSQL only"):
        build_mariadb(MARIADB_URL, "mc_never_built", 10, shape="partition")


def test_mariadb_floor_and_sqlalchemy_peer_read_the_whole_target():
    prefix = f"mc_bench_test_{uuid.uuid4().hex[:10]}"
    names = [f"{prefix}_0", f"{prefix}_1"]
    try:
        built = build_mariadb(MARIADB_URL, prefix, 30, databases=2, seed=1, shape="index")
        floor = measure_mariadb_floor(MARIADB_URL, names, PG_URL, f"{prefix}_scratch")
        assert floor["tables"] == 30 and floor["columns"] == built["columns"]
        assert floor["referential_constraints"] == built["foreign_keys"]
        assert floor["read_seconds"] >= 0 and floor["read_copy_seconds"] >= 0
        scratch = _pg_rows("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{prefix}_scratch'")
        assert scratch[0][0] == 0

        peer = measure_peer(f"mysql+pymysql://root@127.0.0.1:3306/{names[0]}", names)
        assert peer["tables"] == 30 and peer["columns"] == built["columns"] and peer["schemas"] == 2
        assert peer["peak_rss_mb"] > peer["rss_before_mb"] > 0
    finally:
        drop_mariadb(MARIADB_URL, prefix, databases=2)


def test_sqlalchemy_peer_of_a_postgres_target():
    with _shaped("default", 25) as (database, built):
        peer = measure_peer(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}")
        assert peer["tables"] == 25 and peer["columns"] == built["columns"]
        assert list(peer["seconds_per_call"]) == list(CALLS) and len(CALLS) == 7
        bad = measure_peer("postgresql+psycopg2://postgres@127.0.0.1:5432/mc_no_such_database_27")
        assert "mc_no_such_database_27" in bad["error"]
