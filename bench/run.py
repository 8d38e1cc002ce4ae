"""The benchmark runner: the real system (gunicorn + Celery workers + a fresh
catalog), driven over HTTP, for every size.

For each PostgreSQL size it builds a synthetic target (bench.pg_target, timed
apart), measures the floor (bench.floor), registers the target through the API
and records: the first crawl, an unchanged recrawl and a recrawl after 1% of
the tables changed (each: the job's finished_at - queued_at), the worker's peak
RSS while crawling, and the catalog's size on disk. After the largest size it
times catalog reads and searches through the API (p50/p95). For each MariaDB
size it records the first crawl (and an unchanged recrawl).

Prints every figure as a Markdown table and writes them as JSON to
bench/results/<timestamp>.json. Everything it created is dropped at the end
unless --keep.

This module starts and stops everything and runs the steps in order; the steps
are bench.crawls, bench.reads and bench.ui, the processes bench.services, the
table bench.report.

Usage:
    python -m bench.run --sizes 1000,10000 [--mariadb-sizes 1000,10000] [--workers 1] [--concurrency 2]
                        [--reads 200] [--no-small-sources] [--keep] [--profile] [--no-peer]
                        [--shapes wide,index,partition,comment --shape-tables 10000] [--nightly 20x5000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
import traceback
from datetime import UTC, datetime

import redis as redis_lib

from bench import crawls, mariadb_target, nightly, pg_target, reads, services, ui
from bench.api_client import Api
from bench.common import ROOT, log
from bench.context import Bench
from bench.databases import MARIADB_URL, PG_URL, mariadb_admin, migrate, pg_admin
from bench.machine import machine_info
from bench.memory import RssSampler
from bench.report import render
from bench.shapes import SHAPES

RESULTS_DIR = ROOT / "bench" / "results"
REDIS_BASE = "redis://127.0.0.1:6379"

# ---------------------------------------------------------------- setup / teardown


def create_catalog(bench: Bench) -> None:
    """A fresh catalog database, migrated, with the --catalog-set settings; the run's Redis database emptied."""
    args = bench.args
    pg_admin(args.pg_url, f'CREATE DATABASE "{bench.catalog_db}"')
    bench.catalog_created = True
    migrate(bench.catalog_url)
    for setting in args.catalog_set:
        key, _, value = setting.partition("=")
        pg_admin(args.pg_url, f'ALTER DATABASE "{bench.catalog_db}" SET {key} = %s', (value,))
    bench.redis = redis_lib.Redis.from_url(bench.redis_url)
    bench.redis.flushdb()


def start_services(bench: Bench) -> None:
    """gunicorn and the Celery workers, started together and waited for."""
    args = bench.args
    env = services.service_env(bench.catalog_url, bench.redis_url, args.batch_size)
    bench.port = services.free_port()
    web = services.start_web(bench.port, args.web_workers, env, bench.logdir)
    bench.procs.append(web)
    bench.pyspy = services.find_pyspy()
    if args.profile and not bench.pyspy:
        log("--profile: py-spy is not installed, running the worker without it")
    for i in range(args.workers):
        argv = services.worker_argv(i, args.pool, args.concurrency)
        if bench.profiling:
            out = bench.results_dir / f"{bench.stamp}-worker{i}.speedscope.json"
            bench.results_dir.mkdir(parents=True, exist_ok=True)
            argv = services.under_pyspy(bench.pyspy, out, argv)
        w = services.Proc(f"worker{i}", argv, env, bench.logdir / f"worker{i}.log").start()
        bench.procs.append(w)
        bench.workers.append(w)
    bench.api = Api(bench.port)
    services.wait_web_ready(bench.api, web)
    for w in bench.workers:
        w.wait_for_log(b"ready.", 90)


def setup(bench: Bench) -> None:
    args = bench.args
    log(f"catalog {bench.catalog_db}, redis {bench.redis_url}, logs in {bench.logdir}")
    create_catalog(bench)
    start_services(bench)
    # py-spy's own process is not the worker's: leave it out of the worker's memory
    exclude = {w.pid for w in bench.workers} if bench.profiling else set()
    bench.sampler = RssSampler([w.pid for w in bench.workers], exclude=exclude)
    with bench.sampler.phase() as idle:
        time.sleep(0.5)
    bench.result["worker_rss_idle"] = idle
    log(
        f"web on :{bench.port} (gunicorn, {args.web_workers} workers), "
        f"{args.workers} Celery worker(s) -P {args.pool} -c {args.concurrency}"
    )


