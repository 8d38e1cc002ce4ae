"""The benchmark runner: the real system (gunicorn + Celery workers + a fresh
catalog), driven over HTTP, for every size.

For each PostgreSQL size it builds a synthetic target (bench.generate, timed
apart), measures the floor (bench.floor), registers the target through the API
and records: the first crawl, an unchanged recrawl and a recrawl after 1% of
the tables changed (each: the job's finished_at - queued_at), the worker's peak
RSS while crawling, and the catalog's size on disk. After the largest size it
times catalog reads and searches through the API (p50/p95). For each MariaDB
size it records the first crawl (and an unchanged recrawl).

Prints every figure as a Markdown table and writes them as JSON to
bench/results/<timestamp>.json. Everything it created is dropped at the end
unless --keep.

Usage:
    python -m bench.run --sizes 1000,10000 [--mariadb-sizes 1000,10000] [--workers 1] [--concurrency 2]
                        [--reads 200] [--no-small-sources] [--keep] [--profile]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import redis as redis_lib

from bench import floor as floor_mod
from bench import mariadb_target, pg_target
from bench.common import ROOT, log, rand
from bench.databases import MARIADB_URL, PG_URL, mariadb_admin, mariadb_scalar, migrate, pg_admin
from catalog.jobs import ENDED_STATES, CrawlState

RESULTS_DIR = ROOT / "bench" / "results"
REDIS_BASE = "redis://127.0.0.1:6379"

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


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def parse_ts(value: str) -> datetime:
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


# ---------------------------------------------------------------- databases


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_for_log(self, needle: bytes, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log_path.read_bytes():
                return
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not log {needle!r} in {timeout} s:\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.log_file.close()


def proc_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the RSS of every worker process tree (main + prefork children)
    every `interval` s while a phase is open; keeps the peaks per phase."""

    def __init__(self, roots: list[int], exclude: set[int] | None = None, interval: float = 0.2):
        self.roots, self.exclude, self.interval = roots, exclude or set(), interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._current: dict | None = None

    def _sample(self) -> None:
        pids = [p for root in self.roots for p in proc_tree(root) if p not in self.exclude]
        rss = {p: _status_kb(p, "VmRSS") for p in pids}
        pss_total = sum(_pss_kb(p) for p in pids)
        with self._lock:
            cur = self._current
            if cur is None:
                return
            cur["samples"] += 1
            cur["peak_total_kb"] = max(cur["peak_total_kb"], sum(rss.values()))
            cur["peak_process_kb"] = max(cur["peak_process_kb"], max(rss.values(), default=0))
            cur["peak_pss_total_kb"] = max(cur["peak_pss_total_kb"], pss_total)
            cur["processes"] = max(cur["processes"], len(pids))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    @contextmanager
    def phase(self):
        result = {"samples": 0, "peak_total_kb": 0, "peak_process_kb": 0, "peak_pss_total_kb": 0, "processes": 0}
        with self._lock:
            self._current = result
        self._stop.clear()
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield result
        finally:
            self._stop.set()
            thread.join()
            self._sample_final(result)

    def _sample_final(self, result: dict) -> None:
        with self._lock:
            self._current = None
        for key in ("peak_total_kb", "peak_process_kb", "peak_pss_total_kb"):
            result[key.replace("_kb", "_mb")] = round(result.pop(key) / 1024, 1)


def merge_rss(*phases: dict) -> dict:
    keys = ("peak_total_mb", "peak_process_mb", "peak_pss_total_mb")
    return {k: max((p[k] for p in phases if p), default=0.0) for k in keys}


# ---------------------------------------------------------------- HTTP


