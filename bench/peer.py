"""The peer: SQLAlchemy's generic bulk reflection of the same target, read
only (it writes nothing anywhere), as bench.run's line beside metacrawl's
first crawl.

Per user schema, `inspect(engine).get_multi_columns / get_multi_pk_constraint
/ get_multi_foreign_keys / get_multi_indexes / get_multi_unique_constraints /
get_multi_check_constraints / get_multi_table_comment` (SQLAlchemy 2.x; every
kind of relation: tables, views, materialized views, foreign tables), every
result kept in memory until the end. It runs in a process of its own so its
peak RSS (getrusage's ru_maxrss) is its own; `seconds` is from before the
first connection to the last result, the interpreter's start and imports
excluded.

Usage:
    python -m bench.peer --url postgresql+psycopg2://postgres@127.0.0.1:5432/DB
    python -m bench.peer --url mysql+pymysql://root@127.0.0.1:3306/DB --schemas db_0,db_1
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time

from bench.common import ROOT

CALLS = (
    "get_multi_columns",
    "get_multi_pk_constraint",
    "get_multi_foreign_keys",
    "get_multi_indexes",
    "get_multi_unique_constraints",
    "get_multi_check_constraints",
    "get_multi_table_comment",
)


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reflect(url: str, schemas: list[str] | None) -> dict:
    """Reflect every schema of `url` (or `schemas`) in bulk; the figures."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine.reflection import ObjectKind

    rss_before = _rss_mb()
    started = time.perf_counter()
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        if schemas is None:
            schemas = [s for s in inspector.get_schema_names() if s != "information_schema" and not s.startswith("pg_")]
        kept: list = []
        seconds_per_call = dict.fromkeys(CALLS, 0.0)
        for schema in schemas:
            for call in CALLS:
                t = time.perf_counter()
                kept.append(getattr(inspector, call)(schema=schema, kind=ObjectKind.ANY))
                seconds_per_call[call] += time.perf_counter() - t
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    columns = [result for k, result in enumerate(kept) if k % len(CALLS) == 0]
    return {
        "seconds": round(seconds, 2),
        "seconds_per_call": {k: round(v, 2) for k, v in seconds_per_call.items()},
        "schemas": len(schemas),
        "tables": sum(len(r) for r in columns),
        "columns": sum(len(cols) for r in columns for cols in r.values()),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sqlalchemy": __import__("sqlalchemy").__version__,
    }


def measure_peer(url: str, schemas: list[str] | None = None, timeout: float = 3600) -> dict:
    """`reflect` in a fresh interpreter (its own peak RSS): its figures, or {"error": ...}."""
    argv = [sys.executable, "-m", "bench.peer", "--url", url, "--json"]
    if schemas:
        argv += ["--schemas", ",".join(schemas)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raised = [line for line in proc.stderr.splitlines() if re.match(r"[\w.]+(Error|Exception): ", line)]
        return {"error": raised[-1] if raised else f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a SQLAlchemy URL of the target")
    parser.add_argument("--schemas", help="comma-separated (default: every user schema)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    figures = reflect(args.url, [s for s in args.schemas.split(",") if s] if args.schemas else None)
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
