"""Faults mid-crawl, against real processes: the whole worker killed, the
Celery main process dying on its own, the catalog PostgreSQL restarted,
Redis restarted. Workers run under scripts/respawn, as the Procfile runs
them. Each crawl ends (succeeded or failed with a typed reason) within the
documented bound, the last good catalog is intact, and the next crawl
succeeds. The time from the fault to a
usable source (crawl ended, a new crawl accepted) is printed, not asserted
beyond the bound."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from catalog.jobs import ENDED_STATES

from .conftest import ApiUser, Worker, free_port, migrate
from .crawl_helpers import catalog_snapshot, pg_source
from .targets import pg_database, pg_execute

TABLES = 120
# The fault settings the workers run with here; the bound follows from them:
# a crawl is taken for lost CRAWL_LOST_AFTER s after its last heartbeat and the
# reaper looks every REAP_INTERVAL s, then the rest of the crawl runs again.
FAULT_ENV = {
    "METACRAWL_HEARTBEAT_SECONDS": "1",
    "METACRAWL_CRAWL_LOST_AFTER": "5",
    "METACRAWL_REAP_INTERVAL": "2",
    "METACRAWL_BATCH_SIZE": "1",
    "METACRAWL_STATEMENT_TIMEOUT": "30",
}
BOUND = 5 + 2 + 60  # lost after + reap interval + a generous re-run of the crawl and a worker's start


class RedisServer:
    """A redis-server of this test's own, which the test may stop and start again on the same port."""

    def __init__(self, workdir: Path):
        self.workdir, self.port = workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class ThrowawayPostgres:
    """A PostgreSQL cluster of this test's own (initdb + pg_ctl in a temporary
    directory, on a free port), so the test may crash and restart it."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            pytest.skip("no /usr/lib/postgresql/*/bin/pg_ctl to start a throwaway catalog server")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="mc_pg_"))
        self.data, self.port = self.dir / "data", free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/metacrawl"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / args[0]), *args[1:]]), check=True, capture_output=True)

    def init(self) -> ThrowawayPostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "metacrawl")
        return self

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, unlogged tables emptied on the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def fault_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def throwaway_catalog():
    pg = ThrowawayPostgres()
    try:
        pg.init()
        migrate(pg.url)
        yield pg
    finally:
        pg.remove()


def _crawl_target(name: str, tables: int, extra_column: bool = False) -> None:
    col = ", added text" if extra_column else ""
    pg_execute(
        name, "".join(f"CREATE TABLE IF NOT EXISTS t{i:04} (id int PRIMARY KEY, v text{col});" for i in range(tables))
    )


def _wait(user: ApiUser, url: str, timeout: float, until) -> dict:
    deadline = time.time() + timeout
    while True:
        body = user.get(url).get_json()
        if until(body) or time.time() > deadline:
            return body
        time.sleep(0.05)


def _usable(user: ApiUser, source_id: int, crawl_url: str, t0: float) -> tuple[dict, float]:
    """Wait for the crawl to end; the source is usable once a new crawl is
    accepted. Returns the ended crawl and the seconds from the fault."""
    job = _wait(user, crawl_url, BOUND, lambda b: b["state"] in ENDED_STATES)
    assert job["state"] in ENDED_STATES, f"crawl still {job['state']} {BOUND} s after the fault: {job}"
    elapsed = time.time() - t0
    if job["state"] == "failed":
        assert job["error"]["type"] and job["error"]["message"], job
    return job, elapsed


def _report(capsys, fault: str, job: dict, elapsed: float) -> None:
    with capsys.disabled():
        print(f"\n[fault] {fault}: crawl {job['state']} {elapsed:.1f} s after the fault (bound {BOUND} s)")


def _scenario(tmp_path, capsys, env, user, fault: str, inject, worker_args=()):
    """A good first crawl, a second crawl hit by `inject` mid-way, then a third."""
    beat = ("-B", "-s", str(tmp_path / "beat-schedule"))
    with pg_database() as target:
        _crawl_target(target, TABLES)
        # as the Procfile runs it: under scripts/respawn
        worker = Worker(env, tmp_path / "w1.log", concurrency=2, extra_args=beat, respawn=True).start()
        workers = [worker]
        try:
            source = pg_source(user, target)
            first = _wait(user, source["crawl"]["url"], 120, lambda b: b["state"] in ENDED_STATES)
            assert first["state"] == "succeeded", first
            catalog_url = env["METACRAWL_CATALOG_URL"]
            before = catalog_snapshot(catalog_url, source["id"])
            assert len(before) == TABLES
            # the second crawl sees every table changed (a column more), so it stages all of them
            pg_execute(target, "".join(f"ALTER TABLE t{i:04} ADD COLUMN added text;" for i in range(TABLES)))
            r = user.post(f"/api/v1/sources/{source['id']}/crawls")
            assert r.status_code == 202, r.get_json()
            url = r.get_json()["url"]
            mid = _wait(user, url, 60, lambda b: (b["progress"]["tables_done"] or 0) >= 10)
            assert mid["state"] == "running" and mid["progress"]["tables_done"] < TABLES, mid
            t0 = time.time()
            replacement = inject(workers, beat)
            if replacement is not None:
                workers.append(replacement)
            job, elapsed = _usable(user, source["id"], url, t0)
            _report(capsys, fault, job, elapsed)
            after = catalog_snapshot(catalog_url, source["id"])
            if job["state"] == "failed":
                assert after == before  # the last good catalog, untouched
            else:
                assert job["progress"]["tables_done"] == TABLES, job
                assert job["stats"]["changed"] == TABLES and job["stats"]["removed"] == 0, job
                assert [r[:3] for r in after] == [r[:3] for r in before]
                assert all(r[7] is None and r[8] == 3 for r in after), "every table live with its new column"
            # the source is usable: the next crawl is accepted and succeeds
            r = user.post(f"/api/v1/sources/{source['id']}/crawls")
            assert r.status_code == 202, r.get_json()
            third = _wait(user, r.get_json()["url"], 120, lambda b: b["state"] in ENDED_STATES)
            assert third["state"] == "succeeded", third
            assert third["stats"]["unchanged"] == TABLES, third
        finally:
            for w in workers:
                w.stop(signal.SIGKILL)


def _user(settings, catalog_url: str, redis_url: str, email: str) -> ApiUser:
    from api import create_app

    app = create_app(replace(settings, catalog_url=catalog_url, redis_url=redis_url))
    return ApiUser(app.test_client(), email)


def test_whole_worker_killed_mid_crawl(settings, test_env, catalog_url, fault_redis, tmp_path, capsys):
    env = {**test_env, **FAULT_ENV, "METACRAWL_REDIS_URL": fault_redis.url}
    user = _user(settings, catalog_url, fault_redis.url, "kill@example.com")

    def kill_whole_worker(workers, beat):
        workers[0].stop(signal.SIGKILL)  # the process group: main process, pool children, embedded beat
        return Worker(env, tmp_path / "w2.log", concurrency=2, extra_args=beat, respawn=True).start()

    _scenario(tmp_path, capsys, env, user, "SIGKILL of the whole worker", kill_whole_worker)


def test_worker_main_process_died_mid_crawl(settings, test_env, catalog_url, fault_redis, tmp_path, capsys):
    """The Celery main process dies on its own, as it does after an error it
    cannot recover from: scripts/respawn starts it again and the crawl ends."""
    env = {**test_env, **FAULT_ENV, "METACRAWL_REDIS_URL": fault_redis.url}
    user = _user(settings, catalog_url, fault_redis.url, "died@example.com")

    def kill_celery_main(workers, beat):
        (main,) = workers[0].children()  # respawn's only child: the Celery main process
        ready = workers[0].log().count("ready.")
        os.kill(main, signal.SIGKILL)
        deadline = time.time() + 30
        while workers[0].log().count("ready.") == ready and time.time() < deadline:
            time.sleep(0.1)
        assert workers[0].log().count("ready.") > ready, "respawn did not start the worker again"
        return None

    _scenario(tmp_path, capsys, env, user, "SIGKILL of the Celery main process", kill_celery_main)


def test_catalog_postgres_restarted_mid_crawl(settings, test_env, throwaway_catalog, fault_redis, tmp_path, capsys):
    env = {
        **test_env,
        **FAULT_ENV,
        "METACRAWL_REDIS_URL": fault_redis.url,
        "METACRAWL_CATALOG_URL": throwaway_catalog.url,
    }
    user = _user(settings, throwaway_catalog.url, fault_redis.url, "restart@example.com")

    def restart_catalog(workers, beat):
        throwaway_catalog.crash()
        time.sleep(2.5)
        throwaway_catalog.start()
        return None

    _scenario(tmp_path, capsys, env, user, "catalog PostgreSQL crashed and restarted (2.5 s)", restart_catalog)


def test_redis_restarted_mid_crawl(settings, test_env, catalog_url, fault_redis, tmp_path, capsys):
    env = {**test_env, **FAULT_ENV, "METACRAWL_REDIS_URL": fault_redis.url}
    user = _user(settings, catalog_url, fault_redis.url, "redis@example.com")

    def restart_redis(workers, beat):
        fault_redis.kill()  # no persistence: every queued and unacknowledged task is gone
        time.sleep(2.5)
        fault_redis.start()
        return None

    _scenario(tmp_path, capsys, env, user, "Redis killed and restarted (2.5 s)", restart_redis)
