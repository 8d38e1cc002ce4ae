"""The worker at rest as the Procfile runs it: `celery -A worker.app worker
-Q celery -l INFO --pool prefork --concurrency 3` (WORKER_CONCURRENCY's
default), started on a Redis of its own choosing and a catalog URL it never
needs at rest, its RSS and PSS read per process once it logged "ready." and
settled, then stopped. With --webhooks the Procfile's `webhooks` worker (-c 2)
runs beside it and is counted too. Also lists which of the heavy modules
each kind of process has loaded (from /proc/<pid>/maps: the shared objects
mapped), so an import that moved shows.

Usage:
    python -m bench.worker_memory --redis redis://127.0.0.1:6397/0 [--concurrency 3] [--webhooks] [--settle 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT
from bench.memory import _pss_kb, _status_kb, proc_tree

# Shared objects whose mapping shows that a driver or library with a C part was
# imported (pure-Python ones such as pymysql or sqlglot leave no trace here).
MARKERS = ("psycopg2", "duckdb", "_cffi_backend", "cryptography", "_rust", "orjson", "lxml")


def procfile_argv(queue: str, concurrency: int, name: str | None) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "-Q", queue, "-l", "INFO"]
    argv += ["--pool", "prefork", "--concurrency", str(concurrency)]
    return argv + (["-n", name] if name else [])


def mapped(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    return sorted({m for m in MARKERS if m in text})


def snapshot(roots: list[int]) -> dict:
    procs = []
    for root in roots:
        for pid in proc_tree(root):
            procs.append(
                {
                    "pid": pid,
                    "main": pid == root,
                    "rss_mb": round(_status_kb(pid, "VmRSS") / 1024, 1),
                    "pss_mb": round(_pss_kb(pid) / 1024, 1),
                    "mapped": mapped(pid),
                }
            )
    return {
        "processes": procs,
        "rss_total_mb": round(sum(p["rss_mb"] for p in procs), 1),
        "pss_total_mb": round(sum(p["pss_mb"] for p in procs), 1),
    }


def measure(redis_url: str, catalog_url: str, concurrency: int, webhooks: bool, settle: float) -> dict:
    env = {**os.environ, "METACRAWL_REDIS_URL": redis_url, "METACRAWL_CATALOG_URL": catalog_url}
    specs = [("celery", concurrency, None)] + ([("webhooks", 2, "webhooks@%h")] if webhooks else [])
    started, logs = [], []
    try:
        for queue, conc, name in specs:
            log = tempfile.NamedTemporaryFile(prefix=f"mc_wmem_{queue}_", suffix=".log", delete=False)
            logs.append(Path(log.name))
            started.append(
                subprocess.Popen(
                    procfile_argv(queue, conc, name),
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.time() + 90
        while not all(b"ready." in p.read_bytes() for p in logs):
            if time.time() > deadline or any(s.poll() is not None for s in started):
                raise RuntimeError("worker not ready:\n" + "\n".join(p.read_text()[-2000:] for p in logs))
            time.sleep(0.2)
        time.sleep(settle)
        return snapshot([p.pid for p in started])  # every process of every worker started
    finally:
        for p in started:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(30)
        for path in logs:
            path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", required=True, help="a Redis database no other worker consumes")
    parser.add_argument("--catalog-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--webhooks", action="store_true", help="the Procfile's webhooks worker too")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after ready before reading")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.redis, args.catalog_url, args.concurrency, args.webhooks, args.settle)
    if args.json:
        print(json.dumps(result))
        return
    for p in result["processes"]:
        kind = "main " if p["main"] else "child"
        print(f"{kind} {p['pid']:>7}  RSS {p['rss_mb']:>6.1f} MB  PSS {p['pss_mb']:>6.1f} MB  {','.join(p['mapped'])}")
    print(f"total RSS {result['rss_total_mb']} MB, PSS {result['pss_total_mb']} MB")


if __name__ == "__main__":
    main()
