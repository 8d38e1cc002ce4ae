"""Fixtures against the real services: a fresh catalog database migrated by
Alembic, a Redis database of its own, the Flask app, and (for tests that
cross a process) a real Celery worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from alembic import command
from alembic.config import Config
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from catalog import db
from catalog.jobs import ENDED_STATES
from catalog.models import Base
from catalog.settings import from_env

from .openapi_check import CheckedClient
from .targets import create_pg_database, drop_pg_database, random_name

# A property test in the suite is a gate, so its examples are the same on
# every run (a failure reproduces; a random draw never fails CI alone).
# HYPOTHESIS_PROFILE=explore draws new examples, to look for new failures.
settings.register_profile("gate", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("METACRAWL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The suite's own redis-server (started by `redis_server` below), so no other
# Celery worker or program on this machine can take our tasks or lose our keys.
REDIS_PORT = free_port()
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/15"
# Every catalog table, from the one place they are declared; dependents first,
# so a TRUNCATE locks jobs before sources, as a worker ending a crawl does.
CATALOG_TABLES = tuple(t.name for t in reversed(Base.metadata.sorted_tables))


@pytest.fixture(scope="session", autouse=True)
def responses_match_the_openapi_document():
    """Every Flask test client of the suite validates each /api/v1 answer
    against the app's OpenAPI document (tests/openapi_check.py)."""
    from flask import Flask

    previous = Flask.test_client_class
    Flask.test_client_class = CheckedClient
    yield
    Flask.test_client_class = previous


def migrate(catalog_url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["catalog_url"] = catalog_url
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")


@pytest.fixture(scope="session")
def catalog_url():
    name = random_name("mc_catalog_test")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    migrate(url)
    yield url
    if db._engine is not None:
        db._engine.dispose()
    drop_pg_database(name)


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory) -> Path:
    """The directory whose database files (SQLite, DuckDB) sources may name."""
    return tmp_path_factory.mktemp("database_files")


@pytest.fixture(scope="session")
def test_env(catalog_url, files_dir):
    """Environment variables that point every process at the test services."""
    return {
        "METACRAWL_SQLITE_DIRS": str(files_dir),
        "METACRAWL_ENV": "test",
        "METACRAWL_CATALOG_URL": catalog_url,
        "METACRAWL_REDIS_URL": REDIS_URL,
        "METACRAWL_BATCH_SIZE": "7",
        "METACRAWL_LOG_JSON": "1",
        # short enough for the statement-timeout test; lock waits outlast it on purpose
        "METACRAWL_STATEMENT_TIMEOUT": "3",
        "METACRAWL_LOCK_TIMEOUT": "30",
        "METACRAWL_SCHEDULE_JITTER_SECONDS": "0",
    }


@pytest.fixture(scope="session")
def settings(test_env):
    return from_env(test_env)


class RedisServer:
    """A redis-server of the tests' own on `port`, in a temporary directory,
    keeping nothing on disk: a restart starts it empty, as a crash would."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir = port, workdir
        self.url = f"redis://127.0.0.1:{port}/15"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port)
        deadline = time.time() + 20
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.proc.kill()
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session", autouse=True)
def redis_server(tmp_path_factory):
    """A private redis-server for the session, in a temporary directory, gone at the end."""
    server = RedisServer(REDIS_PORT, tmp_path_factory.mktemp("redis")).start()
    yield REDIS_URL
    server.stop()


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server for one test alone, which it may stop, restart or flush."""
    server = RedisServer(free_port(), tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_client(redis_server):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def app(settings, redis_client):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    for key in redis_client.scan_iter("metacrawl:login:*"):  # failed-login counts are per test
        redis_client.delete(key)
    yield app
    db.Session.remove()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "shared_catalog: the module's tests share one catalog state (emptied by the module itself)"
    )


def truncate_catalog(catalog_url: str) -> None:
    """Empty every catalog table. A worker may still be ending an earlier
    test's crawl; should the two deadlock, the TRUNCATE tries again."""
    db.Session.remove()
    engine = create_engine(catalog_url, poolclass=NullPool)
    try:
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {', '.join(CATALOG_TABLES)} RESTART IDENTITY CASCADE"))
                return
            except OperationalError as e:
                if getattr(e.orig, "pgcode", None) != "40P01" or attempt == 4:
                    raise
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def clean_catalog(request):
    """Every test that touches the catalog starts from empty tables, except in
    modules marked shared_catalog (read-only tests over one crawl)."""
    yield
    if "catalog_url" in request.fixturenames and not request.node.get_closest_marker("shared_catalog"):
        truncate_catalog(request.getfixturevalue("catalog_url"))


IDLE_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"


@pytest.fixture
def idle_app(settings, redis_client):
    """The app with a broker database no worker listens to: crawls stay queued."""
    from dataclasses import replace

    from api import create_app

    idle = redis.Redis.from_url(IDLE_REDIS_URL)
    idle.flushdb()
    app = create_app(replace(settings, redis_url=IDLE_REDIS_URL))
    yield app
    idle.flushdb()
    db.Session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


class ApiUser:
    """A registered, logged-in user driving the API through the test client."""

    def __init__(self, client, email: str, password: str = "correct horse battery"):
        self.client, self.email, self.password = client, email, password
        r = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert r.status_code == 202, r.get_json()
        tokens = client.post("/api/v1/auth/login", json={"email": email, "password": password}).get_json()
        self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]
        self.id = self.get("/api/v1/auth/me").get_json()["id"]

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.access}"}

    def get(self, url, **kw):
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, url, **kw):
        return self.client.patch(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def alice(client):
    return ApiUser(client, "alice@example.com")


@pytest.fixture
def bob(client):
    return ApiUser(client, "bob@example.com")


@pytest.fixture
def carol(client):
    return ApiUser(client, "carol@example.com")


class Worker:
    """A real `celery -A worker.app worker` process on the test services;
    with `respawn`, under scripts/respawn as the Procfile runs it."""

    def __init__(
        self,
        env: dict,
        log_path: Path,
        concurrency: int = 2,
        name: str | None = None,
        extra_args: tuple = (),
        respawn: bool = False,
    ):
        self.env, self.log_path, self.extra_args = env, log_path, tuple(extra_args)
        self.respawn = respawn
        self.name = name or random_name("w")
        self.concurrency = concurrency
        self.proc = None

    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                *([str(ROOT / "scripts" / "respawn")] if self.respawn else []),
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app",
                "worker",
                "-P",
                "prefork",
                "-c",
                str(self.concurrency),
                "-n",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
                *self.extra_args,
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if b"ready." in self.log_path.read_bytes():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("worker exited:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)
        raise RuntimeError("worker did not start:\n" + self.log_path.read_text()[-3000:])

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log_file.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def serve_app(test_env: dict, tmp_path_factory, request) -> str:
    """gunicorn serving the app on a free port, in its own process group, stopped even on failure."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("web") / "gunicorn.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
            "api:create_app()",
        ],
        cwd=ROOT,
        env={**os.environ, **test_env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def stop():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()

    request.addfinalizer(stop)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:]) from None
            time.sleep(0.1)
    return base


@pytest.fixture(scope="session")
def worker(test_env, redis_client, tmp_path_factory):
    w = Worker(test_env, tmp_path_factory.mktemp("worker") / "worker.log").start()
    yield w
    w.stop()


def wait_for_crawl(user: ApiUser, url: str, timeout: float = 90) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = user.get(url).get_json()
        if body["state"] in ENDED_STATES:
            return body
        time.sleep(0.2)
    raise AssertionError(f"crawl {url} did not end in {timeout} s: {body}")
