"""A crawl reads the settings it started with: a PATCH of what a crawl
connects to, while one is active, cancels it (the catalog stays as the last
good crawl left it); the next crawl reads the new settings."""

from __future__ import annotations

import threading
import time

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_snapshot, crawl_now, hold_target_catalog_lock, pg_source
from .targets import pg_database, pg_execute


def test_patch_of_database_during_a_crawl_cancels_it(worker, alice, catalog_url):
    with pg_database() as old, pg_database() as new:
        pg_execute(old, "CREATE TABLE old_one (id int); CREATE TABLE old_two (id int);")
        pg_execute(new, "CREATE TABLE new_one (id int);")
        source = pg_source(alice, old)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        before = catalog_snapshot(catalog_url, source["id"])
        release, locked = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_target_catalog_lock, args=(old, release, locked))
        holder.start()
        try:
            assert locked.wait(10)
            r = alice.post(f"/api/v1/sources/{source['id']}/crawls")
            url = r.get_json()["url"]
            deadline = time.time() + 30
            while alice.get(url).get_json()["state"] != "running" and time.time() < deadline:
                time.sleep(0.05)
            # the crawl is describing the old database's tables: point the source elsewhere
            r = alice.patch(f"/api/v1/sources/{source['id']}", json={"database": new})
            assert r.status_code == 200, r.get_json()
            assert r.get_json()["database"] == new
            assert r.get_json()["last_crawl"]["state"] == "cancelled"
        finally:
            release.set()
            holder.join()
        job = wait_for_crawl(alice, url)
        assert job["state"] == "cancelled"
        time.sleep(1)  # a batch in flight stages nothing and the catalog stays as it was
        assert catalog_snapshot(catalog_url, source["id"]) == before
        # the next crawl reads the new database only
        job = crawl_now(alice, source["id"])
        assert job["state"] == "succeeded", job
        names = [t["name"] for t in alice.get(f"/api/v1/sources/{source['id']}/schema").get_json()["tables"]]
        assert names == ["new_one"]


def test_patch_of_name_or_schedule_leaves_the_crawl_running(idle_app, catalog_url):
    from .conftest import ApiUser

    user = ApiUser(idle_app.test_client(), "carol@example.com")
    source = pg_source(user, "never_crawled_here")
    r = user.patch(f"/api/v1/sources/{source['id']}", json={"name": "renamed", "schedule": "0 3 * * *"})
    assert r.status_code == 200
    assert user.get(source["crawl"]["url"]).get_json()["state"] == "queued"
