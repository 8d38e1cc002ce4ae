"""The read and search measurements: API requests against the largest
source (plus small sources beside it), timed as the crawls left the catalog
and again after an ANALYZE of the tables reads use."""

from __future__ import annotations

import math
import time
from urllib.parse import quote, urlencode

from bench import pg_target
from bench.common import log, rand
from bench.context import Bench
from bench.databases import pg_admin
from bench.stats import latency_figures
from catalog.jobs import CrawlState

# Search terms: real words of the generated names (bench.generate), ten of each kind
# so more than one plan / cached page is measured.
TABLE_TERMS = [
    "customer",
    "invoice",
    "shipment",
    "warehouse",
    "ledger",
    "subscription",
    "snapshots",
    "balances",
    "audit",
    "profiles",
]
COLUMN_TERMS = [
    "customer_email",
    "total_amount",
    "created_at",
    "phone_number",
    "invoice_number",
    "country_code",
    "external_ref",
    "discount_rate",
    "last_login_at",
    "street_address",
]
# Near misses: none matches by name or substring, each finds columns through pg_trgm.
NEAR_TERMS = [
    "custmer_emial",
    "custmer",
    "totl_amount",
    "creatd_at",
    "phone_numbr",
    "invoice_numbr",
    "countri_code",
    "extrnal_ref",
    "discout_rate",
    "stret_address",
]

# What the runner analyzes before the second pass of reads: the tables reads and search query.
ANALYZED = ("catalog_tables", "catalog_columns")

SMALL_SOURCES = 9
SMALL_TABLES = 200


def timed(bench: Bench, paths: list[str], n: int, bust: bool = False) -> dict:
    """GET each of `paths` (cycled) n times; latency figures in ms."""
    times, counts = [], []
    for i in range(n):
        path = paths[i % len(paths)]
        if bust:
            bench.bust_cache()
        status, body, elapsed = bench.api.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body!r}"[:2000])
        times.append(elapsed * 1000)
        if isinstance(body, dict):
            counts.append(len(body.get("results", body.get("tables", body.get("columns", [])))))
    return {
        **latency_figures(times),
        "results_min": min(counts, default=None),
        "results_max": max(counts, default=None),
    }


def add_small_sources(bench: Bench) -> None:
    """SMALL_SOURCES sources over one target of SMALL_TABLES tables, crawled, so reads and search see more
    than one source."""
    database = f"mc_bench_pg_small_{rand()}"
    log(f"  reads: adding {SMALL_SOURCES} sources of {SMALL_TABLES} tables ({database})")
    bench.pg_targets.append(database)
    pg_target.build_postgres(bench.args.pg_url, database, SMALL_TABLES, seed=2)
    urls = [bench.add_pg_source(f"bench-small-{k}", database)["crawl"]["url"] for k in range(SMALL_SOURCES)]
    for url in urls:
        job = bench.api.wait_crawl(url, bench.args.crawl_timeout)
        if job["state"] != CrawlState.SUCCEEDED:
            raise RuntimeError(f"small source crawl failed: {job}")


def measure_reads(bench: Bench, source_id: int, tables: int) -> dict:
    limit = bench.args.page_size
    reads: dict = {"source_id": source_id, "source_tables": tables, "small_sources": 0, "page_size": limit}
    if bench.args.small_sources:
        add_small_sources(bench)
        reads["small_sources"] = SMALL_SOURCES
        reads["small_source_tables"] = SMALL_TABLES
    reads["latency"] = read_latencies(bench, source_id, tables, reads)
    # This catalog was just written by the crawls; the server may not have analyzed it yet (autovacuum
    # off, or not yet due). Measure again once the statistics of the tables reads use are fresh. Only
    # those: statistics taken of the (now nearly empty) crawl staging tables change later crawls.
    started = time.perf_counter()
    pg_admin(bench.catalog_admin_url(), "ANALYZE " + ", ".join(ANALYZED))
    reads["analyze_seconds"] = round(time.perf_counter() - started, 3)
    log(f"  reads again after ANALYZE of {', '.join(ANALYZED)} ({reads['analyze_seconds']} s)")
    reads["latency_after_analyze"] = read_latencies(bench, source_id, tables, reads)
    return reads


def search_latencies(bench: Bench, n: int) -> dict:
    q = lambda **kw: urlencode(kw)  # noqa: E731
    return {
        "search_table": timed(bench, [f"/api/v1/search?{q(q=t, kind='table')}" for t in TABLE_TERMS], n),
        "search_column": timed(bench, [f"/api/v1/search?{q(q=t, kind='column')}" for t in COLUMN_TERMS], n),
        "search_customer_email": timed(bench, [f"/api/v1/search?{q(q='customer_email', kind='column')}"], n),
        "search_near_miss": timed(bench, [f"/api/v1/search?{q(q=t)}" for t in NEAR_TERMS], n),
    }


def deep_page(bench: Bench, source_id: int, tables: int, reads: dict) -> tuple[str, dict]:
    """Follow next_cursor from the first schema page to the middle one: (its path, its body).
    Notes the page (and how long following took) in `reads` the first time."""
    limit = bench.args.page_size
    schema = f"/api/v1/sources/{source_id}/schema"
    pages = math.ceil(tables / limit)
    target_page = max(1, pages // 2)
    page = bench.api.call("GET", f"{schema}?limit={limit}")
    deep, follow_started = None, time.perf_counter()
    for _ in range(target_page):
        cursor = page["next_cursor"]
        if not cursor:
            break
        deep = f"{schema}?limit={limit}&cursor={quote(cursor, safe='')}"
        page = bench.api.call("GET", deep)
    reads.setdefault(
        "deep_page",
        {"page": target_page + 1, "of": pages, "follow_seconds": round(time.perf_counter() - follow_started, 3)},
    )
    if deep is None:
        raise RuntimeError(f"no next_cursor on the first page of source {source_id} (limit {limit})")
    return deep, page


def read_latencies(bench: Bench, source_id: int, tables: int, reads: dict) -> dict:
    n, limit = bench.args.reads, bench.args.page_size
    log(f"  reads: {n} requests per figure")
    lat = search_latencies(bench, n)

    first_page = f"/api/v1/sources/{source_id}/schema?limit={limit}"
    lat["schema_first_page_cold"] = timed(bench, [first_page], n, bust=True)
    lat["schema_first_page_warm"] = timed(bench, [first_page], n)

    deep, page = deep_page(bench, source_id, tables, reads)
    lat["schema_deep_page_cold"] = timed(bench, [deep], n, bust=True)
    lat["schema_deep_page_warm"] = timed(bench, [deep], n)

    details = [
        f"/api/v1/sources/{source_id}/tables/{quote(t['schema'], safe='')}/{quote(t['name'], safe='')}"
        for t in page["tables"][:10]
    ]
    lat["table_detail"] = timed(bench, details, n)
    for name, figures in lat.items():
        log(f"    {name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    return lat
