"""The nightly case: many sources crawled at once by every worker node of
the run (`--workers N`: separate `celery worker` processes, each with its own
node name, as on N machines), with the catalog's contention sampled.

`--nightly SOURCESxTABLES` builds one target of TABLES tables (bench.pg_target),
copies it SOURCES - 1 times (CREATE DATABASE ... TEMPLATE, so each source has
a database of its own), registers every copy as a source through the API
(each registration queues its first crawl, so all are queued within a
second), waits for every crawl and reports: the total time (the first
queued_at to the last finished_at), each crawl's time, and what the catalog's
sessions waited on, sampled every 0.2 s from pg_stat_activity (sessions of
the catalog database in a `Lock` wait, by wait event) and pg_locks (lock
requests not granted), while the crawls ran.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import psycopg2

from bench import pg_target
from bench.common import log, rand
from bench.context import Bench
from bench.crawls import parse_ts
from bench.databases import pg_admin

SAMPLE_SQL = """
SELECT wait_event_type, wait_event, count(*)
FROM pg_stat_activity
WHERE datname = %s AND state <> 'idle' AND pid <> pg_backend_pid()
GROUP BY 1, 2
"""
UNGRANTED_SQL = (
    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = %s AND NOT l.granted"
)


@contextmanager
def contention(admin_url: str, database: str, interval: float = 0.2):
    """Sample the catalog's active sessions and ungranted locks while the block runs."""
    out: dict = {
        "samples": 0,
        "samples_with_lock_waits": 0,
        "max_lock_waiters": 0,
        "max_ungranted_locks": 0,
        "max_active_sessions": 0,
        "wait_events": Counter(),
    }
    stop = threading.Event()

    def loop() -> None:
        conn = psycopg2.connect(admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while not stop.is_set():
                    cur.execute(SAMPLE_SQL, (database,))
                    rows = cur.fetchall()
                    cur.execute(UNGRANTED_SQL, (database,))
                    ungranted = cur.fetchone()[0]
                    lock_waiters = sum(n for kind, _, n in rows if kind == "Lock")
                    out["samples"] += 1
                    out["samples_with_lock_waits"] += 1 if lock_waiters else 0
                    out["max_lock_waiters"] = max(out["max_lock_waiters"], lock_waiters)
                    out["max_ungranted_locks"] = max(out["max_ungranted_locks"], ungranted)
                    out["max_active_sessions"] = max(out["max_active_sessions"], sum(n for *_, n in rows))
                    for kind, event, n in rows:
                        if kind:
                            out["wait_events"][f"{kind}:{event}"] += n
                    stop.wait(interval)
        finally:
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out["wait_events"] = dict(out["wait_events"].most_common(12))


def build_copies(bench: Bench, sources: int, tables: int) -> list[str]:
    """One target of `tables` tables and sources - 1 copies of it; their names (dropped with the run's)."""
    first = f"mc_bench_night_{tables}_{rand()}"
    bench.pg_targets.append(first)
    built = pg_target.build_postgres(bench.args.pg_url, first, tables)
    log(f"nightly: built {first} ({built['tables']} tables) in {built['seconds']} s; copying it {sources - 1} times")
    names = [first]
    for k in range(1, sources):
        name = f"{first}_{k:02d}"
        bench.pg_targets.append(name)
        pg_admin(bench.args.pg_url, f'CREATE DATABASE "{name}" TEMPLATE "{first}"')
        names.append(name)
    return names


def measure_nightly(bench: Bench, sources: int, tables: int) -> dict:
    """`sources` sources of `tables` tables, their first crawls queued at once; the figures."""
    names = build_copies(bench, sources, tables)
    bench.new_user(f"night{sources}x{tables}")
    urls: list[str] = []
    with bench.sampler.phase() as rss, contention(bench.catalog_admin_url(), bench.catalog_db) as waits:
        for k, name in enumerate(names):
            urls.append(bench.add_pg_source(f"bench-night-{k:02d}", name)["crawl"]["url"])
        jobs = [bench.api.wait_crawl(url, bench.args.crawl_timeout) for url in urls]
    queued = [parse_ts(j["queued_at"]) for j in jobs]
    finished = [parse_ts(j["finished_at"]) for j in jobs if j["finished_at"]]
    per_crawl = sorted(
        round((parse_ts(j["finished_at"]) - parse_ts(j["queued_at"])).total_seconds(), 2)
        for j in jobs
        if j["finished_at"]
    )
    result = {
        "sources": sources,
        "tables_each": tables,
        "databases": names,
        "workers": bench.args.workers,
        "concurrency": bench.args.concurrency,
        "states": dict(Counter(j["state"] for j in jobs)),
        "total_seconds": round((max(finished) - min(queued)).total_seconds(), 2) if finished else None,
        "crawl_seconds": per_crawl,
        "contention": waits,
        "worker_rss": rss,
    }
    log(f"nightly: {result['states']} in {result['total_seconds']} s; contention {waits}")
    return result
