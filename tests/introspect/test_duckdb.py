"""The generic engine on DuckDB files: what only DuckDB does (the contract
suite in tests/test_engine_contract.py and the reflection suite in
tests/test_reflection.py run the rest).

DuckDB names a file's database after the file (`my.shop.duckdb` is `my`) and
the DuckDB dialects list schemas as `<database>.<schema>`; a source shows
them as DuckDB users write them (`main`, `s2`), and schemas of other attached
databases as `<database>.<schema>`. A file is opened read-only, which DuckDB
refuses while another process writes it (that process holds the file's lock)
or while this process has it open read-write.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from engines import ENGINES
from engines.base import ConnectionParams, TableRef, TargetUnreachable
from tests.engine_helpers import duckdb_writer, require_duckdb_reflection

SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE SCHEMA s2;
CREATE TABLE s2.parent (id INTEGER PRIMARY KEY);
CREATE TABLE s2.child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES s2.parent (id));
CREATE VIEW s2.children AS SELECT * FROM s2.child;
"""


@pytest.fixture
def shop(tmp_path) -> Path:
    require_duckdb_reflection()
    path = tmp_path / "my.shop.duckdb"  # its database is named "my"
    conn = duckdb.connect(str(path))
    conn.execute(SQL)
    conn.close()
    return path


def params(path: Path, **options) -> ConnectionParams:
    return ENGINES["sqlalchemy"].connection_params(
        {"url": f"duckdb:///{path}", "options": options}, {}, allowed_dirs=(str(path.parent),)
    )


def intro(path: Path, **options):
    return ENGINES["sqlalchemy"](params(path, **options))


def test_schemas_as_duckdb_users_name_them(shop):
    """Schemas by their bare names, and a batch described under them (what
    describe() says of a table is the reflection suite's)."""
    with intro(shop) as i:
        refs = i.list_tables()
        tables = {(t.schema, t.name): t for t in i.describe(refs)}
    assert refs == [
        TableRef("main", "customers", "table"),
        TableRef("s2", "child", "table"),
        TableRef("s2", "children", "view"),
        TableRef("s2", "parent", "table"),
    ]
    assert list(tables) == [(r.schema, r.name) for r in refs]
    [fk] = tables[("s2", "child")].foreign_keys
    assert (fk.referenced_schema, fk.referenced_table) == ("s2", "parent")


def test_schema_filters(shop):
    with intro(shop, include_schemas=["s2"]) as i:
        assert {r.schema for r in i.list_tables()} == {"s2"}
    with intro(shop, exclude_schemas=["s2"]) as i:
        assert [(r.schema, r.name) for r in i.list_tables()] == [("main", "customers")]


def test_attached_databases_keep_their_name(shop, tmp_path):
    other = tmp_path / "other.duckdb"
    conn = duckdb.connect(str(other))
    conn.execute("CREATE TABLE o (z INTEGER PRIMARY KEY)")
    conn.close()
    with intro(shop) as i:
        i._conn.exec_driver_sql(f"ATTACH '{other}' AS \"other db\" (READ_ONLY)")
        i._conn.commit()
        refs = i.list_tables()
        assert TableRef('"other db".main', "o", "table") in refs
        assert TableRef("main", "customers", "table") in refs
        [o] = i.describe([TableRef('"other db".main', "o", "table")])
    assert [c.name for c in o.columns] == ["z"] and o.primary_key and o.primary_key.columns == ["z"]


def test_waits_for_a_writer_in_another_process(shop):
    proc = duckdb_writer(shop, 0.5)
    try:
        with ENGINES["sqlalchemy"](replace(params(shop), connect_timeout=20)) as i:  # waits for the lock
            assert len(i.list_tables()) == 4
    finally:
        proc.communicate(timeout=30)


def test_a_writer_that_stays_is_a_connect_timeout(shop):
    proc = duckdb_writer(shop)
    try:
        with pytest.raises(TargetUnreachable, match=r"timeout after 1 s \(another connection holds the file's lock\)"):
            ENGINES["sqlalchemy"](replace(params(shop), connect_timeout=1)).connect()
    finally:
        proc.communicate(timeout=30)


def test_open_read_write_in_this_process(shop):
    conn = duckdb.connect(str(shop))  # DuckDB opens a file one way per process
    try:
        with pytest.raises(TargetUnreachable, match="different configuration"):
            intro(shop).connect()
    finally:
        conn.close()
    with intro(shop) as i:  # once it is closed, the file opens read-only
        assert len(i.list_tables()) == 4
