"""Crawl tasks report the job's progress as their Celery state and result,
the same figures the status URL shows (Flower reads these)."""

from __future__ import annotations

import json

import pytest
import redis

from .conftest import REDIS_URL, wait_for_crawl
from .crawl_helpers import SECRET, pg_source
from .targets import pg_database, pg_execute


@pytest.fixture(autouse=True)
def no_old_results():
    """Job ids restart with every test's empty catalog: forget earlier tests' results."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("celery-task-meta-*", count=1000):
        client.delete(key)


def stored_results() -> list[dict]:
    """Every Celery result in the result backend."""
    client = redis.Redis.from_url(REDIS_URL)
    return [json.loads(client.get(key)) for key in client.scan_iter("celery-task-meta-*", count=1000)]


def task_results(job_id: int) -> list[dict]:
    """The stored results of crawl `job_id`'s tasks that returned its outcome."""
    return [
        meta
        for meta in stored_results()
        if isinstance(meta.get("result"), dict) and meta["result"].get("job_id") == job_id
    ]


def test_task_results_agree_with_the_status_url(alice, worker):
    with pg_database() as name:
        pg_execute(name, "".join(f"CREATE TABLE t{i} (id int PRIMARY KEY, note text);" for i in range(17)))
        source = pg_source(alice, name)
        job = wait_for_crawl(alice, source["crawl"]["url"])
    assert job["state"] == "succeeded"
    assert job["progress"] == {"tables_total": 17, "tables_done": 17, "batches_total": 3, "batches_done": 3}

    results = task_results(job["id"])
    assert all(r["status"] == "SUCCESS" for r in results)
    batches = sorted((r["result"] for r in results if "batch_no" in r["result"]), key=lambda r: r["batch_no"])
    assert [b["batch_no"] for b in batches] == [1, 2, 3]
    # each batch saw the count go up; the last one saw every batch done, as the status URL does now
    assert sorted(b["progress"]["batches_done"] for b in batches)[-1] == 3
    assert {b["progress"]["tables_total"] for b in batches} == {17}
    final = [r["result"] for r in results if r["result"].get("stats")]
    assert final and final[-1]["state"] == "succeeded"
    assert final[-1]["stats"] == job["stats"] and final[-1]["progress"] == job["progress"]
    assert SECRET not in json.dumps(results)


def test_a_failed_crawl_reports_its_error_type_not_its_message(alice, worker):
    source = pg_source(alice, "metacrawl_no_such_database")
    job = wait_for_crawl(alice, source["crawl"]["url"])
    assert job["state"] == "failed" and job["error"]["type"] == "database_not_found"
    assert "metacrawl_no_such_database" in job["error"]["message"]  # for its owner
    # the task that failed the crawl is FAILURE, naming the type only
    [failure] = [m for m in stored_results() if m["status"] == "FAILURE"]
    assert failure["result"]["exc_type"] == "CrawlFailed"
    assert failure["result"]["exc_message"] == ["database_not_found"]
    stored = json.dumps(failure)
    assert "metacrawl_no_such_database" not in stored and "does not exist" not in stored and SECRET not in stored
