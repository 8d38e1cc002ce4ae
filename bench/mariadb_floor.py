"""The MariaDB floor: the fastest bulk read of what a MariaDB crawl needs,
timed like bench.floor's PostgreSQL floor.

Five information_schema queries (tables with their comments, sizes and
engine; columns; statistics, i.e. index columns; key_column_usage;
referential_constraints), each filtered by a constant list of the target's
databases (MariaDB's information_schema is only fast with constant schema
filters), on one fresh connection, fetched fully into Python: read_seconds.
Then, timed separately, the same read plus a COPY of every column row into a
plain table of a scratch PostgreSQL database (the catalog's server, where a
crawl writes): read_copy_seconds. A crawl cannot beat these.

Usage:
    python -m bench.mariadb_floor --databases db_0,db_1 [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import psycopg2

from bench.databases import MARIADB_URL, PG_URL, mariadb_connect, pg_admin, server_url
from bench.floor import SCRATCH_TABLE, copy_rows

QUERIES = (
    (
        "tables",
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COMMENT, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, "
        "ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({schemas})",
    ),
    (
        "columns",
        "SELECT TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', "
        "COLUMN_DEFAULT, COLUMN_COMMENT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({schemas})",
    ),
    (
        "statistics",
        "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN ({schemas})",
    ),
    (
        "key_column_usage",
        "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, "
        "REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
        "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA IN ({schemas})",
    ),
    (
        "referential_constraints",
        "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE "
        "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN ({schemas})",
    ),
)


def read_information_schema(conn, databases: list[str]) -> dict[str, list[tuple]]:
    """Run the five queries and fetch every row (the database names inlined as constants)."""
    schemas = ", ".join(conn.escape(name) for name in databases)
    result = {}
    with conn.cursor() as cur:
        for key, sql in QUERIES:
            cur.execute(sql.format(schemas=schemas))
            result[key] = list(cur.fetchall())
    return result


def measure_mariadb_floor(url: str, databases: list[str], pg_url: str = PG_URL, scratch: str | None = None) -> dict:
    """Time the bulk read of `databases`, then the read plus a COPY of its columns into PostgreSQL."""
    conn = mariadb_connect(url)
    try:
        started = time.perf_counter()
        rows = read_information_schema(conn, databases)
        read_seconds = time.perf_counter() - started
    finally:
        conn.close()
    counts = {key: len(value) for key, value in rows.items()}
    del rows

    scratch = scratch or f"{databases[0]}_floor_scratch"[:63]
    pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    pg_admin(pg_url, f'CREATE DATABASE "{scratch}"')
    try:
        conn = mariadb_connect(url)
        scratch_conn = psycopg2.connect(server_url(pg_url, scratch))
        try:
            with scratch_conn.cursor() as cur:
                cur.execute(SCRATCH_TABLE)
            scratch_conn.commit()
            started = time.perf_counter()
            rows = read_information_schema(conn, databases)
            # floor_columns' eight fields: the column rows without EXTRA
            copy_rows(scratch_conn, "floor_columns", [r[:8] for r in rows["columns"]])
            read_copy_seconds = time.perf_counter() - started
        finally:
            scratch_conn.close()
            conn.close()
    finally:
        pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    return dict(read_seconds=round(read_seconds, 2), read_copy_seconds=round(read_copy_seconds, 2), **counts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mariadb_floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", required=True, help="the target's databases, comma-separated")
    parser.add_argument("--url", default=MARIADB_URL)
    parser.add_argument("--pg-url", default=PG_URL, help="the PostgreSQL server of the COPY's scratch database")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    names = [d for d in args.databases.split(",") if d]
    for _ in range(args.repeat):
        print(measure_mariadb_floor(args.url, names, args.pg_url))


if __name__ == "__main__":
    main()
