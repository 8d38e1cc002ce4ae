"""A crawl's life against a real worker: cancelled by its owner, retried
through catalog deadlocks and dropped catalog connections, and sent again by
the reaper when its broker message was lost."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import redis

from .conftest import IDLE_REDIS_URL, REDIS_URL, ApiUser, Worker, wait_for_crawl
from .crawl_helpers import catalog_conn, catalog_rows, catalog_snapshot, hold_target_catalog_lock, pg_source, poll
from .targets import pg_database, pg_execute

LIFE_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/11"

STAGED = (
    "SELECT (SELECT count(*) FROM crawl_staged_tables WHERE job_id = %(j)s) + "
    "(SELECT count(*) FROM crawl_staged_columns WHERE job_id = %(j)s) + "
    "(SELECT count(*) FROM crawl_seen WHERE job_id = %(j)s)"
)


@pytest.fixture(scope="module")
def life_env(test_env, redis_client):
    r = redis.Redis.from_url(LIFE_REDIS_URL)
    r.flushdb()
    yield {
        **test_env,
        "METACRAWL_REDIS_URL": LIFE_REDIS_URL,
        "METACRAWL_STATEMENT_TIMEOUT": "120",  # a stalled target waits for the test, not a timeout
        "METACRAWL_CRAWL_LOST_AFTER": "60",
    }
    r.flushdb()


@pytest.fixture(scope="module")
def life_worker(life_env, tmp_path_factory):
    w = Worker(life_env, tmp_path_factory.mktemp("life") / "worker.log", concurrency=1).start()
    yield w
    w.stop()


@pytest.fixture
def owner(settings, life_env):
    from api import create_app

    return ApiUser(create_app(replace(settings, redis_url=LIFE_REDIS_URL)).test_client(), "owner@example.com")


# --- cancel ------------------------------------------------------------------


def test_cancel_a_queued_crawl(idle_app):
    alice = ApiUser(idle_app.test_client(), "canceller@example.com")
    bob = ApiUser(idle_app.test_client(), "bystander@example.com")
    source = pg_source(alice, "never_crawled")  # no worker listens: it stays queued
    url = source["crawl"]["url"]
    assert bob.post(f"{url}/cancel").status_code == 404
    assert alice.post("/api/v1/crawls/999999/cancel").status_code == 404
    r = alice.post(f"{url}/cancel")
    assert r.status_code == 200, r.get_json()
    job = r.get_json()
    assert job["state"] == "cancelled" and job["finished_at"] and job["error"] is None
    assert alice.get(url).get_json()["state"] == "cancelled"
    again = alice.post(f"{url}/cancel")
    assert again.status_code == 409
    assert again.get_json()["crawl"]["state"] == "cancelled" and "cancelled" in again.get_json()["message"]
    # the source's one active-crawl slot is free again
    assert alice.post(f"/api/v1/sources/{source['id']}/crawls").status_code == 202


def test_cancel_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    cancel = spec["paths"]["/api/v1/crawls/{job_id}/cancel"]["post"]
    assert {"200", "401", "404", "409"} <= set(cancel["responses"])
    assert "cancelled" in str(spec["components"]["schemas"]["Crawl"]["properties"]["state"])


def test_cancel_an_ended_crawl_is_409_with_its_state(owner, life_worker):
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE t (id int)")
        source = pg_source(owner, name)
        assert wait_for_crawl(owner, source["crawl"]["url"])["state"] == "succeeded"
    r = owner.post(f"{source['crawl']['url']}/cancel")
    assert r.status_code == 409
    assert r.get_json()["crawl"]["state"] == "succeeded" and "succeeded" in r.get_json()["message"]


def test_cancel_a_running_crawl_leaves_the_last_good_catalog(owner, life_worker, catalog_url):
    with pg_database() as name:
        pg_execute(name, "".join(f"CREATE TABLE t{i:02} (id int);" for i in range(10)))  # 2 batches of 7
        source = pg_source(owner, name)
        assert wait_for_crawl(owner, source["crawl"]["url"])["state"] == "succeeded"
        good = catalog_snapshot(catalog_url, source["id"])
        pg_execute(name, "CREATE TABLE t99 (id int); DROP TABLE t00; ALTER TABLE t01 ADD COLUMN v text")
        batches_ended = life_worker.log().count("crawl.batch[")
        release, locked = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_target_catalog_lock, args=(name, release, locked))
        holder.start()
        locked.wait(10)
        try:
            url = owner.post(f"/api/v1/sources/{source['id']}/crawls").get_json()["url"]
            poll("crawl planned", lambda: owner.get(url).get_json()["progress"]["batches_total"])
            r = owner.post(f"{url}/cancel")  # batch 1 is describing, batch 2 waits for the worker
            assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
        finally:
            release.set()
            holder.join()
        # both batches run out without staging anything (the worker logs each task's end)
        poll(
            "both batches ended",
            lambda: life_worker.log().count("crawl.batch[") >= batches_ended + 4,  # received + succeeded, twice
        )
        job = owner.get(url).get_json()
        assert job["state"] == "cancelled" and job["progress"]["batches_done"] == 0, job
        assert catalog_rows(catalog_url, STAGED, {"j": job["id"]})[0][0] == 0
        assert catalog_snapshot(catalog_url, source["id"]) == good
        body = owner.get(f"/api/v1/sources/{source['id']}").get_json()
        assert body["last_crawl"]["state"] == "cancelled"


# --- transient catalog errors ---------------------------------------------------


@pytest.mark.parametrize("how", ["deadlock", "terminated"])
def test_transient_catalog_error_mid_batch_is_retried(owner, life_worker, catalog_url, how):
    """The batch waits on a lock the test holds; the test then either closes
    a deadlock cycle (PostgreSQL aborts the worker's transaction: the test's
    own deadlock_timeout is longer) or terminates the worker's catalog
    connection. The batch is retried and the crawl succeeds."""
    holder = catalog_conn(catalog_url)
    holder.autocommit = False
    admin = catalog_conn(catalog_url)
    try:
        with holder.cursor() as cur:
            cur.execute("SET deadlock_timeout = '60s'")
            cur.execute("LOCK TABLE crawl_staged_tables IN ACCESS EXCLUSIVE MODE")
        with pg_database() as name:
            pg_execute(name, "CREATE TABLE a (id int); CREATE TABLE b (id int)")
            source = pg_source(owner, name)

            def waiting_batch():
                with admin.cursor() as cur:
                    cur.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query LIKE 'COPY crawl_staged_tables%%'"
                    )
                    return cur.fetchone()

            [pid] = poll("the batch waiting on the staging lock", waiting_batch)
            with holder.cursor() as cur:
                if how == "deadlock":
                    # waits on the batch's row lock; the batch waits on ours: PostgreSQL aborts the batch
                    cur.execute("SELECT 1 FROM crawl_batches WHERE job_id = %s FOR UPDATE", (source["crawl"]["id"],))
                else:
                    with admin.cursor() as kill:
                        kill.execute("SELECT pg_terminate_backend(%s)", (pid,))
            holder.rollback()
            job = wait_for_crawl(owner, source["crawl"]["url"])
    finally:
        holder.rollback()
        holder.close()
        admin.close()
    assert job["state"] == "succeeded", job
    assert job["stats"]["added"] == 2
    log = life_worker.log()
    assert "transient catalog error" in log
    assert ("DeadlockDetected" if how == "deadlock" else "retry 1 of") in log


# --- the reaper -------------------------------------------------------------------


def test_reaper_sends_a_lost_crawl_again(settings, life_worker, catalog_url):
    """The plan message is dropped from the broker; the reaper, not the test,
    sends the crawl again and it succeeds."""
    from celery import Celery

    from api import create_app

    idle = redis.Redis.from_url(IDLE_REDIS_URL)
    user = ApiUser(create_app(replace(settings, redis_url=IDLE_REDIS_URL)).test_client(), "lost@example.com")
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE a (id int)")
        source = pg_source(user, name)  # enqueued where no worker listens...
        idle.flushdb()  # ...and lost
        # queued longer than METACRAWL_QUEUED_LOST_AFTER (600 s), well inside the time limit
        catalog_rows(catalog_url, "UPDATE crawl_jobs SET queued_at = now() - interval '15 minutes' RETURNING id")
        Celery(broker=LIFE_REDIS_URL).send_task("crawl.reap")
        job = wait_for_crawl(user, source["crawl"]["url"])
    assert job["state"] == "succeeded", job
    assert catalog_rows(catalog_url, "SELECT requeues FROM crawl_jobs WHERE id = %s", (job["id"],)) == [(1,)]
    assert "crawl lost: sending it again" in life_worker.log()


def test_reaper_fails_a_crawl_lost_too_often(settings, life_worker, catalog_url):
    from celery import Celery

    from api import create_app

    user = ApiUser(create_app(replace(settings, redis_url=IDLE_REDIS_URL)).test_client(), "lost2@example.com")
    source = pg_source(user, "never_crawled")
    redis.Redis.from_url(IDLE_REDIS_URL).flushdb()
    catalog_rows(
        catalog_url,
        "UPDATE crawl_jobs SET requeues = 3, state = 'running', heartbeat_at = now() - interval '5 minutes', "
        "started_at = now() - interval '20 minutes' RETURNING id",
    )
    Celery(broker=LIFE_REDIS_URL).send_task("crawl.reap")
    job = wait_for_crawl(user, source["crawl"]["url"])
    assert job["state"] == "failed" and job["error"]["type"] == "lost", job
    assert "sent again 3 times" in job["error"]["message"]
