"""Quick check of the benchmark generator and floor on small targets (seconds)."""

from __future__ import annotations

import uuid

import psycopg2

from bench.databases import MARIADB_URL, PG_URL, mariadb_connect
from bench.floor import measure_floor
from bench.mariadb_target import build_mariadb, drop_mariadb
from bench.pg_target import build_postgres, drop_postgres, mutate_postgres
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
