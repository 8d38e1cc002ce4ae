"""Servers that take the login and then never answer: every wait is bounded
on the client side, the stalled crawl is reaped and sent again, cancel and
delete answer at once, the connection test answers, and another user's
crawl runs meanwhile."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import redis

from .conftest import REDIS_URL, ApiUser, Worker, wait_for_crawl
from .crawl_helpers import catalog_rows, pg_source, poll, source_body
from .fake_servers import FakeMySQL, StalledPostgres
from .targets import pg_database, pg_execute

STALL_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/11"
READ_TIMEOUT = 3  # seconds: the client-side bound of one wait on a target
LOST_AFTER = 3  # seconds without a heartbeat before the reaper sends a crawl again


@pytest.fixture
def stall_env(test_env, redis_client):
    r = redis.Redis.from_url(STALL_REDIS_URL)
    r.flushdb()
    yield {
        **test_env,
        "METACRAWL_REDIS_URL": STALL_REDIS_URL,
        "METACRAWL_TARGET_READ_TIMEOUT": str(READ_TIMEOUT),
        "METACRAWL_CONNECT_TIMEOUT": "3",
        "METACRAWL_HEARTBEAT_SECONDS": "1",
        "METACRAWL_CRAWL_LOST_AFTER": str(LOST_AFTER),
        "METACRAWL_MAX_REQUEUES": "1",
        "METACRAWL_OWNER_CONCURRENCY": "1",
    }
    r.flushdb()


@pytest.fixture
def stall_app(settings):
    from api import create_app

    return create_app(replace(settings, redis_url=STALL_REDIS_URL, connect_timeout=3))


@pytest.fixture
def stall_worker(stall_env, tmp_path):
    """Two worker slots, and a reaper sent every second (as beat would)."""
    from celery import Celery

    w = Worker(stall_env, tmp_path / "worker.log", concurrency=2).start()
    stop = threading.Event()
    client = Celery(broker=STALL_REDIS_URL)

    def reap():
        while not stop.wait(1):
            client.send_task("crawl.reap")

    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    yield w
    stop.set()
    reaper.join(5)
    w.stop()


@pytest.fixture
def stalled_servers():
    with StalledPostgres() as pg, FakeMySQL("stall") as maria:
        yield pg, maria


def _stalled_sources(user, pg, maria) -> list[dict]:
    bodies = [
        source_body(name="stalled pg", host="127.0.0.1", port=pg.port, database="x"),
        source_body(name="stalled maria", engine="mariadb", host="127.0.0.1", port=maria.port, database="x"),
    ]
    sources = []
    for body in bodies:
        r = user.post("/api/v1/sources", json=body)
        assert r.status_code == 201, r.get_json()
        sources.append(r.get_json())
    return sources


def _requeues(catalog_url, job_id) -> int:
    return catalog_rows(catalog_url, "SELECT requeues FROM crawl_jobs WHERE id = %s", (job_id,))[0][0]


CONNECT_TIMEOUT = 3  # stall_app's: the connection test bounds every wait by it
# (engine, server): where the connection test's target goes silent
HOSTILE_SERVERS = {
    "postgresql after login": ("postgresql", lambda: StalledPostgres()),
    "postgresql at ROLLBACK": ("postgresql", lambda: StalledPostgres(stall_on="ROLLBACK")),
    "mariadb after login": ("mariadb", lambda: FakeMySQL("stall")),
    "mariadb trickling its greeting": ("mariadb", lambda: FakeMySQL("trickle")),
    "sqlalchemy mysql after login": ("sqlalchemy+mysql", lambda: FakeMySQL("stall")),
    "sqlalchemy mysql trickling": ("sqlalchemy+mysql", lambda: FakeMySQL("trickle")),
    "sqlalchemy postgresql after login": ("sqlalchemy+postgresql", lambda: StalledPostgres()),
}


def _probe_body(engine: str, port: int) -> dict:
    if engine == "sqlalchemy+mysql":
        return {"engine": "sqlalchemy", "url": f"mysql+pymysql://x@127.0.0.1:{port}/x", "password": "p"}
    if engine == "sqlalchemy+postgresql":
        return {"engine": "sqlalchemy", "url": f"postgresql+psycopg2://x@127.0.0.1:{port}/x", "password": "p"}
    return {k: v for k, v in source_body(engine=engine, host="127.0.0.1", port=port).items() if k != "name"}


@pytest.mark.parametrize("case", list(HOSTILE_SERVERS))
def test_connection_test_of_a_stalled_server_answers_in_time(stall_app, case):
    """Within the web server's request timeout (30 s) whatever the server
    does: a login and each later wait are bounded, a login that trickles as a
    whole (the driver's timeouts bound each read only)."""
    engine, make = HOSTILE_SERVERS[case]
    user = ApiUser(stall_app.test_client(), "tess@example.com")
    with make() as server:
        started = time.monotonic()
        r = user.post("/api/v1/sources/test-connection", json=_probe_body(engine, server.port))
        elapsed = time.monotonic() - started
    assert r.status_code == 200, r.get_data(as_text=True)
    result = r.get_json()
    assert result["ok"] is False
    assert result["error"]["type"] in ("target_stalled", "connection_failed"), result
    # the login (connect timeout, plus 1 s past PyMySQL's own) and one wait
    # after it (the connection test's read bound is the connect timeout)
    assert elapsed < 2 * CONNECT_TIMEOUT + 1 + 2, elapsed


def test_stalled_crawls_are_reaped_and_another_users_crawl_runs(stall_app, stall_worker, stalled_servers, catalog_url):
    pg, maria = stalled_servers
    client = stall_app.test_client()
    attacker, other = ApiUser(client, "mallory@example.com"), ApiUser(client, "olga@example.com")
    stalled = _stalled_sources(attacker, pg, maria)
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE lines (id int PRIMARY KEY)")
        # both worker slots would be the attacker's without the owner cap (1 here)
        mine = pg_source(other, name)
        done = wait_for_crawl(other, mine["crawl"]["url"], timeout=60)
        assert done["state"] == "succeeded", done
        assert done["progress"]["tables_done"] == 2
    assert (
        pg.logins >= 1
        and maria.logins >= 1
        or any(attacker.get(s["crawl"]["url"]).get_json()["state"] == "running" for s in stalled)
    )
    for source in stalled:
        job_id = source["crawl"]["id"]
        # reaped and sent again: the stall ends the task, the silence the reaper sees does the rest
        poll(f"crawl {job_id} sent again", lambda j=job_id: _requeues(catalog_url, j) >= 1, 60)
    for source in stalled:
        job = wait_for_crawl(attacker, source["crawl"]["url"], timeout=90)
        assert job["state"] == "failed", job
        assert job["error"]["type"] == "target_stalled"
        assert f"no reply within {READ_TIMEOUT} s" in job["error"]["message"]
        assert "sent again 1 times" in job["error"]["message"]


def test_cancel_and_delete_answer_at_once_while_a_target_stalls(stall_app, stall_worker, stalled_servers):
    pg, maria = stalled_servers
    user = ApiUser(stall_app.test_client(), "carl@example.com")
    for server, source in zip((pg, maria), _stalled_sources(user, pg, maria), strict=True):
        # the plan has logged in and waits on its first query
        poll("the crawl never reached the stalled server", lambda s=server: s.logins >= 1, 30)
        started = time.monotonic()
        r = user.post(f"/api/v1/crawls/{source['crawl']['id']}/cancel")
        assert time.monotonic() - started < 2
        assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
        crawl = user.post(f"/api/v1/sources/{source['id']}/crawls")
        assert crawl.status_code == 202
        poll("the second crawl never reached the stalled server", lambda s=server: s.logins >= 2, 30)
        started = time.monotonic()
        r = user.delete(f"/api/v1/sources/{source['id']}")
        assert time.monotonic() - started < 2
        assert r.status_code == 204
        assert user.get(f"/api/v1/sources/{source['id']}").status_code == 404
