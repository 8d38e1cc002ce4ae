"""The crawl measurements: a target per size (built by bench.pg_target or
bench.mariadb_target, or reused), its floor (bench.floor), then crawls
started through the API and timed end to end from the worker's log, with the
worker's memory sampled while each runs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from bench import floor as floor_mod
from bench import mariadb_floor, mariadb_target, peer, pg_target
from bench.common import log, rand
from bench.context import Bench
from bench.databases import mariadb_admin, pg_admin, server_url
from bench.memory import merge_rss
from bench.stats import ratio

# The worker's log lines that mark a crawl's steps (their first occurrence counts).
STEP_MESSAGES = ("crawl planning", "crawl planned", "crawl succeeded")


def parse_ts(value: str) -> datetime:
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def crawl_figures(job: dict, client_started: float) -> dict:
    queued, finished = parse_ts(job["queued_at"]), parse_ts(job["finished_at"]) if job["finished_at"] else None
    started = parse_ts(job["started_at"]) if job.get("started_at") else None
    return {
        "job_id": job["id"],
        "state": job["state"],
        "seconds": round((finished - queued).total_seconds(), 3) if finished else None,
        "queue_seconds": round((started - queued).total_seconds(), 3) if started else None,
        "client_seconds": round(time.time() - client_started, 3),
        "stats": job.get("stats"),
        "progress": job.get("progress"),
        "error": job.get("error"),
    }


def _logged_steps(log_paths: list[Path], job_id: int) -> tuple[dict[str, datetime], list[datetime]]:
    """When the worker first logged each of STEP_MESSAGES for job `job_id`, and each of its batches."""
    needle = f'"job_id": {job_id}'
    events: dict[str, datetime] = {}
    batches: list[datetime] = []
    for path in log_paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if needle not in line or not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("job_id") != job_id:
                continue
            message, ts = entry.get("message", ""), parse_ts(entry["ts"])
            for key in STEP_MESSAGES:
                if message.startswith(key):
                    events.setdefault(key, ts)
            if message.startswith("crawl batch"):
                batches.append(ts)
    return events, batches


def job_timeline(log_paths: list[Path], job: dict, wait: float = 5.0) -> dict:
    """When the worker logged each step of crawl `job` (JSON log lines with its job_id), relative to the
    job's queued_at. `commit_seconds` is queued_at -> the "crawl succeeded" line, logged once the finish
    transaction committed: the crawl end to end, apply included."""
    queued = parse_ts(job["queued_at"]) if isinstance(job["queued_at"], str) else job["queued_at"]
    deadline = time.time() + wait
    while True:  # the worker may write its last line a moment after the job's row says it ended
        events, batches = _logged_steps(log_paths, job["id"])
        if "crawl succeeded" in events or time.time() > deadline:
            break
        time.sleep(0.1)
    at = {k: round((v - queued).total_seconds(), 3) for k, v in events.items()}
    out: dict = {"batches_logged": len(batches)}
    if "crawl succeeded" in at:
        out["commit_seconds"] = at["crawl succeeded"]
    if "crawl planning" in at:
        out["queue_seconds"] = at["crawl planning"]
        if "crawl planned" in at:
            out["plan_seconds"] = round(at["crawl planned"] - at["crawl planning"], 3)
            if batches:
                last = round((max(batches) - queued).total_seconds(), 3)
                out["batches_seconds"] = round(last - at["crawl planned"], 3)
                if "crawl succeeded" in at:
                    out["finish_seconds"] = round(at["crawl succeeded"] - last, 3)
    return out


def describe(crawl: dict) -> str:
    t = crawl.get("timeline", {})
    return (
        f"{crawl['state']}, committed {crawl.get('commit_seconds')} s after queued (finished_at: "
        f"{crawl['seconds']} s; queue {t.get('queue_seconds')}, plan {t.get('plan_seconds')}, batches "
        f"{t.get('batches_seconds')}, finish {t.get('finish_seconds')}), stats {crawl['stats']}"
        + (f"; insights ready {crawl['insights_seconds']} s after" if "insights_seconds" in crawl else "")
    )


# ---------------------------------------------------------------- crawls through the API


def crawl(bench: Bench, start: Callable[[], str]) -> dict:
    """start() -> the crawl's status URL; wait for it, sampling the worker's RSS."""
    bench.check_processes()
    with bench.sampler.phase() as rss:
        client_started = time.time()
        url = start()
        job = bench.api.wait_crawl(url, bench.args.crawl_timeout)
    figures = crawl_figures(job, client_started)
    figures["timeline"] = job_timeline([w.log_path for w in bench.workers], job)
    figures["commit_seconds"] = figures["timeline"].get("commit_seconds")
    figures["rss"] = rss
    # Insights (lint, inferred keys) run in their own task after a crawl that
    # changed something: wait for them, so the next crawl is timed alone.
    stats = job.get("stats") or {}
    if job["state"] == "succeeded" and any(stats.get(k) for k in ("added", "changed", "removed")):
        figures["insights_seconds"] = bench.api.wait_insights(job["source_id"], job["id"], bench.args.crawl_timeout)
    return figures


def recrawl(bench: Bench, source_id: int) -> dict:
    return crawl(bench, lambda: bench.api.call("POST", f"/api/v1/sources/{source_id}/crawls", expect=(202,))["url"])


# ---------------------------------------------------------------- PostgreSQL sizes


def count_target(pg_url: str, database: str) -> dict:
    """Tables and columns of an existing target (one the run did not build)."""
    [(tables, columns)] = pg_admin(
        server_url(pg_url, database),
        """
        SELECT count(DISTINCT c.oid), count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        """,
        fetch=True,
    )
    return {"tables": tables, "columns": columns, "seconds": None}


def catalog_size(bench: Bench) -> int:
    return pg_admin(bench.args.pg_url, "SELECT pg_database_size(%s)", (bench.catalog_db,), fetch=True)[0][0]


def floor(bench: Bench, database: str) -> dict:
    """bench.floor.measure_floor, --floor-repeat times; the fastest of each figure."""
    return fastest(
        [floor_mod.measure_floor(bench.args.pg_url, database) for _ in range(max(1, bench.args.floor_repeat))]
    )


def fastest(runs: list[dict]) -> dict:
    """The first run's counts with the fastest read and read + COPY of all runs (and every run's)."""
    best = dict(runs[0])
    for key in ("read_seconds", "read_copy_seconds"):
        best[key] = min(r[key] for r in runs)
        best[key + "_runs"] = [r[key] for r in runs]
    return best


def pg_target_of_size(bench: Bench, tables: int, shape: str = "default") -> tuple[str, dict]:
    """The target database of `tables` tables of `shape` (reused or built) and its figures."""
    reuse = bench.args.reuse.get(tables) if shape == "default" else None
    if reuse:
        log(f"PostgreSQL {tables} tables: reusing {reuse} (left in place)")
        return reuse, {"database": reuse, "reused": True, **count_target(bench.args.pg_url, reuse)}
    database = f"mc_bench_pg_{tables}_{shape}_{rand()}"
    log(f"PostgreSQL {tables} tables, shape {shape}: building {database}")
    bench.pg_targets.append(database)
    target = {"database": database, **pg_target.build_postgres(bench.args.pg_url, database, tables, shape=shape)}
    log(f"  built in {target['seconds']} s")
    return database, target


def run_peer(bench: Bench, url: str, schemas: list[str] | None = None) -> dict | None:
    """SQLAlchemy's bulk reflection of the target (bench.peer), unless --no-peer."""
    if not bench.args.peer:
        return None
    figures = peer.measure_peer(url, schemas, timeout=bench.args.crawl_timeout)
    log(f"  SQLAlchemy peer (read only): {figures}")
    return figures


