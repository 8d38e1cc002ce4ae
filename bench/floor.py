"""The floor: the fastest possible bulk read of a PostgreSQL target's metadata.

Four queries on pg_catalog (tables, columns, constraints, indexes of every
user schema), fetched fully into Python, timed as read_seconds. Sizes are
read as the crawl reads them (relpages; pg_total_relation_size would stat
every file and double the floor at 100,000 tables), and JIT is off, as on
the crawl's sessions: the fastest read of what a crawl needs. Then, timed
separately, the same read plus a COPY of every column row into a plain table
(no indexes) of a scratch database `{database}_floor_scratch`, which is created
before and dropped after: read_copy_seconds. A crawl cannot beat these.

Usage:
    python -m bench.floor --database bench_10k [--repeat 3] [--url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import io
import time

import psycopg2

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

USER_SCHEMAS = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
RELKINDS = "c.relkind IN ('r', 'p', 'v', 'm', 'f')"

TABLES_SQL = f"""
SELECT n.nspname, c.relname, c.relkind, d.description, c.reltuples, c.relpages
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE {RELKINDS} AND {USER_SCHEMAS}
"""

COLUMNS_SQL = f"""
SELECT n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), d.description
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND {RELKINDS} AND {USER_SCHEMAS}
"""

CONSTRAINTS_SQL = f"""
SELECT n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_SCHEMAS}
"""

INDEXES_SQL = f"""
SELECT n.nspname, c.relname, i.relname, x.indisunique, x.indisprimary, pg_get_indexdef(x.indexrelid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_SCHEMAS}
"""

SCRATCH_TABLE = """
CREATE TABLE floor_columns (
    schema_name text, table_name text, ordinal integer, column_name text,
    data_type text, nullable boolean, default_expr text, comment text
)
"""


def read_catalog(conn) -> dict[str, list[tuple]]:
    """Run the four catalog queries and fetch every row."""
    result = {}
    with conn.cursor() as cur:
        for key, sql in (
            ("tables", TABLES_SQL),
            ("columns", COLUMNS_SQL),
            ("constraints", CONSTRAINTS_SQL),
            ("indexes", INDEXES_SQL),
        ):
            cur.execute(sql)
            result[key] = cur.fetchall()
    conn.rollback()
    return result


def _copy_value(value) -> str:
    """One field in COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(conn, table: str, rows: list[tuple]) -> None:
    """COPY `rows` into `table` from an in-memory buffer, and commit."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} FROM STDIN", buffer)
    conn.commit()


def _admin(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def measure_floor(url: str, database: str) -> dict:
    """Time the bulk read of `database`, then the read plus a COPY of its columns.

    Each timed read runs on a fresh connection, as a crawl would: the first
    catalog read of a backend also pays for building its relation cache.
    """
    conn = psycopg2.connect(url, dbname=database, options="-c jit=off")
    try:
        started = time.perf_counter()
        rows = read_catalog(conn)
        read_seconds = time.perf_counter() - started
    finally:
        conn.close()
    counts = {key: len(value) for key, value in rows.items()}
    del rows

    scratch = f"{database}_floor_scratch"
    _admin(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{scratch}"')
    try:
        conn = psycopg2.connect(url, dbname=database, options="-c jit=off")
        scratch_conn = psycopg2.connect(url, dbname=scratch)
        try:
            with scratch_conn.cursor() as cur:
                cur.execute(SCRATCH_TABLE)
            scratch_conn.commit()

            started = time.perf_counter()
            rows = read_catalog(conn)
            copy_rows(scratch_conn, "floor_columns", rows["columns"])
            read_copy_seconds = time.perf_counter() - started
        finally:
            scratch_conn.close()
            conn.close()
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    return dict(read_seconds=round(read_seconds, 2), read_copy_seconds=round(read_copy_seconds, 2), **counts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--url", default=PG_URL, help="server URL (the database is replaced by --database)")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times (one column each)")
    args = parser.parse_args(argv)

    results = [measure_floor(args.url, args.database) for _ in range(args.repeat)]
    print(f"floor of {args.database}")
    for key in ("tables", "columns", "constraints", "indexes", "read_seconds", "read_copy_seconds"):
        if key.endswith("seconds"):
            cells = "".join(f"{r[key]:>10.2f}" for r in results)
        else:
            cells = f"{results[0][key]:>10,}"
        print(f"  {key:<18}{cells}")


if __name__ == "__main__":
    main()