class Api:
    """A client of the metacrawl API over one http.client connection (gunicorn's
    sync workers close each connection, so it reconnects as needed)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token: str | None = None

    def request(self, method: str, path: str, body=None, auth: bool = True) -> tuple[int, object, float]:
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        resp, raw, elapsed = self.exchange(method, path, data, headers)
        payload = json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith("application/json") else raw
        return resp.status, payload, elapsed

    def exchange(
        self, method: str, path: str, data: bytes | None, headers: dict
    ) -> tuple[http.client.HTTPResponse, bytes, float]:
        """One timed request and its whole body, reconnecting once if the server closed the connection."""
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
            except Exception:
                self.conn.close()
                raise
        if resp.will_close:
            self.conn.close()
        return resp, raw, elapsed

    def call(self, method: str, path: str, body=None, expect: tuple[int, ...] = (200,), auth: bool = True):
        status, payload, _ = self.request(method, path, body, auth)
        if status not in expect:
            raise RuntimeError(f"{method} {path} answered {status}: {payload!r}"[:2000])
        return payload

    def register(self, email: str, password: str) -> None:
        self.call("POST", "/api/v1/auth/register", {"email": email, "password": password}, (202,), auth=False)
        tokens = self.call("POST", "/api/v1/auth/login", {"email": email, "password": password}, auth=False)
        self.token = tokens["access_token"]

    def wait_crawl(self, url: str, timeout: float) -> dict:
        started = time.time()
        while True:
            job = self.call("GET", url)
            if job["state"] in ENDED_STATES:
                job["client_seconds"] = round(time.time() - started, 3)
                return job
            if time.time() - started > timeout:
                raise RuntimeError(f"crawl {url} did not end in {timeout} s: {job}")
            time.sleep(0.1 if time.time() - started < 5 else 0.25)

    def wait_insights(self, source_id: int, crawl_id: int, timeout: float) -> float:
        """Seconds until the source's insights show crawl `crawl_id`."""
        started = time.time()
        while True:
            body = self.call("GET", f"/api/v1/sources/{source_id}/insights?limit=1")
            if body["crawl_id"] is not None and body["crawl_id"] >= crawl_id:
                return round(time.time() - started, 3)
            if time.time() - started > timeout:
                raise RuntimeError(f"insights of source {source_id} not computed after crawl {crawl_id}")
            time.sleep(0.5)


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


def job_timeline(log_paths: list[Path], job: dict, wait: float = 5.0) -> dict:
    """When the worker logged each step of crawl `job` (JSON log lines with its job_id), relative to the
    job's queued_at. `commit_seconds` is queued_at -> the "crawl succeeded" line, logged once the finish
    transaction committed: the crawl end to end, apply included."""
    queued = parse_ts(job["queued_at"]) if isinstance(job["queued_at"], str) else job["queued_at"]
    needle = f'"job_id": {job["id"]}'
    deadline = time.time() + wait
    while True:
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
                if entry.get("job_id") != job["id"]:
                    continue
                message, ts = entry.get("message", ""), parse_ts(entry["ts"])
                for key in ("crawl planning", "crawl planned", "crawl succeeded"):
                    if message.startswith(key):
                        events.setdefault(key, ts)
                if message.startswith("crawl batch"):
                    batches.append(ts)
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


# ---------------------------------------------------------------- the bench