def measure_postgres(bench: Bench, tables: int, shape: str = "default") -> None:
    """The floor, the peer, a first crawl, an unchanged recrawl and a 1% changed recrawl of a
    target of `tables` tables of `shape`."""
    entry: dict = {"tables": tables, "shape": shape}
    bench.result["postgres"].append(entry)
    database, entry["target"] = pg_target_of_size(bench, tables, shape)
    log(f"  {entry['target']['columns']} columns; measuring the floor")
    entry["floor"] = floor(bench, database)
    log(f"  floor: read {entry['floor']['read_seconds']} s, read+copy {entry['floor']['read_copy_seconds']} s")
    target_url = server_url(bench.args.pg_url, database).replace("postgresql://", "postgresql+psycopg2://", 1)
    entry["peer"] = run_peer(bench, target_url)

    bench.new_user(f"pg{tables}")
    size_before = catalog_size(bench)
    source: dict = {}

    def register():
        source.update(bench.add_pg_source(f"bench-pg-{tables}-{shape}", database))
        return source["crawl"]["url"]

    entry["first_crawl"] = first = crawl(bench, register)
    entry["source_id"] = source["id"]
    bench.tokens[source["id"]] = bench.api.token
    log(f"  first crawl: {describe(first)}")
    entry["unchanged_recrawl"] = same = recrawl(bench, source["id"])
    log(f"  unchanged recrawl: {describe(same)}")
    mutated = pg_target.mutate_postgres(bench.args.pg_url, database, percent=1)
    entry["changed_recrawl"] = changed = recrawl(bench, source["id"])
    changed["mutated"] = mutated
    changed["changed_matches_mutated"] = bool(changed["stats"]) and changed["stats"].get("changed") == mutated
    log(f"  1% changed recrawl: {describe(changed)}, mutated {mutated}")
    size_after = catalog_size(bench)
    entry["catalog"] = {"db_size_bytes": size_after, "growth_bytes": size_after - size_before}
    entry["worker_rss"] = merge_rss(first["rss"], same["rss"], changed["rss"])
    entry["ratios"] = floor_ratios(first, same, changed, entry["floor"], entry["peer"])


