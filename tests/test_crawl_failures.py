"""A crawl that fails says why, in words a user can act on, and leaves the
catalog exactly as the last good crawl left it."""

from __future__ import annotations

import threading
import time

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import (
    RICH_PG_TARGET,
    SECRET,
    catalog_rows,
    catalog_snapshot,
    crawl_now,
    hold_target_catalog_lock,
    pg_source,
)
from .targets import drop_pg_database, mysql_execute, mysql_params, pg_database, pg_execute


@pytest.fixture
def crawled_pg(alice, worker, catalog_url):
    """A PostgreSQL target with one good crawl in the catalog."""
    with pg_database() as name:
        pg_execute(name, RICH_PG_TARGET)
        source = pg_source(alice, name)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        yield name, source, catalog_snapshot(catalog_url, source["id"])


def assert_failed(job, error_type, *words):
    assert job["state"] == "failed", job
    assert job["error"]["type"] == error_type, job
    for w in words:
        assert w in job["error"]["message"], job
    assert SECRET not in str(job) and "Traceback" not in str(job)
    assert job["finished_at"] is not None


def test_unreachable_host(alice, crawled_pg, catalog_url):
    _, source, snapshot = crawled_pg
    alice.patch(f"/api/v1/sources/{source['id']}", json={"port": 1})
    job = crawl_now(alice, source["id"])
    assert_failed(job, "connection_failed", "could not connect to 127.0.0.1:1")
    assert catalog_snapshot(catalog_url, source["id"]) == snapshot


def test_wrong_password(alice, worker, catalog_url):
    p = mysql_params()
    user = "mc_wrongpw"
    mysql_execute(
        f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'right-password';"
        f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY 'right-password';"
    )
    try:
        r = alice.post(
            "/api/v1/sources",
            json={
                "name": "m",
                "engine": "mysql",
                "host": p["host"],
                "port": p["port"],
                "database": "test",
                "username": user,
                "password": SECRET,
            },
        )
        job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
        assert_failed(job, "authentication_failed", f"authentication failed for user {user}")
    finally:
        mysql_execute(f"DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost';")


def test_database_that_does_not_exist(alice, worker):
    source = pg_source(alice, "no_such_database_here")
    job = wait_for_crawl(alice, source["crawl"]["url"])
    assert_failed(job, "database_not_found", "no_such_database_here")


def test_statement_timeout(alice, crawled_pg, catalog_url):
    name, source, snapshot = crawled_pg
    pg_execute(name, "ALTER TABLE sales.customers ADD COLUMN would_change int")
    release, locked = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_target_catalog_lock, args=(name, release, locked))
    holder.start()
    locked.wait(10)
    try:
        job = crawl_now(alice, source["id"])  # the test worker's statement timeout is 3 s
    finally:
        release.set()
        holder.join()
    assert_failed(job, "statement_timeout", "statement timeout")
    assert catalog_snapshot(catalog_url, source["id"]) == snapshot


def test_target_dropped_mid_crawl(alice, crawled_pg, catalog_url):
    name, source, snapshot = crawled_pg
    release, locked = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_target_catalog_lock, args=(name, release, locked))
    holder.start()
    locked.wait(10)
    r = alice.post(f"/api/v1/sources/{source['id']}/crawls")
    deadline = time.time() + 20
    while alice.get(r.get_json()["url"]).get_json()["state"] == "queued" and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # batches are now stalled on the lock
    drop_pg_database(name)
    release.set()
    holder.join()
    job = wait_for_crawl(alice, r.get_json()["url"])
    assert job["state"] == "failed" and job["error"]["type"] in ("database_not_found", "connection_failed"), job
    assert SECRET not in str(job)
    assert catalog_snapshot(catalog_url, source["id"]) == snapshot


STAGED = (
    "SELECT (SELECT count(*) FROM crawl_staged_tables WHERE job_id = %(j)s) + "
    "(SELECT count(*) FROM crawl_staged_columns WHERE job_id = %(j)s) + "
    "(SELECT count(*) FROM crawl_seen WHERE job_id = %(j)s)"
)


