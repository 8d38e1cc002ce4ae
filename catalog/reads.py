"""The read path: schema pages, one table, search and export, answered from
the catalog alone. Table documents are assembled as JSON by PostgreSQL, so a
page of 1,000 tables is never parsed and re-serialised in Python."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

# A live table as every read returns it (DESIGN.md), built in SQL. Every
# successful crawl confirms every live table of its source (what it does not
# see is removed), so a live table's crawled_at is its source's last success.
TABLE_JSON = """(jsonb_build_object(
    'schema', t.schema_name, 'name', t.name, 'kind', t.kind, 'comment', t.comment,
    'row_estimate', t.row_estimate, 'size_bytes', t.size_bytes,
    'first_seen_at', t.first_seen_at, 'crawled_at', s.last_success_at, 'changed_at', t.changed_at)
    || t.definition)::text"""
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


def table_detail(session: Session, source_id: int, schema: str, name: str) -> str | None:
    return session.execute(
        text(
            f"SELECT {TABLE_JSON} FROM {LIVE_TABLES} WHERE t.source_id = :sid AND t.schema_name = :schema "
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
