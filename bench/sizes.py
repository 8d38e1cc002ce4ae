"""Sizes and activity at scale: what the crawl reads against the alternatives.

On one PostgreSQL target, every user table:
- estimate: the crawl's size (engines.postgres.SIZE_PAGES plus
  index relpages), one statement, no lock, no file touched;
- total_one_statement: pg_total_relation_size() of every table in one
  statement (it opens each table, TOAST table and index with an
  AccessShareLock held to the end of the transaction, and stats its files);
- total_batched: the same in transactions of --batch-size tables (as a
  crawl's batches would), with the most locks one of them held;
- agreement: tables (analyzed) whose estimate equals pg_total_relation_size;
- activity_read: engines.postgres.ACTIVITY_SQL (with the scan counters and
  each index's scans) for every table;
- activity_write: COPY of one activity row per table into an unlogged
  staging table and the upsert into a keyed table (first insert, then an
  update of every row), as finish does, in the scratch database
  `{database}_sizes_scratch` (created and dropped).

Usage:
    python -m bench.sizes --database NAME [--batch-size 2000] [--write-rows N] [--no-sizes]
        [--url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import io
import json
import time
from urllib.parse import urlparse

import psycopg2

from catalog.staging import ACTIVITY_FIELDS
from engines.postgres import SIZE_PAGES, activity_sql

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

TABLES = """FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"""
ESTIMATE_SQL = f"""SELECT c.oid, c.reltuples, ({SIZE_PAGES}
  + COALESCE((SELECT sum(ic.relpages) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = c.oid), 0)) * current_setting('block_size')::int {TABLES}"""
TOTAL_SQL = "SELECT c.oid, pg_total_relation_size(c.oid) FROM unnest(%s::oid[]) AS c(oid)"
MY_LOCKS = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"


def connect(url: str, database: str):
    u = urlparse(url)
    return psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password, dbname=database)


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - started, 3)


def sizes(conn, batch_size: int) -> dict:
    cur = conn.cursor()
    rows, estimate_s = timed(lambda: (cur.execute(ESTIMATE_SQL), cur.fetchall())[1])
    conn.rollback()
    oids = [r[0] for r in rows]
    out: dict = {"tables": len(oids), "estimate_seconds": estimate_s}
    try:
        _, out["total_one_statement_seconds"] = timed(lambda: (cur.execute(TOTAL_SQL, (oids,)), cur.fetchall()))
        cur.execute(MY_LOCKS)
        out["total_one_statement_locks"] = cur.fetchone()[0]
    except psycopg2.Error as exc:
        out["total_one_statement_error"] = str(exc).splitlines()[0]
    conn.rollback()
    totals: dict[int, int] = {}
    most_locks, started = 0, time.perf_counter()
    for i in range(0, len(oids), batch_size):
        cur.execute(TOTAL_SQL, (oids[i : i + batch_size],))
        totals.update(cur.fetchall())
        cur.execute(MY_LOCKS)
        most_locks = max(most_locks, cur.fetchone()[0])
        conn.rollback()
    out["total_batched_seconds"] = round(time.perf_counter() - started, 3)
    out["total_batched_most_locks"] = most_locks
    analyzed = [(oid, est) for oid, tuples, est in rows if tuples >= 0]
    out["analyzed_tables"] = len(analyzed)
    out["estimate_equals_total"] = sum(1 for oid, est in analyzed if est == totals[oid])
    out["estimate_sum_bytes"] = sum(est for _, est in analyzed)
    out["total_sum_bytes"] = sum(totals[oid] for oid, _ in analyzed)
    return out


def activity(conn, url: str, database: str, write_rows: int | None = None) -> dict:
    cur = conn.cursor()
    cur.execute(f"SELECT n.nspname, c.relname {TABLES}")
    keys = cur.fetchall()
    conn.rollback()
    args = {"schemas": [k[0] for k in keys], "names": [k[1] for k in keys]}
    sql = activity_sql(conn.server_version)
    rows, read_s = timed(lambda: (cur.execute(sql, args), cur.fetchall())[1])
    conn.rollback()
    if write_rows and rows:  # the catalog side at a size the target does not have: its rows repeated
        rows = [rows[i % len(rows)] for i in range(write_rows)]
    scratch = f"{database}_sizes_scratch"
    admin = connect(url, urlparse(url).path.lstrip("/") or "postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    admin.cursor().execute(f'CREATE DATABASE "{scratch}"')
    try:
        out = {"activity_read_rows": len(keys), "activity_read_seconds": read_s}
        out.update({"activity_written_rows": len(rows), **write_activity(url, scratch, rows)})
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.close()
    return out


def write_activity(url: str, scratch: str, rows: list) -> dict:
    cols = ", ".join(f"{c} {'timestamptz' if c.endswith('_at') else 'bigint'}" for c in ACTIVITY_FIELDS)
    conn = connect(url, scratch)
    cur = conn.cursor()
    cur.execute(f"CREATE UNLOGGED TABLE staged (job_id bigint, table_id bigint, {cols})")
    # as in the catalog: keyed by table id, with a foreign key to the tables
    cur.execute("CREATE TABLE tables (id bigint PRIMARY KEY)")
    cur.execute("INSERT INTO tables SELECT generate_series(0, %s)", (len(rows),))
    cur.execute(f"CREATE TABLE activity (table_id bigint PRIMARY KEY REFERENCES tables (id) ON DELETE CASCADE, {cols})")
    conn.commit()
    buf = io.StringIO()
    for i, r in enumerate(rows):
        # ACTIVITY_FIELDS: read_at, the counts, the times, last_update_at, the scan counters, the reset
        # time (each index's scans, r[16], are staged apart by the crawl and not written here)
        values = ["2026-12-03 00:00:00+00", *r[2:7], *[v or "" for v in r[7:11]], "", *r[11:15], r[15] or ""]
        buf.write(",".join(str(v) if v is not None else "" for v in [1, i, *values]) + "\n")
    names = ", ".join(ACTIVITY_FIELDS)
    upsert = (
        f"INSERT INTO activity (table_id, {names}) SELECT table_id, {names} FROM staged WHERE job_id = 1 "
        f"ON CONFLICT (table_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in ACTIVITY_FIELDS)}"
    )
    out = {}
    _, out["activity_copy_seconds"] = timed(
        lambda: cur.copy_expert(
            f"COPY staged (job_id, table_id, {names}) FROM STDIN WITH (FORMAT csv)", io.StringIO(buf.getvalue())
        )
    )
    conn.commit()
    _, out["activity_first_upsert_seconds"] = timed(lambda: (cur.execute(upsert), conn.commit()))
    _, out["activity_next_upsert_seconds"] = timed(lambda: (cur.execute(upsert), conn.commit()))
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sizes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--url", default=PG_URL)
    parser.add_argument("--write-rows", type=int, help="activity rows to write (default: one per table)")
    parser.add_argument("--no-sizes", action="store_true", help="measure activity only")
    args = parser.parse_args()
    conn = connect(args.url, args.database)
    conn.cursor().execute("SET jit = off")
    result = {"database": args.database}
    if not args.no_sizes:
        result.update(sizes(conn, args.batch_size))
    result.update(activity(conn, args.url, args.database, args.write_rows))
    conn.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
