"""Inferred keys on a real PostgreSQL partitioned table: a partition has its
partitioned table's columns, so a key-like column is proposed once, on the
partitioned table, not once more per partition (a schema of 55 partitions
once gave 165 candidates for 3 relations); a recrawl that adds a partition
proposes nothing new."""

from __future__ import annotations

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source, wait_for_insights
from .targets import pg_database, pg_execute

TARGET = """
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE devices (id bigint PRIMARY KEY) PARTITION BY HASH (id);
CREATE TABLE devices_p0 PARTITION OF devices FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE devices_p1 PARTITION OF devices FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE events (id bigint, customer_id bigint, device_id bigint, happened date NOT NULL,
                     PRIMARY KEY (id, happened)) PARTITION BY RANGE (happened);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
    PARTITION BY RANGE (happened);
CREATE TABLE events_2026_h1 PARTITION OF events_2026 FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
"""
ONCE = {("events", "customer_id", "customers"), ("events", "device_id", "devices")}


def _inferred(user, source_id) -> list[tuple]:
    body = user.get(f"/api/v1/sources/{source_id}/inferred-keys?limit=1000").get_json()
    return sorted((k["table"], k["column"], k["referenced_table"]) for k in body["inferred_keys"])


def test_a_partitioned_table_gets_its_inferred_keys_once(alice, worker):
    with pg_database("mc_inferred_parts") as target:
        pg_execute(target, TARGET)
        source = pg_source(alice, target)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, source["crawl"]["id"])
        assert _inferred(alice, sid) == sorted(ONCE)
        # a new partition (a changed table, recomputed alone) proposes nothing of its own
        pg_execute(
            target, "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')"
        )
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded"
        wait_for_insights(alice, sid, second["id"])
        assert _inferred(alice, sid) == sorted(ONCE)
