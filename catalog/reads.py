"""The read path: schema pages, one table, search and export, answered from
the catalog alone. Table documents are assembled as JSON by PostgreSQL, so a
page of 1,000 tables is never parsed and re-serialised in Python."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .timestamps import rfc3339_sql

# A live table as every read returns it (DESIGN.md), built in SQL. Every
# successful crawl confirms every live table of its source (what it does not
# see is removed), so a live table's crawled_at is its source's last success.
# Timestamps print as every API timestamp does (catalog/timestamps.py); `url`
# is the table's one address whatever its names hold (GET /api/v1/tables/{id}).
TABLE_OBJECT = f"""jsonb_build_object(
    'schema', t.schema_name, 'name', t.name, 'kind', t.kind, 'comment', t.comment,
    'row_estimate', t.row_estimate, 'size_bytes', t.size_bytes,
    'first_seen_at', {rfc3339_sql("t.first_seen_at")}, 'crawled_at', {rfc3339_sql("s.last_success_at")},
    'changed_at', {rfc3339_sql("t.changed_at")}, 'table_id', t.id, 'url', '/api/v1/tables/' || t.id)"""
TABLE_JSON = f"({TABLE_OBJECT} || t.definition)::text"
LIVE_TABLES = "catalog_tables t JOIN sources s ON s.id = t.source_id"


def like_pattern(q: str, prefix: bool = True, suffix: bool = True) -> str:
    """A LIKE pattern that matches `q` literally (`%`, `_` and `\\` escaped)."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ("%" if prefix else "") + escaped + ("%" if suffix else "")


def schema_page(
    session: Session,
    source_id: int,
    *,
    schema: str | None,
    kind: str | None,
    q: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[tuple[str, str, str]]:
    """Up to `limit` tables after the keyset `after`, as (schema, name, json)."""
    where = ["t.source_id = :sid", "t.removed_at IS NULL"]
    params: dict = {"sid": source_id, "limit": limit}
    if schema is not None:
        where.append("t.schema_name = :schema")
        params["schema"] = schema
    if kind is not None:
        where.append("t.kind = :kind")
        params["kind"] = kind
    if q:
        where.append("lower(t.name) LIKE :pattern ESCAPE '\\'")
        params["pattern"] = like_pattern(q)
    if after is not None:
        where.append("(t.schema_name, t.name) > (:after_schema, :after_name)")
        params["after_schema"], params["after_name"] = after
    sql = (
        f"SELECT t.schema_name, t.name, {TABLE_JSON} FROM {LIVE_TABLES} WHERE {' AND '.join(where)} "
        "ORDER BY t.schema_name, t.name LIMIT :limit"
    )
    return [tuple(r) for r in session.execute(text(sql), params)]


# A key `f` of the table `r` that references another, as referenced_by shows it.
REFERENCE_OBJECT = """jsonb_build_object('schema', r.schema_name, 'table', r.name, 'name', f.name,
    'columns', f.columns, 'referenced_columns', f.referenced_columns, 'on_update', f.on_update,
    'on_delete', f.on_delete, 'definition', f.definition, 'validated', f.validated,
    'deferrable', f.deferrable, 'deferred', f.deferred)"""

# The keys of a source's live tables that reference (:ref_schemas[i],
# :ref_tables[i]), through the index on catalog_foreign_keys' referenced table,
# in order of the referencing table and the key.
REFERENCED_BY_SQL = f"""
    SELECT f.referenced_schema, f.referenced_table, {REFERENCE_OBJECT}
    FROM unnest(CAST(:ref_schemas AS text[]), CAST(:ref_tables AS text[])) AS b(s, n)
    JOIN catalog_foreign_keys f ON f.source_id = :sid AND f.referenced_schema = b.s AND f.referenced_table = b.n
    JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    ORDER BY f.referenced_schema, f.referenced_table, r.schema_name, r.name, f.ordinal"""


def referenced_by(session: Session, source_id: int, tables: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """For each (schema, table), the foreign keys of the source's tables that
    reference it (a table referencing itself included): one indexed query for
    any number of tables, never a scan of the definitions."""
    out: dict[tuple[str, str], list] = {key: [] for key in tables}
    if tables:
        rows = session.execute(
            text(REFERENCED_BY_SQL),
            {"sid": source_id, "ref_schemas": [k[0] for k in tables], "ref_tables": [k[1] for k in tables]},
        )
        for ref_schema, ref_table, key in rows:
            out.setdefault((ref_schema, ref_table), []).append(key)
    return out


# A table's document with referenced_by: the keys that reference `t`.
DETAIL_JSON = f"""({TABLE_OBJECT} || t.definition || jsonb_build_object('referenced_by', (
    SELECT coalesce(jsonb_agg({REFERENCE_OBJECT} ORDER BY r.schema_name, r.name, f.ordinal), '[]')
    FROM catalog_foreign_keys f JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    WHERE f.source_id = t.source_id AND f.referenced_schema = t.schema_name AND f.referenced_table = t.name)))::text"""


def table_detail(session: Session, source_id: int, schema: str, name: str) -> str | None:
    """One live table's document with `referenced_by` (the keys of other tables
    that point at it), as JSON text; None when the catalog has no such table."""
    return session.execute(
        text(
            f"SELECT {DETAIL_JSON} FROM {LIVE_TABLES} WHERE t.source_id = :sid AND t.schema_name = :schema "
            "AND t.name = :name AND t.removed_at IS NULL"
        ),
        {"sid": source_id, "schema": schema, "name": name},
    ).scalar()


def stream_tables(conn: Connection, source_id: int, chunk: int = 500) -> Iterator[tuple[str, str, str]]:
    """Every live table of a source in order, through a server-side cursor so
    memory stays flat whatever the size of the source."""
    result = conn.execution_options(stream_results=True, max_row_buffer=chunk).execute(
        text(
            f"SELECT t.schema_name, t.name, {TABLE_JSON} FROM {LIVE_TABLES} "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL ORDER BY t.schema_name, t.name"
        ),
        {"sid": source_id},
    )
    for row in result:
        yield tuple(row)