def stop_processes(bench: Bench) -> None:
    for p in reversed(bench.procs):
        try:
            # py-spy writes its profile on SIGINT; Celery shuts down warm on it too
            p.stop(signal.SIGINT if (bench.profiling and p in bench.workers) else signal.SIGTERM)
        except Exception as e:
            log(f"stopping {p.name}: {e}")


def drop_created(bench: Bench) -> None:
    """Drop every target, user and the catalog the run created, and empty its Redis database."""
    args = bench.args
    for name in bench.pg_targets:
        _quietly(pg_target.drop_postgres, args.pg_url, name)
        # an interrupt can land between the floor's CREATE DATABASE and its try block
        _quietly(pg_admin, args.pg_url, f'DROP DATABASE IF EXISTS "{name}_floor_scratch" WITH (FORCE)')
    for prefix, databases in bench.maria_targets:
        _quietly(mariadb_target.drop_mariadb, args.mariadb_url, prefix, databases)
    for user in bench.maria_users:
        _quietly(
            mariadb_admin,
            args.mariadb_url,
            f"DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost'",
        )
    if bench.catalog_created:
        _quietly(pg_admin, args.pg_url, f'DROP DATABASE IF EXISTS "{bench.catalog_db}" WITH (FORCE)')
    if hasattr(bench, "redis"):
        _quietly(bench.redis.flushdb)


def teardown(bench: Bench) -> None:
    stop_processes(bench)
    if bench.args.keep:
        log(
            f"--keep: left catalog {bench.catalog_url}, redis {bench.redis_url}, "
            f"PostgreSQL targets {bench.pg_targets}, MariaDB targets {bench.maria_targets}, "
            f"MariaDB users {bench.maria_users}; logs in {bench.logdir}"
        )
        return
    drop_created(bench)
    if bench.result.get("error") is None:
        shutil.rmtree(bench.logdir, ignore_errors=True)
    else:
        log(f"logs kept in {bench.logdir}")


def _quietly(fn, *args) -> None:
    try:
        fn(*args)
    except Exception as e:
        log(f"teardown: {fn.__name__}{args}: {e}")


# ---------------------------------------------------------------- the whole run


def config(args) -> dict:
    return {
        "batch_size": args.batch_size,
        "workers": args.workers,
        "pool": args.pool,
        "concurrency": args.concurrency,
        "web_workers": args.web_workers,
        "catalog": "same PostgreSQL server as the targets",
    }


def measure_all(bench: Bench) -> None:
    """Every measurement, in order."""
    args = bench.args
    for tables in sorted(args.sizes):
        crawls.measure_postgres(bench, tables)
    for shape in args.shapes:
        crawls.measure_postgres(bench, args.shape_tables, shape)
    for tables in sorted(args.mariadb_sizes):
        crawls.measure_mariadb(bench, tables)
    if args.nightly:
        bench.result["nightly"] = nightly.measure_nightly(bench, *args.nightly)
    # Reads last: nothing measured after them is affected by the ANALYZE of their second pass.
    if args.reads > 0:
        largest = max(bench.result["postgres"], key=lambda e: e["tables"])
        bench.api.token = bench.tokens[largest["source_id"]]
        bench.result["reads"] = reads.measure_reads(bench, largest["source_id"], largest["tables"])
    if args.ui:
        bench.result["ui"] = ui.measure_ui(bench)


def run(bench: Bench) -> int:
    """Set up, measure, tear down whatever happened; write and print the results. The exit code."""
    code = 0
    try:
        setup(bench)
        bench.result["machine"] = machine_info(bench.args.pg_url, bench.args.mariadb_url, bench.redis)
        bench.result["config"] = config(bench.args)
        measure_all(bench)
    except KeyboardInterrupt:
        bench.result["error"] = "interrupted"
        code = 130
    except Exception as e:
        bench.result["error"] = f"{type(e).__name__}: {e}"
        traceback.print_exc()
        for p in bench.procs:
            log(f"--- {p.name} log tail ---\n{p.tail(2000)}")
        code = 1
    finally:
        bench.result.setdefault("error", None)
        bench.result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        teardown(bench)
    bench.results_dir.mkdir(parents=True, exist_ok=True)
    out = bench.results_dir / f"{bench.stamp}.json"
    out.write_text(json.dumps(bench.result, indent=2, default=str) + "\n")
    print(render(bench.result))
    log(f"results written to {out}")
    return code


