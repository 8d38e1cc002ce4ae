"""Flower, started for real, lists crawl tasks by name with ids only."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
import redis

from .conftest import REDIS_URL, ROOT, ApiUser, Worker, free_port, wait_for_crawl
from .crawl_helpers import SECRET, pg_source
from .targets import pg_database, pg_execute


def _get(url: str, auth: str | None):
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, r.read().decode()


FLOWER_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/10"


@pytest.fixture
def flower_env(test_env):
    redis.Redis.from_url(FLOWER_REDIS_URL).flushdb()
    yield {**test_env, "METACRAWL_REDIS_URL": FLOWER_REDIS_URL}
    redis.Redis.from_url(FLOWER_REDIS_URL).flushdb()


@pytest.fixture
def flower(flower_env, tmp_path):
    """Flower and a worker of its own on a broker database of their own."""
    port = free_port()
    env = {**os.environ, **flower_env, "METACRAWL_FLOWER_USER": "ops", "METACRAWL_FLOWER_PASSWORD": "flower-pw"}
    log = open(tmp_path / "flower.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.app",
            "flower",
            "--conf=worker/flowerconfig.py",
            f"--port={port}",
            "--address=127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            _get(f"{base}/healthcheck", None)
            break
        except OSError:
            time.sleep(0.3)
    time.sleep(1)  # let it subscribe to the event stream
    worker = Worker(flower_env, tmp_path / "worker.log").start()
    yield base
    worker.stop()
    proc.terminate()
    proc.wait(10)
    log.close()


def test_flower_lists_crawl_tasks_by_name_without_secrets(settings, flower):
    from dataclasses import replace

    from api import create_app

    alice = ApiUser(create_app(replace(settings, redis_url=FLOWER_REDIS_URL)).test_client(), "olga@example.com")
    with pytest.raises(urllib.error.HTTPError) as denied:
        _get(f"{flower}/api/tasks", None)
    assert denied.value.code == 401
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE t (id int)")
        source = pg_source(alice, name)
        job = wait_for_crawl(alice, source["crawl"]["url"])
    deadline, tasks = time.time() + 20, {}
    while time.time() < deadline:
        status, body = _get(f"{flower}/api/tasks", "ops:flower-pw")
        tasks = json.loads(body)
        if any(t["name"] == "crawl.finish" and t["state"] == "SUCCESS" for t in tasks.values()):
            break
        time.sleep(0.5)
    assert {"crawl.plan", "crawl.batch", "crawl.finish"} <= {t["name"] for t in tasks.values()}
    plan = next(t for t in tasks.values() if t["name"] == "crawl.plan" and str(job["id"]) in t["args"])
    assert plan["args"] == f"({job['id']},)" or plan["args"] == f"[{job['id']}]"
    assert SECRET not in body
    # Flower shows each task's result: the job's state and progress as the status URL has them
    [finish] = [t for t in tasks.values() if t["name"] == "crawl.finish"]
    assert f"'job_id': {job['id']}" in finish["result"] and "'state': 'succeeded'" in finish["result"]
    progress = job["progress"]
    assert f"'batches_done': {progress['batches_done']}" in finish["result"]
    assert f"'tables_total': {progress['tables_total']}" in finish["result"]
    batches = [t for t in tasks.values() if t["name"] == "crawl.batch"]
    assert batches and all(f"'job_id': {job['id']}" in t["result"] for t in batches)


def test_flower_shows_a_failed_crawl_as_failure_with_its_type_only(settings, flower):
    """The task that failed the crawl is FAILURE in Flower, naming the error
    type; the message (which quotes the target) stays on the job for its owner."""
    from dataclasses import replace

    from api import create_app

    owner = ApiUser(create_app(replace(settings, redis_url=FLOWER_REDIS_URL)).test_client(), "pia@example.com")
    missing = "metacrawl_flower_missing_db"
    job = wait_for_crawl(owner, pg_source(owner, missing)["crawl"]["url"])
    assert job["state"] == "failed" and job["error"]["type"] == "database_not_found"
    assert missing in job["error"]["message"]  # the owner reads why
    deadline, failed, body = time.time() + 20, [], ""
    while time.time() < deadline and not failed:
        status, body = _get(f"{flower}/api/tasks", "ops:flower-pw")
        failed = [t for t in json.loads(body).values() if t["state"] == "FAILURE"]
        time.sleep(0.3)
    [task] = failed
    assert task["name"] == "crawl.plan" and str(job["id"]) in task["args"]
    assert "CrawlFailed" in task["exception"] and "database_not_found" in task["exception"]
    assert missing not in body and "does not exist" not in body
    # and the result backend agrees
    from celery import Celery

    result = Celery(backend=FLOWER_REDIS_URL, broker=FLOWER_REDIS_URL).AsyncResult(task["uuid"])
    assert result.state == "FAILURE" and missing not in str(result.result)
