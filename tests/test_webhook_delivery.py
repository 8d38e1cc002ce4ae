"""Webhook deliveries end to end: real workers (the webhooks queue and the
beat-driven sweep), a real HTTP receiver on loopback, a real target. Retries
and leases are made short by the workers' environment."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import replace

import pytest
import redis

from .conftest import IDLE_REDIS_URL, REDIS_URL, ApiUser, Worker, wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, pg_source, wait_for_insights
from .targets import pg_database, pg_execute
from .webhook_helpers import Receiver, delivery_log, subscribe, verify, wait_for_delivery

HOOK_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/9"
KILL_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/8"
WEBHOOK_ENV = {
    "METACRAWL_WEBHOOK_TIMEOUT": "1",
    "METACRAWL_WEBHOOK_BACKOFF_SECONDS": "1",
    "METACRAWL_WEBHOOK_RETRY_SECONDS": "8",
    "METACRAWL_WEBHOOK_LEASE_SECONDS": "4",
    "METACRAWL_WEBHOOK_SWEEP_INTERVAL": "1",
}


def _env(test_env, url: str, **more: str) -> dict:
    redis.Redis.from_url(url).flushdb()
    return {**test_env, **WEBHOOK_ENV, "METACRAWL_REDIS_URL": url, **more}


def _worker(env: dict, path) -> Worker:
    """A worker of both queues with an embedded beat (the sweep)."""
    beat = ("-Q", "celery,webhooks", "-B", "-s", str(path.parent / f"{path.stem}-beat"))
    return Worker(env, path, concurrency=3, extra_args=beat).start()


@pytest.fixture(scope="module")
def hook_worker(test_env, redis_client, tmp_path_factory):
    w = _worker(_env(test_env, HOOK_REDIS_URL), tmp_path_factory.mktemp("hooks") / "worker.log")
    yield w
    w.stop()
    redis.Redis.from_url(HOOK_REDIS_URL).flushdb()


def _user(settings, url: str) -> ApiUser:
    from api import create_app

    return ApiUser(create_app(replace(settings, redis_url=url)).test_client(), "hooks@example.com")


@pytest.fixture
def user(settings, hook_worker):
    return _user(settings, HOOK_REDIS_URL)


@pytest.fixture
def crawled():
    """A target crawled once: (its database, the source)."""
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE orders (id int PRIMARY KEY, note text); CREATE TABLE keep (id int);")
        yield name


def _changes(body: bytes) -> set[tuple[str, str]]:
    return {(c["event"], c["table"]) for c in json.loads(body)["data"]["changes"]}


def test_a_recrawl_after_ddl_sends_one_signed_delivery_per_subscription(user, crawled, hook_worker):
    source = pg_source(user, crawled)
    wait_for_crawl(user, source["crawl"]["url"])
    with Receiver() as every, Receiver() as breaking:
        all_hook = subscribe(user, source["id"], every.url)
        breaking_hook = subscribe(user, source["id"], breaking.url, hazards=["breaking"], object_glob="public.ord*")
        pg_execute(crawled, "ALTER TABLE orders DROP COLUMN note; CREATE TABLE customers (id int);")
        job = crawl_now(user, source["id"])
        assert job["state"] == "succeeded", job
        every.wait_for(1)
        breaking.wait_for(1)
        time.sleep(3)  # the sweep runs every second: a second delivery would have come
        assert len(every.requests) == 1 and len(breaking.requests) == 1
    for receiver, hook in ((every, all_hook), (breaking, breaking_hook)):
        headers, body = receiver.requests[0]
        assert verify(hook["secret"], headers, body)
        assert not verify("whsec_another", headers, body)
        doc = json.loads(body)
        assert headers["X-Metacrawl-Delivery"] == doc["id"] and headers["X-Metacrawl-Event"] == "schema_change"
        assert doc["type"] == "schema_change" and doc["crawl_id"] == job["id"] and doc["source"]["id"] == source["id"]
        [logged] = delivery_log(user, source["id"], hook["id"])
        assert logged["id"] == doc["id"] and logged["state"] == "succeeded" and logged["attempts"] == 1
    assert _changes(every.requests[0][1]) == {("table_changed", "orders"), ("table_added", "customers")}
    [change] = json.loads(breaking.requests[0][1])["data"]["changes"]
    assert change["table"] == "orders" and change["hazard"] == "breaking"
    assert any("note" in reason for reason in change["hazard_reasons"])
    for hook in (all_hook, breaking_hook):
        assert hook["secret"] not in hook_worker.log()


def test_a_receiver_failing_twice_gets_three_attempts_and_one_success(user, hook_worker):
    source = pg_source(user, "not_crawled_here", host="db.example.com")
    with Receiver(script=["500", "500"]) as receiver:
        hook = subscribe(user, source["id"], receiver.url)
        queued = user.post(f"/api/v1/sources/{source['id']}/webhooks/{hook['id']}/test")
        assert queued.status_code == 202 and queued.get_json()["state"] == "pending"
        done = wait_for_delivery(user, source["id"], hook["id"], "succeeded", timeout=30)
    assert done["attempts"] == 3 and [a["status"] for a in done["history"]] == [500, 500, 200]
    assert done["history"][0]["error"] == "the receiver answered 500"
    assert len(receiver.requests) == 3
    assert {h["X-Metacrawl-Delivery"] for h, _ in receiver.requests} == {done["id"]}
    assert all(verify(hook["secret"], h, b) for h, b in receiver.requests)
    shown = user.get(f"/api/v1/sources/{source['id']}/webhooks/{hook['id']}").get_json()
    assert shown["last_delivery_state"] == "succeeded" and shown["last_error"] is None


def test_a_receiver_that_never_answers_ends_failed_and_blocks_no_crawl(user, crawled):
    source = pg_source(user, crawled)
    wait_for_crawl(user, source["crawl"]["url"])
    with Receiver(default="hang") as silent:
        hook = subscribe(user, source["id"], silent.url)
        pg_execute(crawled, "CREATE TABLE first_new (id int);")
        started = time.time()
        first = crawl_now(user, source["id"])
        pg_execute(crawled, "CREATE TABLE second_new (id int);")
        second = crawl_now(user, source["id"])  # while the first crawl's delivery waits on the receiver
        assert first["state"] == second["state"] == "succeeded"
        assert time.time() - started < 30
        failed = wait_for_delivery(user, source["id"], hook["id"], "failed", timeout=60)
    log = delivery_log(user, source["id"], hook["id"])
    # in crawl order: the first crawl's delivery ended (failed) before the second's was tried
    assert [d["crawl_id"] for d in log] == [second["id"], first["id"]]
    assert log[1]["state"] == "failed" and log[1]["attempts"] >= 2
    assert all("no answer within 1 s" in a["error"] for a in log[1]["history"])
    assert failed["last_error"] == "no answer within 1 s"
    shown = user.get(f"/api/v1/sources/{source['id']}/webhooks/{hook['id']}").get_json()
    assert shown["last_delivery_state"] == "failed" and shown["last_error"] == "no answer within 1 s"


def test_a_worker_killed_mid_delivery_delivers_once_it_is_back(settings, test_env, redis_client, tmp_path):
    # an attempt's timeout long enough for the kill to land mid-attempt
    env = _env(test_env, KILL_REDIS_URL, METACRAWL_WEBHOOK_TIMEOUT="5", METACRAWL_WEBHOOK_LEASE_SECONDS="11")
    user = _user(settings, KILL_REDIS_URL)
    first = _worker(env, tmp_path / "first.log")
    try:
        with Receiver(script=["hold"]) as receiver:
            source = pg_source(user, "not_crawled_here", host="db.example.com")
            hook = subscribe(user, source["id"], receiver.url)
            user.post(f"/api/v1/sources/{source['id']}/webhooks/{hook['id']}/test")
            assert receiver.held.wait(30), "the delivery never reached the receiver"
            first.stop(signal.SIGKILL)  # main process, pool children, beat: mid-delivery
            assert delivery_log(user, source["id"], hook["id"])[0]["state"] == "delivering"
            second = _worker(env, tmp_path / "second.log")
            try:
                done = wait_for_delivery(user, source["id"], hook["id"], "succeeded", timeout=60)
            finally:
                second.stop()
    finally:
        first.stop()
        redis.Redis.from_url(KILL_REDIS_URL).flushdb()
    assert done["attempts"] == 2 and len(receiver.requests) == 2
    assert {h["X-Metacrawl-Delivery"] for h, _ in receiver.requests} == {done["id"]}
    assert {b for _, b in receiver.requests} == {receiver.requests[0][1]}  # the same body, signed anew
    assert all(verify(hook["secret"], h, b) for h, b in receiver.requests)


def test_a_slack_subscription_gets_a_summary_with_links(user, crawled):
    source = pg_source(user, crawled)
    wait_for_crawl(user, source["crawl"]["url"])
    with Receiver() as receiver:
        hook = subscribe(user, source["id"], receiver.url, format="slack")
        pg_execute(crawled, "CREATE TABLE invoices (id int);")
        crawl_now(user, source["id"])
        [(headers, body)] = receiver.wait_for(1)
    assert verify(hook["secret"], headers, body)
    doc = json.loads(body)
    assert doc["text"].startswith("1 schema change(s) in pg ")
    listed = doc["blocks"][1]["text"]["text"]
    assert f"/sources/{source['id']}/table?schema=public&name=invoices|public.invoices>" in listed


def test_an_address_refused_at_delivery_time_is_never_sent(settings, catalog_url, redis_client):
    """Loopback allowed when subscribing, refused when delivering (the worker's
    policy), and a metadata address that got in: recorded as failed, nothing
    sent. The delivery runs in this process (no worker takes the queue)."""
    from worker import runtime, webhooks

    redis.Redis.from_url(IDLE_REDIS_URL).flushdb()
    user = _user(settings, IDLE_REDIS_URL)
    source = pg_source(user, "not_crawled_here", host="db.example.com")
    with Receiver() as receiver:
        named = subscribe(user, source["id"], receiver.url.replace("127.0.0.1", "localhost"))
        metadata = subscribe(user, source["id"], receiver.url)
        catalog_rows(
            catalog_url,
            "UPDATE webhook_subscriptions SET url = 'http://169.254.169.254/latest/meta-data/' "
            "WHERE id = %s RETURNING id",
            (metadata["id"],),
        )
        previous = runtime._settings
        runtime._settings = replace(settings, webhook_allow_loopback=False)
        try:
            for hook in (named, metadata):
                queued = user.post(f"/api/v1/sources/{source['id']}/webhooks/{hook['id']}/test").get_json()
                [(row_id,)] = catalog_rows(
                    catalog_url, "SELECT id FROM webhook_deliveries WHERE delivery_id = %s", (queued["id"],)
                )
                webhooks.deliver.run(row_id)
        finally:
            runtime._settings = previous
        time.sleep(0.5)
        assert receiver.requests == []
    for hook, why in ((named, "loopback"), (metadata, "169.254.169.254")):
        [logged] = delivery_log(user, source["id"], hook["id"])
        assert logged["state"] == "failed" and logged["attempts"] == 1
        assert "egress policy" in logged["last_error"] and why in logged["last_error"]


def test_a_failed_crawl_and_new_lint_findings_are_delivered(user, crawled):
    source = pg_source(user, crawled)
    wait_for_crawl(user, source["crawl"]["url"])
    wait_for_insights(user, source["id"], source["crawl"]["id"])
    with Receiver() as receiver:
        hook = subscribe(user, source["id"], receiver.url, events=["crawl_failed", "lint_findings"])
        pg_execute(crawled, "CREATE TABLE loose (v text);")
        crawl_now(user, source["id"])
        [(headers, body)] = receiver.wait_for(1)
        assert verify(hook["secret"], headers, body) and headers["X-Metacrawl-Event"] == "lint_findings"
        found = {(f["rule"], f["object"]) for f in json.loads(body)["data"]["findings"]}
        assert ("no_primary_key", "public.loose") in found
        assert not any(obj.startswith("public.keep") for _, obj in found)  # found before: not new
        r = user.patch(f"/api/v1/sources/{source['id']}", json={"port": 1})
        assert r.status_code == 200, r.get_json()
        failed = crawl_now(user, source["id"])
        assert failed["state"] == "failed"
        (headers, body) = receiver.wait_for(2)[1]
    doc = json.loads(body)
    assert doc["type"] == "crawl_failed" and doc["crawl_id"] == failed["id"]
    assert doc["data"]["error_type"] == failed["error"]["type"] and doc["data"]["message"]