# ---------------------------------------------------------------- CLI


def _sizes(value: str) -> list[int]:
    return [int(v) for v in value.replace("_", "").split(",") if v.strip() and int(v) > 0]


def _reuse(value: str) -> dict[int, str]:
    pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
    return {int(size.replace("_", "")): name for size, name in pairs}


def _shapes(value: str) -> list[str]:
    shapes = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown shape {', '.join(unknown)}: one of {', '.join(SHAPES)}")
    return shapes


def _nightly(value: str) -> tuple[int, int]:
    sources, _, tables = value.lower().partition("x")
    try:
        return int(sources), int(tables.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError("--nightly takes SOURCESxTABLES, e.g. 20x5000") from None


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=_sizes, default=[1000, 10000], help="PostgreSQL target sizes, e.g. 1000,10000")
    p.add_argument("--mariadb-sizes", type=_sizes, default=[], help="MariaDB target sizes (0 or empty: none)")
    p.add_argument(
        "--shapes",
        type=_shapes,
        default=[],
        help=f"also crawl a target of each shape ({', '.join(SHAPES)}; bench/shapes.py) at --shape-tables",
    )
    p.add_argument("--shape-tables", type=int, default=10000, help="tables of each --shapes target")
    p.add_argument("--no-peer", dest="peer", action="store_false", help="skip SQLAlchemy's reflection (bench/peer.py)")
    p.add_argument(
        "--nightly",
        type=_nightly,
        default=None,
        metavar="SOURCESxTABLES",
        help="last: that many sources of that many tables crawled at once by every worker (bench/nightly.py)",
    )
    p.add_argument("--mariadb-databases", type=int, default=5, help="databases a MariaDB target is spread over")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Celery worker nodes: separate `celery worker` processes, each with its own node name",
    )
    p.add_argument("--pool", default="prefork", choices=("prefork", "threads", "solo"), help="Celery worker pool")
    p.add_argument("--concurrency", type=int, default=2, help="pool processes (or threads) per worker")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--batch-size", type=int, default=2000, help="METACRAWL_BATCH_SIZE (the default is the setting's)")
    p.add_argument("--reads", type=int, default=200, help="requests per read/search figure (0: skip reads)")
    p.add_argument("--page-size", type=int, default=100, help="limit of the schema pages read")
    p.add_argument(
        "--with-small-sources",
        dest="small_sources",
        action="store_true",
        default=True,
        help=f"before the reads, add {reads.SMALL_SOURCES} sources of {reads.SMALL_TABLES} tables (default)",
    )
    p.add_argument("--no-small-sources", dest="small_sources", action="store_false")
    p.add_argument("--floor-repeat", type=int, default=2, help="floor measurements per size (the fastest counts)")
    p.add_argument("--crawl-timeout", type=float, default=1800)
    p.add_argument(
        "--catalog-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="ALTER DATABASE <catalog> SET NAME = VALUE, e.g. to investigate: "
        "session_preload_libraries=auto_explain, auto_explain.log_min_duration=500",
    )
    p.add_argument(
        "--reuse",
        type=_reuse,
        default={},
        metavar="SIZE=DATABASE[,...]",
        help="crawl an existing bench.generate target of that size instead of building one "
        "(it is mutated by the 1%% recrawl and not dropped)",
    )
    p.add_argument("--keep", action="store_true", help="keep the catalog and target databases")
    p.add_argument(
        "--ui",
        action="store_true",
        help="also time the web UI's pages at the largest source (bench/ui.py; adds a hub table to its target)",
    )
    p.add_argument("--profile", action="store_true", help="run the worker under py-spy record, if installed")
    p.add_argument("--pg-url", default=PG_URL)
    p.add_argument("--mariadb-url", default=MARIADB_URL)
    p.add_argument("--redis-base", default=REDIS_BASE)
    p.add_argument("--redis-db", type=int, default=11, help="Redis database used (and flushed) by the run")
    p.add_argument("--results-dir", default=str(RESULTS_DIR))
    args = p.parse_args(argv)
    if not (args.sizes or args.shapes or args.mariadb_sizes or args.nightly):
        p.error("nothing to measure: give --sizes, --shapes, --mariadb-sizes or --nightly")
    if args.reads > 0 and not (args.sizes or args.shapes):
        p.error("--reads needs a PostgreSQL target (--sizes or --shapes); give --reads 0")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # run() tears down its processes and databases on the way out


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    return run(Bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
