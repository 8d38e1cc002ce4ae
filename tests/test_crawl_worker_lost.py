"""A worker killed with SIGKILL mid-crawl: the crawl still ends."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import replace

import pytest
import redis

from .conftest import REDIS_URL, ApiUser, Worker, wait_for_crawl
from .crawl_helpers import catalog_rows, hold_target_catalog_lock, pg_source, wait_for_insights
from .targets import pg_database, pg_execute

LOST_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/12"
TABLES = 30


@pytest.fixture
def lost_env(test_env, redis_client):
    r = redis.Redis.from_url(LOST_REDIS_URL)
    r.flushdb()
    yield {
        **test_env,
        "METACRAWL_REDIS_URL": LOST_REDIS_URL,
        "METACRAWL_STATEMENT_TIMEOUT": "120",
        "METACRAWL_VISIBILITY_TIMEOUT": "4",
        "METACRAWL_BATCH_SIZE": "5",
    }
    r.flushdb()


@pytest.fixture
def lost_user(settings, lost_env):
    from api import create_app

    app = create_app(replace(settings, redis_url=LOST_REDIS_URL))
    return ApiUser(app.test_client(), "ivy@example.com")


@pytest.fixture
def stalled_target():
    """A target whose describe queries stall until `release` is set."""
    with pg_database() as name:
        pg_execute(name, "".join(f"CREATE TABLE t{i:03} (id int PRIMARY KEY, v text);" for i in range(TABLES)))
        release, locked = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_target_catalog_lock, args=(name, release, locked))
        holder.start()
        locked.wait(10)
        yield name, release
        release.set()
        holder.join()


def _wait_running(user, url):
    deadline = time.time() + 30
    while time.time() < deadline:
        job = user.get(url).get_json()
        if job["state"] == "running" and job["progress"]["batches_total"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"crawl never started running: {job}")


def _assert_complete(job):
    assert job["state"] == "succeeded", job
    assert job["progress"]["tables_done"] == job["progress"]["tables_total"] == TABLES
    assert job["stats"] == {"added": TABLES, "changed": 0, "removed": 0, "unchanged": 0, "with_warnings": 0}


def test_pool_process_killed_mid_batch(lost_env, lost_user, stalled_target, tmp_path, catalog_url):
    name, release = stalled_target
    w = Worker(lost_env, tmp_path / "w.log", concurrency=1).start()
    try:
        source = pg_source(lost_user, name)
        _wait_running(lost_user, source["crawl"]["url"])
        time.sleep(0.5)
        [child] = w.children()
        import os

        os.kill(child, signal.SIGKILL)  # the batch it was running is rejected and redelivered
        time.sleep(1)
        release.set()
        job = wait_for_crawl(lost_user, source["crawl"]["url"], timeout=60)
    finally:
        w.stop()
    _assert_complete(job)
    assert "WorkerLostError" in w.log() or "SIGKILL" in w.log()
    assert catalog_rows(catalog_url, "SELECT count(*) FROM catalog_tables")[0][0] == TABLES


def test_whole_worker_killed_then_another_takes_over(lost_env, lost_user, stalled_target, tmp_path):
    name, release = stalled_target
    first = Worker(lost_env, tmp_path / "first.log", concurrency=1).start()
    try:
        source = pg_source(lost_user, name)
        _wait_running(lost_user, source["crawl"]["url"])
        time.sleep(0.5)
    finally:
        first.stop(signal.SIGKILL)  # main process and pool child, no chance to requeue anything
    release.set()
    second = Worker(lost_env, tmp_path / "second.log", concurrency=2).start()
    try:
        # the unacknowledged batch comes back after the visibility timeout (4 s here)
        job = wait_for_crawl(lost_user, source["crawl"]["url"], timeout=90)
    finally:
        second.stop()
    _assert_complete(job)


def test_reaper_fails_a_crawl_whose_worker_vanished(lost_env, lost_user, tmp_path, catalog_url):
    """Past the time limit a running crawl is failed with a reason, never left running."""
    source = pg_source(lost_user, "never_crawled")
    redis.Redis.from_url(LOST_REDIS_URL).flushdb()  # its worker "vanished": the plan message is gone too
    catalog_rows(
        catalog_url, "UPDATE crawl_jobs SET state = 'running', started_at = now() - interval '2 hours' RETURNING id"
    )
    w = Worker({**lost_env, "METACRAWL_CRAWL_TIME_LIMIT": "3600"}, tmp_path / "reaper.log").start()
    try:
        from celery import Celery

        client = Celery(broker=LOST_REDIS_URL)
        client.send_task("crawl.reap")
        job = wait_for_crawl(lost_user, source["crawl"]["url"], timeout=30)
    finally:
        w.stop()
    assert job["state"] == "failed" and job["error"]["type"] == "time_limit_exceeded"
    assert "3600 s" in job["error"]["message"]


def test_insights_as_the_first_task_of_a_worker_process(lost_env, lost_user, tmp_path, catalog_url):
    """insights.refresh reaches the catalog in a pool process that has run no crawl task before."""
    from celery import Celery

    with pg_database() as name:
        pg_execute(name, "CREATE TABLE t (id int)")  # no primary key: one finding
        w = Worker(lost_env, tmp_path / "crawl.log", concurrency=1).start()
        try:
            source = pg_source(lost_user, name)
            job = wait_for_crawl(lost_user, source["crawl"]["url"], timeout=60)
            wait_for_insights(lost_user, source["id"], job["id"])
        finally:
            w.stop()
        catalog_rows(catalog_url, "DELETE FROM catalog_insight_runs RETURNING source_id")
        fresh = Worker(lost_env, tmp_path / "insights.log", concurrency=1).start()
        try:
            Celery(broker=LOST_REDIS_URL).send_task("insights.refresh", args=[job["id"], False])
            body = wait_for_insights(lost_user, source["id"], job["id"])
        finally:
            fresh.stop()
    assert body["counts"].get("no_primary_key") == 1
    assert "insights not refreshed" not in fresh.log()
