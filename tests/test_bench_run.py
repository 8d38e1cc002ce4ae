"""The benchmark runner works end to end at a tiny size: real gunicorn, a real
Celery worker, a fresh catalog, a PostgreSQL and a MariaDB target. It proves
the command and the shape of its results; it asserts no timing target."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pymysql

from .conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


def run_bench(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run the benchmark in a process group of its own. On a timeout it is
    asked to stop (SIGTERM: it tears down its gunicorn, workers and databases),
    then the whole group is killed, so nothing it started outlives the test."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        raise AssertionError(f"bench.run did not end in {timeout} s:\n{out[-3000:]}\n{err[-5000:]}") from None
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is still there
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def bench_result(tmp_path, options: list[str], timeout: float) -> tuple[subprocess.CompletedProcess, dict]:
    """`python -m bench.run OPTIONS` on the suite's own redis-server: its output and its results' JSON."""
    results = tmp_path / "results"
    proc = run_bench(
        [sys.executable, "-m", "bench.run", *options]
        + ["--redis-base", REDIS_URL.rsplit("/", 1)[0], "--redis-db", "12", "--results-dir", str(results)],
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    [file] = results.glob("*.json")
    result = json.loads(file.read_text())
    assert result["error"] is None
    return proc, result


def test_bench_run_tiny(tmp_path):
    proc, result = bench_result(
        tmp_path,
        ["--sizes", "50", "--mariadb-sizes", "20", "--reads", "5", "--page-size", "10", "--no-small-sources"],
        timeout=240,
    )

    [pg] = result["postgres"]
    assert pg["tables"] == 50 and pg["target"]["tables"] == 50
    assert pg["floor"]["read_seconds"] >= 0 and pg["floor"]["read_copy_seconds"] >= 0
    for key in ("first_crawl", "unchanged_recrawl", "changed_recrawl"):
        crawl = pg[key]
        assert crawl["state"] == "succeeded", crawl
        assert crawl["seconds"] > 0 and crawl["rss"]["samples"] > 0
        # end to end from the worker's log: queued -> committed, never before the job's finished_at
        assert crawl["commit_seconds"] >= crawl["seconds"] - 0.002, crawl
        assert set(crawl["timeline"]) >= {"queue_seconds", "plan_seconds", "batches_seconds", "finish_seconds"}
    assert pg["first_crawl"]["stats"]["added"] == 50
    unchanged = {"added": 0, "changed": 0, "removed": 0, "unchanged": 50, "with_warnings": 0}
    assert pg["unchanged_recrawl"]["stats"] == unchanged
    changed = pg["changed_recrawl"]
    assert changed["mutated"] >= 1 and changed["stats"]["changed"] == changed["mutated"]
    assert changed["changed_matches_mutated"] is True
    assert set(pg["ratios"]) >= {"first_crawl_to_read_copy", "unchanged_recrawl_to_read", "changed_recrawl_to_read"}
    assert pg["worker_rss"]["peak_total_mb"] > 0 and pg["worker_rss"]["peak_process_mb"] > 0
    assert pg["catalog"]["db_size_bytes"] > 0
    # SQLAlchemy's bulk reflection of the same target, beside the first crawl
    assert pg["peer"]["tables"] == 50 and pg["peer"]["columns"] == pg["target"]["columns"]
    assert pg["peer"]["peak_rss_mb"] > 0 and pg["ratios"]["first_crawl_to_peer"] > 0

    for latency in (result["reads"]["latency"], result["reads"]["latency_after_analyze"]):
        assert set(latency) == {
            "search_table",
            "search_column",
            "search_customer_email",
            "search_near_miss",
            "schema_first_page_cold",
            "schema_first_page_warm",
            "schema_deep_page_cold",
            "schema_deep_page_warm",
            "table_detail",
        }
        for name, figures in latency.items():
            assert figures["n"] == 5 and 0 < figures["p50_ms"] <= figures["p95_ms"], (name, figures)
        assert latency["search_near_miss"]["results_min"] > 0  # the typos find things through pg_trgm
        assert latency["search_customer_email"]["results_min"] > 0

    [maria] = result["mariadb"]
    assert maria["first_crawl"]["state"] == "succeeded" and maria["first_crawl"]["seconds"] > 0
    assert maria["first_crawl"]["commit_seconds"] > 0
    assert maria["first_crawl"]["stats"]["added"] == 20
    assert maria["floor"]["tables"] == 20 and maria["floor"]["read_copy_seconds"] >= 0
    assert maria["peer"]["tables"] == 20
    assert set(maria["ratios"]) >= {"first_crawl_to_read_copy", "unchanged_recrawl_to_read", "first_crawl_to_peer"}

    out = proc.stdout
    assert "| 50 tables |" in out and "search_near_miss" in out and "## MariaDB crawls" in out
    assert "SQLAlchemy get_multi_* reflection (read only, writes nothing)" in out

    # everything it created is gone
    conn = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                (pg["target"]["database"], result["catalog_database"]),
            )
            assert cur.fetchall() == []
    finally:
        conn.close()
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root")
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN %s",
                (tuple(maria["target"]["databases"]),),
            )
            assert cur.fetchall() == ()
    finally:
        conn.close()


def test_bench_run_shapes_and_nightly_on_two_worker_nodes(tmp_path):
    proc, result = bench_result(
        tmp_path,
        ["--sizes", "20", "--shapes", "wide,index,partition,comment", "--shape-tables", "40", "--nightly", "3x20"]
        + ["--workers", "2", "--concurrency", "1", "--reads", "0", "--no-peer", "--floor-repeat", "1"],
        timeout=420,
    )
    assert result["config"]["workers"] == 2
    shaped = {e["shape"]: e for e in result["postgres"]}
    assert list(shaped) == ["default", "wide", "index", "partition", "comment"]
    for shape, entry in shaped.items():
        assert entry["peer"] is None  # --no-peer
        assert entry["first_crawl"]["stats"]["added"] == entry["target"]["tables"], shape
        assert entry["changed_recrawl"]["changed_matches_mutated"] is True, shape
        assert entry["ratios"]["first_crawl_to_read_copy"] > 0, shape
    assert shaped["partition"]["target"]["partitions"] == 38 and shaped["partition"]["target"]["tables"] == 40
    assert shaped["wide"]["target"]["columns"] >= 40 * 100
    night = result["nightly"]
    assert night["states"] == {"succeeded": 3} and len(night["crawl_seconds"]) == 3
    assert night["workers"] == 2 and night["contention"]["samples"] > 0
    assert "| 40 tables (partition) |" in proc.stdout and "## Nightly: 3 sources x 20 tables" in proc.stdout
    conn = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        with conn.cursor() as cur:
            names = [e["target"]["database"] for e in result["postgres"]] + [result["catalog_database"]]
            cur.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names + night["databases"],))
            assert cur.fetchall() == []
    finally:
        conn.close()


def test_bench_profile_tiny():
    from bench import pg_target

    from .targets import random_name

    database = random_name("mc_bench_prof")
    pg_target.build_postgres("postgresql://postgres@127.0.0.1:5432/postgres", database, 30)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.profile", "--database", database, "--batches", "0", "--batch-size", "8"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        pg_target.drop_postgres("postgresql://postgres@127.0.0.1:5432/postgres", database)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "### first crawl: " in proc.stdout and "### unchanged recrawl: " in proc.stdout
    assert "crawl/steps.py" in proc.stdout  # pyinstrument's call tree of the crawl's steps