class Bench:
    def __init__(self, args):
        self.args = args
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.results_dir = Path(args.results_dir)
        self.logdir = Path(tempfile.mkdtemp(prefix=f"mc_bench_{self.stamp}_"))
        self.catalog_db = f"mc_bench_catalog_{rand()}"
        server = args.pg_url.rsplit("/", 1)[0]
        self.catalog_url = f"{server.replace('postgresql://', 'postgresql+psycopg2://')}/{self.catalog_db}"
        self.redis_url = f"{args.redis_base}/{args.redis_db}"
        self.procs: list[Proc] = []
        self.workers: list[Proc] = []
        self.pg_targets: list[str] = []
        self.maria_targets: list[tuple[str, int]] = []
        self.maria_users: list[str] = []
        self.catalog_created = False
        self.tokens: dict[int, str] = {}  # source id -> its owner's access token (never in the results)
        self.result: dict = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "args": vars(args),
            "catalog_database": self.catalog_db,
            "postgres": [],
            "mariadb": [],
            "reads": None,
        }

    # ---- setup / teardown

    def env(self) -> dict:
        return {
            **os.environ,
            "METACRAWL_CATALOG_URL": self.catalog_url,
            "METACRAWL_REDIS_URL": self.redis_url,
            "METACRAWL_BATCH_SIZE": str(self.args.batch_size),
            "METACRAWL_LOG_JSON": "1",
            "METACRAWL_ACCESS_TOKEN_MINUTES": "1440",
            "PYTHONUNBUFFERED": "1",
        }

    def setup(self) -> None:
        log(f"catalog {self.catalog_db}, redis {self.redis_url}, logs in {self.logdir}")
        pg_admin(self.args.pg_url, f'CREATE DATABASE "{self.catalog_db}"')
        self.catalog_created = True
        migrate(self.catalog_url)
        for setting in self.args.catalog_set:
            key, _, value = setting.partition("=")
            pg_admin(self.args.pg_url, f'ALTER DATABASE "{self.catalog_db}" SET {key} = %s', (value,))
        self.redis = redis_lib.Redis.from_url(self.redis_url)
        self.redis.flushdb()

        env = self.env()
        self.port = free_port()
        web = Proc(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.args.web_workers),
                "--access-logfile",
                "-",
                "api:create_app()",
            ],
            env,
            self.logdir / "web.log",
        )
        self.procs.append(web.start())
        self.pyspy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
        if self.args.profile and not self.pyspy:
            log("--profile: py-spy is not installed, running the worker without it")
        for i in range(self.args.workers):
            argv = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app",
                "worker",
                "-P",
                self.args.pool,
                "-c",
                str(self.args.concurrency),
                "-n",
                f"bench{i}-{rand()}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ]
            if self.args.profile and self.pyspy:
                out = self.results_dir / f"{self.stamp}-worker{i}.speedscope.json"
                self.results_dir.mkdir(parents=True, exist_ok=True)
                argv = [
                    self.pyspy,
                    "record",
                    "--subprocesses",
                    "--format",
                    "speedscope",
                    "--rate",
                    "50",
                    "-o",
                    str(out),
                    "--",
                ] + argv
            w = Proc(f"worker{i}", argv, env, self.logdir / f"worker{i}.log")
            self.procs.append(w.start())
            self.workers.append(w)
        self.api = Api(self.port)
        deadline = time.time() + 60
        while True:
            try:
                status, body, _ = self.api.request("GET", "/readyz", auth=False)
                if status == 200:
                    break
            except OSError:
                pass
            if not web.alive():
                raise RuntimeError(f"gunicorn exited:\n{web.tail()}")
            if time.time() > deadline:
                raise RuntimeError(f"/readyz not ready in 60 s:\n{web.tail()}")
            time.sleep(0.2)
        for w in self.workers:
            w.wait_for_log(b"ready.", 90)
        exclude = {w.pid for w in self.workers} if (self.args.profile and self.pyspy) else set()
        self.sampler = RssSampler([w.pid for w in self.workers], exclude=exclude)
        with self.sampler.phase() as idle:
            time.sleep(0.5)
        self.result["worker_rss_idle"] = idle
        log(
            f"web on :{self.port} (gunicorn, {self.args.web_workers} workers), "
            f"{self.args.workers} Celery worker(s) -P {self.args.pool} -c {self.args.concurrency}"
        )

    def teardown(self) -> None:
        for p in reversed(self.procs):
            try:
                # py-spy writes its profile on SIGINT; Celery shuts down warm on it too
                p.stop(signal.SIGINT if (self.args.profile and self.pyspy and p in self.workers) else signal.SIGTERM)
            except Exception as e:
                log(f"stopping {p.name}: {e}")
        if self.args.keep:
            log(
                f"--keep: left catalog {self.catalog_url}, redis {self.redis_url}, "
                f"PostgreSQL targets {self.pg_targets}, MariaDB targets {self.maria_targets}, "
                f"MariaDB users {self.maria_users}; logs in {self.logdir}"
            )
            return
        for name in self.pg_targets:
            self._quietly(pg_target.drop_postgres, self.args.pg_url, name)
            # an interrupt can land between the floor's CREATE DATABASE and its try block
            self._quietly(pg_admin, self.args.pg_url, f'DROP DATABASE IF EXISTS "{name}_floor_scratch" WITH (FORCE)')
        for prefix, databases in self.maria_targets:
            self._quietly(mariadb_target.drop_mariadb, self.args.mariadb_url, prefix, databases)
        for user in self.maria_users:
            self._quietly(
                mariadb_admin,
                self.args.mariadb_url,
                f"DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost'",
            )
        if self.catalog_created:
            self._quietly(pg_admin, self.args.pg_url, f'DROP DATABASE IF EXISTS "{self.catalog_db}" WITH (FORCE)')
        if hasattr(self, "redis"):
            self._quietly(self.redis.flushdb)
        if self.result.get("error") is None:
            shutil.rmtree(self.logdir, ignore_errors=True)
        else:
            log(f"logs kept in {self.logdir}")

    @staticmethod
    def _quietly(fn, *args) -> None:
        try:
            fn(*args)
        except Exception as e:
            log(f"teardown: {fn.__name__}{args}: {e}")

    def check_processes(self) -> None:
        for p in self.procs:
            if not p.alive():
                raise RuntimeError(f"{p.name} died:\n{p.tail()}")

    # ---- helpers

    def new_user(self, label: str) -> None:
        self.api.register(f"bench-{label}-{rand()}@example.com", "bench password " + rand())

    def add_pg_source(self, name: str, database: str) -> dict:
        u = urlparse(self.args.pg_url)
        return self.api.call(
            "POST",
            "/api/v1/sources",
            {
                "name": name,
                "engine": "postgresql",
                "host": u.hostname,
                "port": u.port or 5432,
                "database": database,
                "username": u.username or "postgres",
                "password": u.password or "bench",
                "schedule": None,
            },
            (201,),
        )

    def crawl(self, start) -> dict:
        """start() -> the crawl's status URL; wait for it, sampling the worker's RSS."""
        self.check_processes()
        with self.sampler.phase() as rss:
            client_started = time.time()
            url = start()
            job = self.api.wait_crawl(url, self.args.crawl_timeout)
        figures = crawl_figures(job, client_started)
        figures["timeline"] = job_timeline([w.log_path for w in self.workers], job)
        figures["commit_seconds"] = figures["timeline"].get("commit_seconds")
        figures["rss"] = rss
        # Insights (lint, inferred keys) run in their own task after a crawl that
        # changed something: wait for them, so the next crawl is timed alone.
        stats = job.get("stats") or {}
        if job["state"] == "succeeded" and any(stats.get(k) for k in ("added", "changed", "removed")):
            figures["insights_seconds"] = self.api.wait_insights(job["source_id"], job["id"], self.args.crawl_timeout)
        return figures

    def recrawl(self, source_id: int) -> dict:
        return self.crawl(lambda: self.api.call("POST", f"/api/v1/sources/{source_id}/crawls", expect=(202,))["url"])

    def count_target(self, database: str) -> dict:
        url = f"{self.args.pg_url.rsplit('/', 1)[0]}/{database}"
        [(tables, columns)] = pg_admin(
            url,
            """
            SELECT count(DISTINCT c.oid), count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
            """,
            fetch=True,
        )
        return {"tables": tables, "columns": columns, "seconds": None}

    def catalog_size(self) -> int:
        return pg_admin(self.args.pg_url, "SELECT pg_database_size(%s)", (self.catalog_db,), fetch=True)[0][0]

    def floor(self, database: str) -> dict:
        """bench.floor.measure_floor, --floor-repeat times; the fastest of each figure."""
        runs = [floor_mod.measure_floor(self.args.pg_url, database) for _ in range(max(1, self.args.floor_repeat))]
        best = dict(runs[0])
        for key in ("read_seconds", "read_copy_seconds"):
            best[key] = min(r[key] for r in runs)
            best[key + "_runs"] = [r[key] for r in runs]
        return best

    # ---- PostgreSQL sizes

    def run_pg(self, tables: int) -> None:
        entry: dict = {"tables": tables}
        self.result["postgres"].append(entry)
        reuse = self.args.reuse.get(tables)
        if reuse:
            database = reuse
            log(f"PostgreSQL {tables} tables: reusing {database} (left in place)")
            entry["target"] = {"database": database, "reused": True, **self.count_target(database)}
        else:
            database = f"mc_bench_pg_{tables}_{rand()}"
            log(f"PostgreSQL {tables} tables: building {database}")
            self.pg_targets.append(database)
            entry["target"] = {"database": database, **pg_target.build_postgres(self.args.pg_url, database, tables)}
            log(f"  built in {entry['target']['seconds']} s")
        log(f"  {entry['target']['columns']} columns; measuring the floor")
        entry["floor"] = self.floor(database)
        log(f"  floor: read {entry['floor']['read_seconds']} s, read+copy {entry['floor']['read_copy_seconds']} s")

        self.new_user(f"pg{tables}")
        size_before = self.catalog_size()
        source: dict = {}

        def register():
            source.update(self.add_pg_source(f"bench-pg-{tables}", database))
            return source["crawl"]["url"]

        entry["first_crawl"] = first = self.crawl(register)
        entry["source_id"] = source["id"]
        self.tokens[source["id"]] = self.api.token
        log(f"  first crawl: {describe(first)}")
        entry["unchanged_recrawl"] = same = self.recrawl(source["id"])
        log(f"  unchanged recrawl: {describe(same)}")
        mutated = pg_target.mutate_postgres(self.args.pg_url, database, percent=1)
        entry["changed_recrawl"] = changed = self.recrawl(source["id"])
        changed["mutated"] = mutated
        changed["changed_matches_mutated"] = bool(changed["stats"]) and changed["stats"].get("changed") == mutated
        log(f"  1% changed recrawl: {describe(changed)}, mutated {mutated}")
        size_after = self.catalog_size()
        entry["catalog"] = {"db_size_bytes": size_after, "growth_bytes": size_after - size_before}
        entry["worker_rss"] = merge_rss(first["rss"], same["rss"], changed["rss"])
        f = entry["floor"]
        entry["ratios"] = {  # end to end (queued -> committed); *_finished_at: the job's finished_at
            "first_crawl_to_read_copy": _ratio(first["commit_seconds"], f["read_copy_seconds"]),
            "unchanged_recrawl_to_read": _ratio(same["commit_seconds"], f["read_seconds"]),
            "changed_recrawl_to_read": _ratio(changed["commit_seconds"], f["read_seconds"]),
            "first_crawl_to_read_copy_finished_at": _ratio(first["seconds"], f["read_copy_seconds"]),
            "unchanged_recrawl_to_read_finished_at": _ratio(same["seconds"], f["read_seconds"]),
        }

    # ---- reads and search

    def bust_cache(self) -> None:
        keys = list(self.redis.scan_iter("metacrawl:read:*", count=1000))
        if keys:
            self.redis.delete(*keys)

    def timed(self, paths, n: int, bust: bool = False) -> dict:
        """GET each of `paths` (cycled) n times; latency figures in ms."""
        times, counts = [], []
        for i in range(n):
            path = paths[i % len(paths)]
            if bust:
                self.bust_cache()
            status, body, elapsed = self.api.request("GET", path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}: {body!r}"[:2000])
            times.append(elapsed * 1000)
            if isinstance(body, dict):
                counts.append(len(body.get("results", body.get("tables", body.get("columns", [])))))
        return {
            "n": n,
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(max(times), 2),
            "first_ms": round(times[0], 2),
            "results_min": min(counts, default=None),
            "results_max": max(counts, default=None),
        }

    def run_reads(self, source_id: int, tables: int) -> dict:
        limit = self.args.page_size
        reads: dict = {"source_id": source_id, "source_tables": tables, "small_sources": 0, "page_size": limit}
        if self.args.small_sources:
            database = f"mc_bench_pg_small_{rand()}"
            log(f"  reads: adding {SMALL_SOURCES} sources of {SMALL_TABLES} tables ({database})")
            self.pg_targets.append(database)
            pg_target.build_postgres(self.args.pg_url, database, SMALL_TABLES, seed=2)
            urls = [self.add_pg_source(f"bench-small-{k}", database)["crawl"]["url"] for k in range(SMALL_SOURCES)]
            for url in urls:
                job = self.api.wait_crawl(url, self.args.crawl_timeout)
                if job["state"] != CrawlState.SUCCEEDED:
                    raise RuntimeError(f"small source crawl failed: {job}")
            reads["small_sources"] = SMALL_SOURCES
            reads["small_source_tables"] = SMALL_TABLES
        reads["latency"] = self.read_latencies(source_id, tables, reads)
        # This catalog was just written by the crawls; the server may not have analyzed it yet (autovacuum
        # off, or not yet due). Measure again once the statistics of the tables reads use are fresh. Only
        # those: statistics taken of the (now nearly empty) crawl staging tables change later crawls.
        started = time.perf_counter()
        pg_admin(self.catalog_admin_url(), "ANALYZE " + ", ".join(ANALYZED))
        reads["analyze_seconds"] = round(time.perf_counter() - started, 3)
        log(f"  reads again after ANALYZE of {', '.join(ANALYZED)} ({reads['analyze_seconds']} s)")
        reads["latency_after_analyze"] = self.read_latencies(source_id, tables, reads)
        return reads

    def catalog_admin_url(self) -> str:
        return f"{self.args.pg_url.rsplit('/', 1)[0]}/{self.catalog_db}"

    def read_latencies(self, source_id: int, tables: int, reads: dict) -> dict:
        n, limit = self.args.reads, self.args.page_size
        log(f"  reads: {n} requests per figure")
        lat: dict = {}
        q = lambda **kw: urlencode(kw)  # noqa: E731
        lat["search_table"] = self.timed([f"/api/v1/search?{q(q=t, kind='table')}" for t in TABLE_TERMS], n)
        lat["search_column"] = self.timed([f"/api/v1/search?{q(q=t, kind='column')}" for t in COLUMN_TERMS], n)
        lat["search_customer_email"] = self.timed([f"/api/v1/search?{q(q='customer_email', kind='column')}"], n)
        lat["search_near_miss"] = self.timed([f"/api/v1/search?{q(q=t)}" for t in NEAR_TERMS], n)

        schema = f"/api/v1/sources/{source_id}/schema"
        first_page = f"{schema}?limit={limit}"
        lat["schema_first_page_cold"] = self.timed([first_page], n, bust=True)
        lat["schema_first_page_warm"] = self.timed([first_page], n)

        pages = math.ceil(tables / limit)
        target_page = max(1, pages // 2)
        page = self.api.call("GET", first_page)
        deep, follow_started = None, time.perf_counter()
        for _ in range(target_page):
            cursor = page["next_cursor"]
            if not cursor:
                break
            deep = f"{schema}?limit={limit}&cursor={quote(cursor, safe='')}"
            page = self.api.call("GET", deep)
        reads.setdefault(
            "deep_page",
            {"page": target_page + 1, "of": pages, "follow_seconds": round(time.perf_counter() - follow_started, 3)},
        )
        if deep is None:
            raise RuntimeError(f"no next_cursor on the first page of source {source_id} (limit {limit})")
        lat["schema_deep_page_cold"] = self.timed([deep], n, bust=True)
        lat["schema_deep_page_warm"] = self.timed([deep], n)

        details = [
            f"/api/v1/sources/{source_id}/tables/{quote(t['schema'], safe='')}/{quote(t['name'], safe='')}"
            for t in page["tables"][:10]
        ]
        lat["table_detail"] = self.timed(details, n)
        for name, figures in lat.items():
            log(f"    {name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
        return lat

    # ---- web UI pages (bench/ui.py)

    def run_ui(self) -> dict:
        from bench import ui

        largest = max(self.result["postgres"], key=lambda e: e["tables"])
        source_id, database = largest["source_id"], largest["target"]["database"]
        self.api.token = self.tokens[source_id]
        log(f"  ui: adding a hub referenced by {ui.HUB_SPOKES} tables to {database}, recrawling")
        ui.add_hub(pg_admin, f"{self.args.pg_url.rsplit('/', 1)[0]}/{database}")
        self.recrawl(source_id)
        return ui.measure(self, source_id, max(self.args.reads, 50), percentile, log)

    # ---- MariaDB sizes

    def run_mariadb(self, tables: int) -> None:
        entry: dict = {"tables": tables}
        self.result["mariadb"].append(entry)
        prefix, databases = f"mc_bench_my_{tables}_{rand()}", self.args.mariadb_databases
        names = mariadb_target.mariadb_database_names(prefix, databases)
        log(f"MariaDB {tables} tables: building {prefix}_0..{databases - 1}")
        self.maria_targets.append((prefix, databases))
        entry["target"] = {
            "databases": names,
            **mariadb_target.build_mariadb(self.args.mariadb_url, prefix, tables, databases=databases),
        }
        log(f"  built in {entry['target']['seconds']} s")
        user, password = f"mc_bench_{rand()}", "bench-" + rand(16)
        self.maria_users.append(user)
        mariadb_admin(
            self.args.mariadb_url,
            f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}';"
            f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}';"
            + "".join(
                f"GRANT SELECT, REFERENCES ON `{d}`.* TO '{user}'@'{h}';" for d in names for h in ("%", "localhost")
            ),
        )
        self.new_user(f"my{tables}")
        u = urlparse(self.args.mariadb_url)
        source: dict = {}

        def register():
            source.update(
                self.api.call(
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
            )
            return source["crawl"]["url"]

        entry["first_crawl"] = first = self.crawl(register)
        entry["source_id"] = source["id"]
        log(f"  first crawl: {describe(first)}")
        entry["unchanged_recrawl"] = same = self.recrawl(source["id"])
        log(f"  unchanged recrawl: {describe(same)}")
        entry["worker_rss"] = merge_rss(first["rss"], same["rss"])

    # ---- the whole run

    def machine(self) -> dict:
        info: dict = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
        try:
            with open("/proc/meminfo") as f:
                info["mem_total_gib"] = round(int(f.readline().split()[1]) / 1024**2, 1)
        except OSError:
            pass
        try:
            info["postgresql"] = pg_admin(self.args.pg_url, "SHOW server_version", fetch=True)[0][0]
        except Exception:
            pass
        try:
            info["postgresql_autovacuum"] = pg_admin(self.args.pg_url, "SHOW autovacuum", fetch=True)[0][0]
        except Exception:
            pass
        try:
            info["mariadb"] = mariadb_scalar(self.args.mariadb_url, "SELECT VERSION()")
        except Exception:
            pass
        try:
            info["redis"] = self.redis.info("server")["redis_version"]
        except Exception:
            pass
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            info["git"] = commit + ("+dirty" if dirty else "")
        except OSError:
            pass
        return info

    def run(self) -> int:
        code = 0
        try:
            self.setup()
            self.result["machine"] = self.machine()
            self.result["config"] = {
                "batch_size": self.args.batch_size,
                "workers": self.args.workers,
                "pool": self.args.pool,
                "concurrency": self.args.concurrency,
                "web_workers": self.args.web_workers,
                "catalog": "same PostgreSQL server as the targets",
            }
            for tables in sorted(self.args.sizes):
                self.run_pg(tables)
            for tables in sorted(self.args.mariadb_sizes):
                self.run_mariadb(tables)
            # Reads last: nothing measured after them is affected by the ANALYZE of their second pass.
            if self.args.reads > 0:
                largest = max(self.result["postgres"], key=lambda e: e["tables"])
                self.api.token = self.tokens[largest["source_id"]]
                self.result["reads"] = self.run_reads(largest["source_id"], largest["tables"])
            if self.args.ui:
                self.result["ui"] = self.run_ui()
        except KeyboardInterrupt:
            self.result["error"] = "interrupted"
            code = 130
        except Exception as e:
            self.result["error"] = f"{type(e).__name__}: {e}"
            traceback.print_exc()
            for p in self.procs:
                log(f"--- {p.name} log tail ---\n{p.tail(2000)}")
            code = 1
        finally:
            self.result.setdefault("error", None)
            self.result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            self.teardown()
        self.results_dir.mkdir(parents=True, exist_ok=True)
        out = self.results_dir / f"{self.stamp}.json"
        out.write_text(json.dumps(self.result, indent=2, default=str) + "\n")
        print(render(self.result))
        log(f"results written to {out}")
        return code


def describe(crawl: dict) -> str:
    t = crawl.get("timeline", {})
    return (
        f"{crawl['state']}, committed {crawl.get('commit_seconds')} s after queued (finished_at: "
        f"{crawl['seconds']} s; queue {t.get('queue_seconds')}, plan {t.get('plan_seconds')}, batches "
        f"{t.get('batches_seconds')}, finish {t.get('finish_seconds')}), stats {crawl['stats']}"
        + (f"; insights ready {crawl['insights_seconds']} s after" if "insights_seconds" in crawl else "")
    )


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


# ---------------------------------------------------------------- report


def _s(value, fmt="{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _phases(crawl: dict) -> str:
    t = crawl.get("timeline") or {}
    keys = ("queue_seconds", "plan_seconds", "batches_seconds", "finish_seconds")
    return " / ".join(_s(t.get(k)) for k in keys) if t else "-"


def _state(crawl: dict) -> str:
    stats = crawl.get("stats") or {}
    short = ", ".join(f"{k[0]}{v}" for k, v in stats.items() if v)
    return f"{crawl.get('state', '-')} ({short})" if stats else crawl.get("state", "-")


def _size(catalog: dict) -> str:
    if not catalog.get("db_size_bytes"):
        return "-"
    return f"{catalog['db_size_bytes'] / 2**20:.0f} (+{catalog['growth_bytes'] / 2**20:.0f})"


def render(result: dict) -> str:
    m = result.get("machine", {})
    lines = [
        f"# metacrawl bench {result['started_at']}",
        f"machine: {m.get('cpus')} cores, {m.get('mem_total_gib')} GiB, PostgreSQL {m.get('postgresql')}, "
        f"(autovacuum {m.get('postgresql_autovacuum')}), MariaDB {m.get('mariadb')}, Redis {m.get('redis')}, "
        f"Python {m.get('python')}, git {m.get('git')}",
        f"config: {result.get('config')}",
        "",
    ]
    if result["postgres"]:
        entries = result["postgres"]
        lines += [
            "## PostgreSQL crawls",
            "",
            "end to end = the job's queued_at -> the worker's \"crawl succeeded\" log line (after the "
            "finish transaction committed); finished_at = the job's finished_at - queued_at",
            "",
            "| figure | " + " | ".join(f"{e['tables']:,} tables" for e in entries) + " |",
            "| --- |" + " --- |" * len(entries),
        ]
        rows = [
            ("columns in the target", lambda e: _s(e.get("target", {}).get("columns"), "{:,}")),
            ("target build s (not part of any crawl)", lambda e: _s(e.get("target", {}).get("seconds"))),
            ("floor: bulk read s", lambda e: _s(e.get("floor", {}).get("read_seconds"))),
            ("floor: bulk read + COPY s", lambda e: _s(e.get("floor", {}).get("read_copy_seconds"))),
        ]
        for key, label, ratio, floor_name in (
            ("first_crawl", "first crawl", "first_crawl_to_read_copy", "read + COPY"),
            ("unchanged_recrawl", "unchanged recrawl", "unchanged_recrawl_to_read", "read"),
            ("changed_recrawl", "1% changed recrawl", "changed_recrawl_to_read", "read"),
        ):
            rows += [
                (f"{label}: end to end s", lambda e, k=key: _s(e.get(k, {}).get("commit_seconds"))),
                (f"{label}: finished_at s", lambda e, k=key: _s(e.get(k, {}).get("seconds"))),
                (f"{label}: queue / plan / batches / finish s", lambda e, k=key: _phases(e.get(k, {}))),
                (f"{label}: x floor {floor_name}", lambda e, r=ratio: _s(e.get("ratios", {}).get(r))),
                (f"{label}: state, stats", lambda e, k=key: _state(e.get(k, {}))),
            ]
        rows += [
            (
                "1% changed: changed / mutated",
                lambda e: (
                    f"{(e.get('changed_recrawl', {}).get('stats') or {}).get('changed', '-')}"
                    f" / {e.get('changed_recrawl', {}).get('mutated', '-')}"
                ),
            ),
            (
                "worker peak RSS, sum of processes MB",
                lambda e: _s(e.get("worker_rss", {}).get("peak_total_mb"), "{:.0f}"),
            ),
            (
                "worker peak RSS, largest process MB",
                lambda e: _s(e.get("worker_rss", {}).get("peak_process_mb"), "{:.0f}"),
            ),
            ("worker peak PSS, sum MB", lambda e: _s(e.get("worker_rss", {}).get("peak_pss_total_mb"), "{:.0f}")),
            ("catalog DB size MB (growth for this size)", lambda e: _size(e.get("catalog", {}))),
        ]
        for label, fn in rows:
            lines.append(f"| {label} | " + " | ".join(fn(e) for e in entries) + " |")
        lines.append("")
    reads = result.get("reads")
    if reads and reads.get("latency"):
        lines += [
            f"## Reads and search over HTTP (source of {reads['source_tables']:,} tables + "
            f"{reads['small_sources']} small sources; deep page = page {reads['deep_page']['page']} "
            f"of {reads['deep_page']['of']}, {reads['page_size']} tables a page)",
            "",
            "Left: as the crawls left the catalog. Right (A:): after ANALYZE " + ", ".join(ANALYZED) + ".",
            "",
            "| request | n | p50 ms | p95 ms | max ms | first ms | results | A: p50 ms | A: p95 ms "
            "| A: max ms | A: first ms |",
            "| " + " | ".join(["---"] * 11) + " |",
        ]
        after = reads.get("latency_after_analyze") or {}
        for name, x in reads["latency"].items():
            results = "-" if x["results_min"] is None else f"{x['results_min']}-{x['results_max']}"
            y = after.get(name)
            tail = (
                f"{y['p50_ms']:.1f} | {y['p95_ms']:.1f} | {y['max_ms']:.1f} | {y['first_ms']:.1f}"
                if y
                else "- | - | - | -"
            )
            lines.append(
                f"| {name} | {x['n']} | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} | {x['max_ms']:.1f} "
                f"| {x['first_ms']:.1f} | {results} | {tail} |"
            )
        lines.append("")
    if result["mariadb"]:
        entries = result["mariadb"]
        lines += [
            "## MariaDB crawls",
            "",
            "| figure | " + " | ".join(f"{e['tables']:,} tables" for e in entries) + " |",
            "| --- |" + " --- |" * len(entries),
        ]
        rows = [
            ("databases", lambda e: str(len(e.get("target", {}).get("databases", [])))),
            ("target build s", lambda e: _s(e.get("target", {}).get("seconds"))),
        ]
        for key, label in (("first_crawl", "first crawl"), ("unchanged_recrawl", "unchanged recrawl")):
            rows += [
                (f"{label}: end to end s", lambda e, k=key: _s(e.get(k, {}).get("commit_seconds"))),
                (f"{label}: finished_at s", lambda e, k=key: _s(e.get(k, {}).get("seconds"))),
                (f"{label}: queue / plan / batches / finish s", lambda e, k=key: _phases(e.get(k, {}))),
                (f"{label}: state, stats", lambda e, k=key: _state(e.get(k, {}))),
            ]
        rows += [
            (
                "worker peak RSS, sum of processes MB",
                lambda e: _s(e.get("worker_rss", {}).get("peak_total_mb"), "{:.0f}"),
            ),
            (
                "worker peak RSS, largest process MB",
                lambda e: _s(e.get("worker_rss", {}).get("peak_process_mb"), "{:.0f}"),
            ),
            ("worker peak PSS, sum MB", lambda e: _s(e.get("worker_rss", {}).get("peak_pss_total_mb"), "{:.0f}")),
        ]
        for label, fn in rows:
            lines.append(f"| {label} | " + " | ".join(fn(e) for e in entries) + " |")
        lines.append("")
    idle = result.get("worker_rss_idle")
    if idle:
        lines += [
            f"worker RSS at rest before any crawl: total {idle['peak_total_mb']:.0f} MB "
            f"(PSS {idle['peak_pss_total_mb']:.0f} MB), largest process {idle['peak_process_mb']:.0f} MB, "
            f"{idle['processes']} processes",
            "",
        ]
    if result.get("error"):
        lines.append(f"ERROR: {result['error']}")
    if result.get("ui"):
        from bench import ui

        lines += ui.render(result["ui"])
    return "\n".join(lines)


# ---------------------------------------------------------------- CLI


def _sizes(value: str) -> list[int]:
    return [int(v) for v in value.replace("_", "").split(",") if v.strip() and int(v) > 0]


def _reuse(value: str) -> dict[int, str]:
    pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
    return {int(size.replace("_", "")): name for size, name in pairs}


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=_sizes, default=[1000, 10000], help="PostgreSQL target sizes, e.g. 1000,10000")
    p.add_argument("--mariadb-sizes", type=_sizes, default=[], help="MariaDB target sizes (0 or empty: none)")
    p.add_argument("--mariadb-databases", type=int, default=5, help="databases a MariaDB target is spread over")
    p.add_argument("--workers", type=int, default=1, help="Celery worker processes")
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
        help=f"before the reads, add {SMALL_SOURCES} sources of {SMALL_TABLES} tables (default)",
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
    if not args.sizes:
        p.error("--sizes needs at least one PostgreSQL size")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # Bench.run tears down its processes and databases on the way out


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    return Bench(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
