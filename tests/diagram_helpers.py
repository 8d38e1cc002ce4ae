"""The target the whole-schema diagram's tests crawl (tests/test_ui_schema_diagram.py
and its browser twin): a small schema `shop` with a view and a column an owner
may accept as an inferred key, hostile table names, and a schema `big` of two
foreign-key groups of 25 tables joined by one key, too large for one cluster."""

from __future__ import annotations

GROUP = 25
HOSTILE_TABLE = '<script>alert("x")</script>&amp;'


def _group(prefix: str) -> str:
    sql = [f"CREATE TABLE big.{prefix}_root (id bigint PRIMARY KEY, name text);"]
    for i in range(1, GROUP):
        before = f"{prefix}_root" if i == 1 else f"{prefix}_{i - 1:02d}"
        sql.append(
            f"CREATE TABLE big.{prefix}_{i:02d} (id bigint PRIMARY KEY, "
            f"root_id bigint REFERENCES big.{prefix}_root (id), prev_id bigint REFERENCES big.{before} (id));"
        )
    return "\n".join(sql)


TARGET = f"""
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id bigint PRIMARY KEY, name text);
CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer bigint REFERENCES shop.customers (id), total numeric);
CREATE TABLE shop.invoice (id bigint PRIMARY KEY, customer_id bigint, amount numeric);
CREATE VIEW shop.order_totals AS SELECT o.customer, sum(o.total) AS total FROM shop.orders o GROUP BY o.customer;
CREATE TABLE shop."{HOSTILE_TABLE.replace('"', '""')}" (id bigint PRIMARY KEY,
    customer bigint REFERENCES shop.customers (id));
CREATE SCHEMA big;
{_group("a")}
{_group("b")}
ALTER TABLE big.b_01 ADD COLUMN a_ref bigint REFERENCES big.a_root (id);
"""
