"""Lists over curation: an object's audit list (newest first), a source's
orphaned curation, and everything carrying a tag across some sources. Each
is one keyset-paged query."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..timestamps import rfc3339
from .objects import Target
from .read import ORPHANED_SQL, TAGS_JSON, object_curation

HISTORY_SQL = """
    SELECT a.id, a.field, a.before, a.after, a.changed_at, a.user_id, u.email
    FROM catalog_curation c JOIN catalog_curation_audit a ON a.curation_id = c.id
    LEFT JOIN users u ON u.id = a.user_id
    WHERE c.source_id = :sid AND c.kind = :kind AND c.table_id = :tid AND c.schema_name = :schema
      AND c.column_name = :column AND (CAST(:before AS bigint) IS NULL OR a.id < :before)
    ORDER BY a.id DESC LIMIT :limit"""


def history(
    session: Session, source_id: int, target: Target, before_id: int | None = None, limit: int = 50
) -> list[dict]:
    """Up to `limit` changes of one object's curation, newest first, before
    the change `before_id`: who changed which field when, before and after.
    An object that is gone keeps its list; one that never was raises NotFound."""
    rows = session.execute(
        text(HISTORY_SQL),
        {
            "sid": source_id,
            "kind": target.kind,
            "tid": target.table_id,
            "schema": target.schema_name,
            "column": target.column_name,
            "before": before_id,
            "limit": limit,
        },
    ).all()
    if not rows and before_id is None:
        object_curation(session, source_id, target)  # NotFound for an object that never was
    return [
        {
            "id": r.id,
            "field": r.field,
            "before": r.before,
            "after": r.after,
            "changed_at": rfc3339(r.changed_at),
            "user": {"id": r.user_id, "email": r.email} if r.user_id else None,
        }
        for r in rows
    ]


# An object of a curation row `c`: the names of its table (kept on a removed
# row), and whether it is gone.
OBJECT_SQL = f"""
    SELECT c.id, c.source_id, s.name AS source_name, c.kind,
           CASE WHEN c.kind IN ('table', 'column') THEN t.schema_name ELSE nullif(c.schema_name, '') END AS schema,
           nullif(c.table_id, 0) AS table_id, t.name AS table_name, nullif(c.column_name, '') AS column_name,
           c.description, {TAGS_JSON.format(c="c", s="s")} AS tags, {ORPHANED_SQL} AS orphaned
    FROM catalog_curation c JOIN sources s ON s.id = c.source_id
    LEFT JOIN catalog_tables t ON t.id = c.table_id AND c.table_id <> 0"""


def _object(r) -> dict:
    return {
        "id": r.id,
        "kind": r.kind,
        "source_id": r.source_id,
        "source_name": r.source_name,
        "schema": r.schema,
        "table_id": r.table_id,
        "table": r.table_name,
        "column": r.column_name,
        "description": r.description,
        "tags": list(r.tags),
        "orphaned": bool(r.orphaned),
    }


def orphaned(session: Session, source_id: int, after_id: int | None = None, limit: int = 100) -> list[dict]:
    """A source's curation whose object is gone (and that holds something),
    by id after `after_id`."""
    rows = session.execute(
        text(
            f"SELECT * FROM ({OBJECT_SQL} WHERE c.source_id = :sid AND c.kind <> 'source' "
            "AND (c.description IS NOT NULL OR c.tags <> '{}' OR c.owner_user_ids <> '{}' "
            "OR c.owner_team_ids <> '{}') AND (CAST(:after AS bigint) IS NULL OR c.id > :after)) o "
            "WHERE o.orphaned ORDER BY o.id LIMIT :limit"
        ),
        {"sid": source_id, "after": after_id, "limit": limit},
    ).all()
    return [_object(r) for r in rows]


def tagged(
    session: Session, source_ids: list[int], tag: str, after_id: int | None = None, limit: int = 100
) -> list[dict]:
    """Everything carrying `tag` in these sources (sources, schemas, tables,
    columns; orphaned ones say so), by curation id after `after_id`: on the
    GIN index of the tags."""
    if not source_ids:
        return []
    rows = session.execute(
        text(
            f"{OBJECT_SQL} WHERE c.source_id = ANY(:sids) AND c.tags @> ARRAY[CAST(:tag AS text)] "
            "AND (CAST(:after AS bigint) IS NULL OR c.id > :after) ORDER BY c.id LIMIT :limit"
        ),
        {"sids": source_ids, "tag": tag, "after": after_id, "limit": limit},
    ).all()
    return [_object(r) for r in rows]
