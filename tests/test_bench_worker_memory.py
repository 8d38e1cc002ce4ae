"""The lean worker (issue #27): what a worker process loads at start, and
bench.worker_memory reading the Procfile's worker at rest. No figure is
asserted, only what the command reports and which modules are loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent

# Drivers of engines a PostgreSQL-only worker never crawls, and their modules.
NOT_AT_START = ("pymysql", "sqlglot", "engines.mysql", "engines.generic", "engines.sqlite", "duckdb")


def _loaded_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_worker_start_loads_no_driver_of_an_engine_it_has_not_crawled():
    loaded = _loaded_after("import worker.app, worker.tasks, worker.webhooks")
    assert "psycopg2" in loaded and "crawl.steps" in loaded
    assert not loaded & set(NOT_AT_START), loaded & set(NOT_AT_START)


def test_an_engine_loads_its_driver_when_first_looked_up():
    loaded = _loaded_after("from engines import ENGINES\nassert ENGINES['mariadb'].__name__ == 'MySQLIntrospector'")
    assert {"engines.mysql", "pymysql"} <= loaded and "engines.generic" not in loaded


def test_worker_memory_reads_every_process_of_the_procfile_worker():
    redis = REDIS_URL.rsplit("/", 1)[0] + "/13"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.worker_memory",
            "--redis",
            redis,
            "--concurrency",
            "2",
            "--settle",
            "1",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    processes = result["processes"]
    assert [p["main"] for p in processes].count(True) == 1 and len(processes) == 3
    assert all(p["rss_mb"] > 0 and 0 < p["pss_mb"] <= p["rss_mb"] for p in processes)
    assert all("psycopg2" in p["mapped"] for p in processes)
    assert result["pss_total_mb"] < result["rss_total_mb"]  # the children share the parent's pages