def floor_ratios(first: dict, same: dict, changed: dict | None, f: dict, peer_figures: dict | None = None) -> dict:
    """Each crawl against the floor: end to end (queued -> committed); *_finished_at: the job's finished_at.
    The peer against the same floor, and the first crawl against the peer."""
    out = {
        "first_crawl_to_read_copy": ratio(first["commit_seconds"], f["read_copy_seconds"]),
        "unchanged_recrawl_to_read": ratio(same["commit_seconds"], f["read_seconds"]),
        "first_crawl_to_read_copy_finished_at": ratio(first["seconds"], f["read_copy_seconds"]),
        "unchanged_recrawl_to_read_finished_at": ratio(same["seconds"], f["read_seconds"]),
    }
    if changed is not None:
        out["changed_recrawl_to_read"] = ratio(changed["commit_seconds"], f["read_seconds"])
    if peer_figures and peer_figures.get("seconds") is not None:
        out["peer_to_read_copy"] = ratio(peer_figures["seconds"], f["read_copy_seconds"])
        out["first_crawl_to_peer"] = ratio(first["commit_seconds"], peer_figures["seconds"])
    return out


# ---------------------------------------------------------------- MariaDB sizes


def mariadb_reader(bench: Bench, names: list[str]) -> tuple[str, str]:
    """A MariaDB user that may only SELECT and see REFERENCES in `names`: (user, password)."""
    user, password = f"mc_bench_{rand()}", "bench-" + rand(16)
    bench.maria_users.append(user)
    mariadb_admin(
        bench.args.mariadb_url,
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}';"
        f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}';"
        + "".join(f"GRANT SELECT, REFERENCES ON `{d}`.* TO '{user}'@'{h}';" for d in names for h in ("%", "localhost")),
    )
    return user, password


def add_mariadb_source(bench: Bench, tables: int, names: list[str], user: str, password: str) -> dict:
    u = urlparse(bench.args.mariadb_url)
    return bench.api.call(
        "POST",
        "/api/v1/sources",
        {
            "name": f"bench-mariadb-{tables}",
            "engine": "mariadb",
            "host": u.hostname or "127.0.0.1",
            "port": u.port or 3306,
            "database": names[0],
            "username": user,
            "password": password,
            "options": {"include_schemas": names},
            "schedule": None,
        },
        (201,),
    )


def measure_mariadb(bench: Bench, tables: int) -> None:
    """A first crawl and an unchanged recrawl of a MariaDB target of `tables` tables over several databases."""
    entry: dict = {"tables": tables}
    bench.result["mariadb"].append(entry)
    prefix, databases = f"mc_bench_my_{tables}_{rand()}", bench.args.mariadb_databases
    names = mariadb_target.mariadb_database_names(prefix, databases)
    log(f"MariaDB {tables} tables: building {prefix}_0..{databases - 1}")
    bench.maria_targets.append((prefix, databases))
    entry["target"] = {
        "databases": names,
        **mariadb_target.build_mariadb(bench.args.mariadb_url, prefix, tables, databases=databases),
    }
    log(f"  built in {entry['target']['seconds']} s")
    entry["floor"] = mariadb_floor_figures(bench, names)
    log(f"  floor: read {entry['floor']['read_seconds']} s, read+copy {entry['floor']['read_copy_seconds']} s")
    u = urlparse(bench.args.mariadb_url)
    entry["peer"] = run_peer(bench, f"mysql+pymysql://{u.netloc or 'root@127.0.0.1:3306'}/{names[0]}", names)
    user, password = mariadb_reader(bench, names)
    bench.new_user(f"my{tables}")
    source: dict = {}

    def register():
        source.update(add_mariadb_source(bench, tables, names, user, password))
        return source["crawl"]["url"]

    entry["first_crawl"] = first = crawl(bench, register)
    entry["source_id"] = source["id"]
    log(f"  first crawl: {describe(first)}")
    entry["unchanged_recrawl"] = same = recrawl(bench, source["id"])
    log(f"  unchanged recrawl: {describe(same)}")
    entry["worker_rss"] = merge_rss(first["rss"], same["rss"])
    entry["ratios"] = floor_ratios(first, same, None, entry["floor"], entry["peer"])


def mariadb_floor_figures(bench: Bench, names: list[str]) -> dict:
    """bench.mariadb_floor, --floor-repeat times; the fastest of each figure."""
    args = bench.args
    return fastest(
        [
            mariadb_floor.measure_mariadb_floor(args.mariadb_url, names, args.pg_url, f"mc_bench_myfloor_{rand()}")
            for _ in range(max(1, args.floor_repeat))
        ]
    )
