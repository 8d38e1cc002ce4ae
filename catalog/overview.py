"""Summaries of a source's catalog for people: counts by kind, schemas, the
largest tables, the last crawls and how much each changed (the change feed
itself is catalog/changes.py). Each is one bounded query; the web UI caches
them per catalog version."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def counts_by_kind(session: Session, source_id: int) -> dict[str, int]:
    rows = session.execute(
        text(
            "SELECT kind, count(*) FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL "
            "GROUP BY kind ORDER BY count(*) DESC"
        ),
        {"sid": source_id},
    )
    return {kind: n for kind, n in rows}


def schemas(session: Session, source_id: int) -> list[dict]:
    """Each schema with its count of live tables, by name. Partitions are not
    counted, as the schema pages list a partitioned table once; a schema that
    holds only partitions is still listed (with 0)."""
    rows = session.execute(
        text(
            "SELECT schema_name, count(*) FILTER (WHERE partition_of_name IS NULL) AS tables FROM catalog_tables "
            "WHERE source_id = :sid AND removed_at IS NULL GROUP BY schema_name ORDER BY schema_name"
        ),
        {"sid": source_id},
    )
    return [{"schema": r.schema_name, "tables": r.tables} for r in rows]


def largest_tables(session: Session, source_id: int, by: str = "size_bytes", limit: int = 10) -> list[dict]:
    column = {"size_bytes": "size_bytes", "row_estimate": "row_estimate"}[by]
    rows = session.execute(
        text(
            f"SELECT schema_name, name, kind, size_bytes, row_estimate FROM catalog_tables "
            f"WHERE source_id = :sid AND removed_at IS NULL AND {column} IS NOT NULL "
            f"ORDER BY {column} DESC, schema_name, name LIMIT :limit"
        ),
        {"sid": source_id, "limit": limit},
    )
    return [dict(r._mapping) for r in rows]


def recent_crawls(session: Session, source_id: int, limit: int = 20) -> list[dict]:
    """The last crawls, oldest first, with their duration in seconds and the
    number of change events each recorded."""
    rows = session.execute(
        text(
            """
            SELECT j.id, j.state, j.trigger, j.queued_at, j.started_at, j.finished_at, j.tables_total,
                   j.error_type, extract(epoch FROM j.finished_at - coalesce(j.started_at, j.queued_at)) AS seconds,
                   (SELECT count(*) FROM change_events e WHERE e.source_id = j.source_id AND e.crawl_id = j.id
                      AND e.event <> 'source_crawled') AS changes
            FROM crawl_jobs j WHERE j.source_id = :sid ORDER BY j.id DESC LIMIT :limit"""
        ),
        {"sid": source_id, "limit": limit},
    )
    out = [dict(r._mapping) for r in rows]
    for r in out:
        r["seconds"] = float(r["seconds"]) if r["seconds"] is not None else None
    return list(reversed(out))


def enum_values(session: Session, source_id: int, type_names: list[str]) -> dict[str, list[str]]:
    """Values of the source's enum types among these column type names
    (`mood` or `public.mood`, as the engine printed them)."""
    if not type_names:
        return {}
    rows = session.execute(
        text(
            'SELECT schema_name, name, "values" FROM catalog_enums WHERE source_id = :sid '
            "AND (name = ANY(:names) OR schema_name || '.' || name = ANY(:names))"
        ),
        {"sid": source_id, "names": type_names},
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        for t in type_names:
            if t in (r.name, f"{r.schema_name}.{r.name}"):
                found[t] = list(r.values or [])
    return found