def _stage_leftovers(catalog_url, job_id: int) -> None:
    """What a batch that committed after its job ended leaves behind."""
    catalog_rows(
        catalog_url,
        """
        INSERT INTO crawl_seen (job_id, batch_no, table_id) VALUES (%(j)s, 1, 900001);
        INSERT INTO crawl_staged_columns (job_id, table_id, ordinal, name, type) VALUES (%(j)s, 900002, 1, 'a', 'int');
        INSERT INTO crawl_staged_tables (job_id, batch_no, table_id, is_new, schema_name, name, kind, fingerprint,
                                         definition) VALUES (%(j)s, 1, 900002, true, 's', 't', 'table', 'f', '{}');
        SELECT 1""",
        {"j": job_id},
    )
    assert catalog_rows(catalog_url, STAGED, {"j": job_id})[0][0] == 3


def test_reaper_drops_staging_an_ended_crawl_left(alice, worker, catalog_url):
    from celery import Celery

    from .conftest import REDIS_URL

    job = wait_for_crawl(alice, pg_source(alice, "metacrawl_no_such_database")["crawl"]["url"])
    assert job["state"] == "failed"
    _stage_leftovers(catalog_url, job["id"])
    Celery(broker=REDIS_URL).send_task("crawl.reap")
    deadline = time.time() + 20
    while catalog_rows(catalog_url, STAGED, {"j": job["id"]})[0][0] and time.time() < deadline:
        time.sleep(0.2)
    assert catalog_rows(catalog_url, STAGED, {"j": job["id"]})[0][0] == 0


def test_deleting_a_source_drops_its_crawls_staging(idle_app, catalog_url):
    from .conftest import ApiUser

    owner = ApiUser(idle_app.test_client(), "stager@example.com")
    source = pg_source(owner, "whatever")  # its crawl stays queued: no worker listens
    _stage_leftovers(catalog_url, source["crawl"]["id"])
    assert owner.delete(f"/api/v1/sources/{source['id']}").status_code == 204
    assert catalog_rows(catalog_url, STAGED, {"j": source["crawl"]["id"]})[0][0] == 0


def test_a_crawl_that_would_remove_most_of_a_large_source_changes_nothing(alice, worker, catalog_url):
    with pg_database() as name:
        pg_execute(
            name,
            "CREATE SCHEMA keep; CREATE SCHEMA bulk;"
            + "".join(f"CREATE TABLE keep.k{i} (id int);" for i in range(40))
            + "".join(f"CREATE TABLE bulk.b{i} (id int);" for i in range(120)),
        )
        source = pg_source(alice, name)
        assert wait_for_crawl(alice, source["crawl"]["url"])["stats"]["added"] == 160
        snapshot = catalog_snapshot(catalog_url, source["id"])
        # e.g. the crawl user lost USAGE on a schema: 120 of 160 tables (75%) vanish at once
        pg_execute(name, "DROP SCHEMA bulk CASCADE")
        job = crawl_now(alice, source["id"])
        assert_failed(
            job, "removal_limit_exceeded", "did not see 120 of the 160 tables", "50%", '"allow_mass_removal": true'
        )
        assert catalog_snapshot(catalog_url, source["id"]) == snapshot
        assert alice.get(f"/api/v1/sources/{source['id']}/tables/bulk/b7").status_code == 200

        # asked for, the same removal goes through
        r = alice.post(f"/api/v1/sources/{source['id']}/crawls", json={"allow_mass_removal": True})
        assert r.status_code == 202 and r.get_json()["allow_mass_removal"] is True
        job = wait_for_crawl(alice, r.get_json()["url"])
        assert job["state"] == "succeeded" and job["stats"]["removed"] == 120, job
        assert alice.get(f"/api/v1/sources/{source['id']}/tables/bulk/b7").status_code == 404


def test_a_small_source_may_shrink_by_more_than_half(alice, worker):
    with pg_database() as name:
        pg_execute(name, "".join(f"CREATE TABLE t{i} (id int);" for i in range(30)))
        source = pg_source(alice, name)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        pg_execute(name, "".join(f"DROP TABLE t{i};" for i in range(25)))
        job = crawl_now(alice, source["id"])
        assert job["state"] == "succeeded" and job["stats"]["removed"] == 25, job


@pytest.mark.parametrize(
    "body", [{"allow_mass_removal": "sure"}, {"allow_mass_removal": None}, {"allow_mass_removal": True, "extra": 1}]
)
def test_start_crawl_bad_body(idle_app, body):
    from .conftest import ApiUser

    owner = ApiUser(idle_app.test_client(), "body@example.com")
    source = pg_source(owner, "whatever")
    r = owner.post(f"/api/v1/sources/{source['id']}/crawls", json=body)
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["errors"]["json"]) <= {"allow_mass_removal", "extra"}
    assert "Traceback" not in r.get_data(as_text=True)
