"""One timestamp format in every API response (issue 12): RFC 3339 in UTC with
microseconds, whether Python or PostgreSQL (table documents) printed it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

from catalog.timestamps import PATTERN, rfc3339

from .conftest import wait_for_crawl
from .crawl_helpers import RICH_PG_TARGET, crawl_now, pg_source, wait_for_insights
from .targets import pg_database, pg_execute

LOOKS_LIKE_A_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}[T ]\d")


def timestamps(value, path="$"):
    """(path, value) of every field named *_at and every string that looks like a date-time."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k.endswith("_at") and v is not None:
                yield f"{path}.{k}", v
            elif isinstance(v, dict | list):
                yield from timestamps(v, f"{path}.{k}")
            elif isinstance(v, str) and LOOKS_LIKE_A_DATE.match(v):
                yield f"{path}.{k}", v
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from timestamps(v, f"{path}[{i}]")


def test_rfc3339_helper():
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-01-02T01:04:05.000120Z"
    )
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, 999999)) == "2026-01-02T03:04:05.999999Z"  # naive: UTC
    assert PATTERN.match("2026-01-02T03:04:05.000120Z") and not PATTERN.match("2026-01-02T03:04:05.00012+00:00")


def test_every_response_prints_timestamps_one_way(alice, worker):
    with pg_database("mc_ts") as target:
        pg_execute(target, RICH_PG_TARGET + "CREATE TABLE sales.invoices (id int PRIMARY KEY, customer_id bigint);")
        source = pg_source(alice, target, schedule="0 2 * * *")  # next_crawl_at on the second: .000000
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        pg_execute(target, "ALTER TABLE sales.orders ADD COLUMN note text")
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded"
        wait_for_insights(alice, sid, second["id"])
        [key] = [
            k
            for k in alice.get(f"/api/v1/sources/{sid}/inferred-keys").get_json()["inferred_keys"]
            if k["table"] == "invoices"
        ]
        accepted = alice.post(f"/api/v1/sources/{sid}/inferred-keys/{key['id']}/accept")
        assert accepted.status_code == 200

        bodies = {"accept": accepted.get_json()}
        urls = [
            "/api/v1/auth/me",
            "/api/v1/sources",
            f"/api/v1/sources/{sid}",
            f"/api/v1/sources/{sid}/crawls",
            f"/api/v1/crawls/{second['id']}",
            f"/api/v1/sources/{sid}/schema",
            f"/api/v1/sources/{sid}/tables/sales/orders",
            f"/api/v1/sources/{sid}/tables/sales/orders/history",
            f"/api/v1/sources/{sid}/changes",
            f"/api/v1/sources/{sid}/insights",
            f"/api/v1/sources/{sid}/inferred-keys",
            "/api/v1/search?q=orders",
            "/api/v1/search?q=customer_email&kind=column",
            f"/api/v1/sources/{sid}/schema/export?format=json",
        ]
        for url in urls:
            r = alice.get(url)
            assert r.status_code == 200, (url, r.get_data(as_text=True))
            bodies[url] = r.get_json()
        hit = bodies["/api/v1/search?q=orders"]["results"][0]
        bodies["by id"] = alice.get(hit["url"]).get_json()
        assert bodies["by id"]["name"] == "orders"
        ndjson = alice.get(f"/api/v1/sources/{sid}/schema/export?format=ndjson").get_data(as_text=True)
        bodies["ndjson"] = [json.loads(line) for line in ndjson.splitlines() if line]

        seen: dict[str, str] = {}
        for url, body in bodies.items():
            for path, value in timestamps(body):
                seen[f"{url} {path}"] = value
        wrong = {where: value for where, value in seen.items() if not PATTERN.match(str(value))}
        assert not wrong, wrong
        fields = {where.rsplit(".", 1)[1] for where in seen}
        for field in (
            "created_at",
            "updated_at",
            "next_crawl_at",
            "last_crawled_at",
            "last_success_at",
            "queued_at",
            "started_at",
            "finished_at",
            "first_seen_at",
            "crawled_at",
            "changed_at",
            "occurred_at",
            "computed_at",
            "decided_at",
        ):
            assert field in fields, field
        assert any(v.endswith(".000000Z") for v in seen.values())  # whole seconds keep their six digits
