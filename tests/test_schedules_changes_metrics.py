"""Scheduled recrawls, the change feed, and /metrics."""

from __future__ import annotations

import time

import pytest
from celery import Celery

from .conftest import REDIS_URL, ApiUser, wait_for_crawl
from .crawl_helpers import RICH_PG_TARGET, SECRET, catalog_rows, crawl_now, pg_source
from .targets import pg_database, pg_execute


@pytest.fixture
def rich_pg():
    with pg_database() as name:
        pg_execute(name, RICH_PG_TARGET)
        yield name


def _dispatch(times: int) -> None:
    client = Celery(broker=REDIS_URL)
    for _ in range(times):
        client.send_task("crawl.dispatch_due")


def _crawl_count(catalog_url, source_id) -> int:
    return catalog_rows(catalog_url, "SELECT count(*) FROM crawl_jobs WHERE source_id = %s", (source_id,))[0][0]


def test_due_source_is_crawled_once_even_with_two_dispatchers(alice, worker, rich_pg, catalog_url):
    due = pg_source(alice, rich_pg, name="due")
    not_due = pg_source(alice, rich_pg, name="not due", schedule="0 3 1 1 *")
    for s in (due, not_due):
        assert wait_for_crawl(alice, s["crawl"]["url"])["state"] == "succeeded"
    catalog_rows(
        catalog_url,
        "UPDATE sources SET next_crawl_at = now() - interval '1 minute' WHERE id = %s RETURNING id",
        (due["id"],),
    )
    _dispatch(2)  # two dispatcher runs at once, as from two beat processes
    deadline = time.time() + 30
    while _crawl_count(catalog_url, due["id"]) < 2 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # room for a second crawl to appear if the lock did not hold
    crawls = alice.get(f"/api/v1/sources/{due['id']}/crawls").get_json()["crawls"]
    assert len(crawls) == 2 and crawls[0]["trigger"] == "schedule"
    assert wait_for_crawl(alice, crawls[0]["url"])["state"] == "succeeded"
    assert _crawl_count(catalog_url, not_due["id"]) == 1
    body = alice.get(f"/api/v1/sources/{due['id']}").get_json()
    assert body["next_crawl_at"].endswith("T02:00:00.000000Z") and body["stale"] is False


def test_change_feed_after_alter_drop_create(alice, worker, rich_pg):
    source = pg_source(alice, rich_pg)
    first = wait_for_crawl(alice, source["crawl"]["url"])
    feed = alice.get(f"/api/v1/sources/{source['id']}/changes").get_json()["changes"]
    assert [(c["event"], c["details"]) for c in feed] == [("source_crawled", {"tables": 9})]
    pg_execute(
        rich_pg,
        "ALTER TABLE sales.customers ADD COLUMN phone text, ALTER COLUMN customer_email "
        "TYPE varchar(400); CREATE INDEX customers_phone ON sales.customers (phone);"
        "DROP TABLE sales.order_lines; CREATE TABLE sales.refunds (id int PRIMARY KEY)",
    )
    second = crawl_now(alice, source["id"])
    feed = alice.get(f"/api/v1/sources/{source['id']}/changes").get_json()["changes"]
    events = {(c["event"], c["table"]): c for c in feed if c["crawl_id"] == second["id"]}
    assert set(events) == {("table_changed", "customers"), ("table_removed", "order_lines"), ("table_added", "refunds")}
    details = events[("table_changed", "customers")]["details"]
    assert details["columns_added"] == ["phone"]
    assert details["columns_altered"] == [
        {
            "name": "customer_email",
            "changes": {"type": {"from": "character varying(320)", "to": "character varying(400)"}},
        }
    ]
    assert details["indexes_added"] == ["customers_phone"]
    history = alice.get(f"/api/v1/sources/{source['id']}/tables/sales/customers/history").get_json()["changes"]
    assert [h["event"] for h in history] == ["table_changed"]
    removed = alice.get(f"/api/v1/sources/{source['id']}/tables/sales/order_lines/history").get_json()
    assert [h["event"] for h in removed["changes"]] == ["table_removed"]
    since = alice.get(
        f"/api/v1/sources/{source['id']}/changes", query_string={"since": second["queued_at"]}
    ).get_json()["changes"]
    assert len(since) == 3 and first["id"] not in {c["crawl_id"] for c in since}
    paged = alice.get(f"/api/v1/sources/{source['id']}/changes?limit=2").get_json()
    assert len(paged["changes"]) == 2 and paged["next_cursor"]


def test_change_feed_bad_input_and_ownership(alice, bob, idle_app):
    r = alice.get("/api/v1/sources/1/changes?since=yesterday")
    assert r.status_code in (404, 422)
    assert bob.get("/api/v1/sources/999/changes").status_code == 404


def test_metrics_reflect_a_finished_crawl(alice, worker, rich_pg, client):
    source = pg_source(alice, rich_pg)
    wait_for_crawl(alice, source["crawl"]["url"])
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    body = r.get_data(as_text=True)
    assert 'metacrawl_crawls{state="succeeded"} 1.0' in body
    assert "metacrawl_tables_crawled 9.0" in body
    assert f'metacrawl_source_last_success_age_seconds{{source_id="{source["id"]}"}}' in body
    assert "metacrawl_crawl_duration_seconds_count 1.0" in body and "metacrawl_queue_length" in body


def test_crawl_logs_are_json_with_job_id_and_no_secret(alice, worker, rich_pg):
    import json as _json

    source = pg_source(alice, rich_pg)
    job = wait_for_crawl(alice, source["crawl"]["url"])
    log = worker.log()
    assert SECRET not in log
    lines = [_json.loads(line) for line in log.splitlines() if line.startswith("{")]
    mine = [entry for entry in lines if entry.get("job_id") == job["id"]]
    assert {"crawl planning", "crawl succeeded"} <= {m["message"].split(":")[0] for m in mine}
    assert all({"ts", "level", "logger", "message"} <= set(m) for m in mine)


def test_stale_flag_follows_the_last_successful_crawl(alice, worker, rich_pg, catalog_url, idle_app):
    source = pg_source(alice, rich_pg)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    url = f"/api/v1/sources/{source['id']}"
    assert alice.get(url).get_json()["stale"] is False
    # 35 hours old is still fresh under the default limit of 36; 37 hours is stale
    catalog_rows(
        catalog_url,
        "UPDATE sources SET last_success_at = now() - interval '35 hours' WHERE id = %s RETURNING id",
        (source["id"],),
    )
    assert alice.get(url).get_json()["stale"] is False
    catalog_rows(
        catalog_url,
        "UPDATE sources SET last_success_at = now() - interval '37 hours' WHERE id = %s RETURNING id",
        (source["id"],),
    )
    body = alice.get(url).get_json()
    assert body["stale"] is True and body["last_crawled_at"]
    # a source never crawled successfully is stale too
    never = ApiUser(idle_app.test_client(), "nora@example.com")
    r = never.post(
        "/api/v1/sources",
        json={
            "name": "n",
            "engine": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "database": rich_pg,
            "username": "postgres",
            "password": "x",
        },
    )
    assert r.status_code == 201 and r.get_json()["stale"] is True
