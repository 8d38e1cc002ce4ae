"""Column lineage through views in the catalog: the edges table
(catalog_column_lineage) the apply keeps in step with the views' stored
`lineage` parts (engines/lineage.py gives their shape), and the reads that
serve it: what a view reads, column by column, and which views read a
table's columns ("read by", one indexed query)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

LINEAGE_COLUMNS = "view_id, ordinal, source_id, view_column, source_schema, source_table, source_column, found"


def lineage_rows(definitions: str) -> str:
    """A SELECT of catalog_column_lineage rows (LINEAGE_COLUMNS) for the views
    among the definitions `definitions` yields as (table_id, source_id,
    definition): one per (output column, source column), and one with no
    output column for each column the view reads only to filter or join."""
    return f"""
        SELECT e.table_id, row_number() OVER (PARTITION BY e.table_id ORDER BY e.k, e.n), e.source_id,
               e.view_column, e.s->>'schema', e.s->>'table', e.s->>'column', coalesce(e.s->>'found', 'parsed')
        FROM (
            SELECT d.table_id, d.source_id, 0 AS k, c.n, c.col->>'name' AS view_column, s.s
            FROM ({definitions}) AS d(table_id, source_id, definition)
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(d.definition->'lineage'->'columns')
                                                              = 'array'
                                                         THEN d.definition->'lineage'->'columns' ELSE '[]' END)
                 WITH ORDINALITY AS c(col, n)
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.col->'sources') = 'array'
                                                         THEN c.col->'sources' ELSE '[]' END) AS s(s)
            UNION ALL
            SELECT d.table_id, d.source_id, 1, r.n, NULL, r.s
            FROM ({definitions}) AS d(table_id, source_id, definition)
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(d.definition->'lineage'->'reads')
                                                              = 'array'
                                                         THEN d.definition->'lineage'->'reads' ELSE '[]' END)
                 WITH ORDINALITY AS r(s, n)
            WHERE NOT EXISTS (
                SELECT 1 FROM jsonb_array_elements(d.definition->'lineage'->'columns') c(col),
                              jsonb_array_elements(c.col->'sources') s(s)
                WHERE s.s->>'schema' = r.s->>'schema' AND s.s->>'table' = r.s->>'table'
                  AND s.s->>'column' = r.s->>'column')
        ) e
        WHERE e.s->>'schema' IS NOT NULL AND e.s->>'table' IS NOT NULL AND e.s->>'column' IS NOT NULL"""


# The live views reading the columns of one table, through the index on the
# source table; a view's own id links to it.
READ_BY_SQL = """
    SELECT l.source_column, v.id, v.schema_name, v.name, l.view_column, l.found
    FROM catalog_column_lineage l JOIN catalog_tables v ON v.id = l.view_id AND v.removed_at IS NULL
    WHERE l.source_id = :sid AND l.source_schema = :schema AND l.source_table = :name
    ORDER BY l.source_column COLLATE "C", v.schema_name COLLATE "C", v.name COLLATE "C", l.ordinal"""

# The catalog ids of the live tables some edges name, to link them.
TABLE_IDS_SQL = """
    SELECT b.s, b.n, t.id
    FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
    JOIN catalog_tables t ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n AND t.removed_at IS NULL"""


def read_by(session: Session, source_id: int, schema: str, name: str) -> list[dict]:
    """Which live views read which columns of this table (a view's
    `view_column` is None where it reads the column only to filter or join)."""
    rows = session.execute(text(READ_BY_SQL), {"sid": source_id, "schema": schema, "name": name})
    return [
        {"column": c, "view_id": vid, "view_schema": vs, "view_name": vn, "view_column": vc, "found": found}
        for c, vid, vs, vn, vc, found in rows
    ]


def table_ids(session: Session, source_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(schema, name) -> catalog id of the live tables among `keys`."""
    if not keys:
        return {}
    ordered = sorted(keys)
    args = {"sid": source_id, "schemas": [k[0] for k in ordered], "names": [k[1] for k in ordered]}
    return {(s, n): i for s, n, i in session.execute(text(TABLE_IDS_SQL), args)}


def table_lineage(session: Session, source_id: int, document: dict) -> dict:
    """A table's or view's lineage answer: for a view its status, each
    output column's sources and every column it reads (each source linked to
    its catalog id where the catalog has it); for any table, the views that
    read its columns."""
    part = document.get("lineage") or {}
    columns = part.get("columns") or []
    reads = part.get("reads") or []
    edges = [s for c in columns for s in c.get("sources") or []] + list(reads)
    ids = table_ids(session, source_id, {(e["schema"], e["table"]) for e in edges})

    def linked(e: dict) -> dict:
        return {**e, "table_id": ids.get((e["schema"], e["table"]))}

    is_view = document.get("kind") in ("view", "materialized_view")
    return {
        "status": part.get("status") if part else ("unresolved" if is_view else None),
        "reason": part.get("reason")
        if part
        else (
            "no lineage read: its engine does not read it, or it was crawled before lineage was" if is_view else None
        ),
        "columns": [{**c, "sources": [linked(s) for s in c.get("sources") or []]} for c in columns],
        "reads": [linked(e) for e in reads],
        "read_by": read_by(session, source_id, document["schema"], document["name"]),
    }


LIVE_TABLE_SQL = """
    SELECT source_id, schema_name, name, kind, definition->'lineage'
    FROM catalog_tables WHERE id = :id AND removed_at IS NULL"""


def live_table_lineage(session: Session, table_id: int) -> dict | None:
    """`table_lineage` of a live table by catalog id; None if there is none."""
    row = session.execute(text(LIVE_TABLE_SQL), {"id": table_id}).first()
    if row is None:
        return None
    source_id, schema, name, kind, part = row
    document = {"schema": schema, "name": name, "kind": kind, "lineage": part}
    return {"table_id": table_id, "schema": schema, "name": name, "kind": kind} | table_lineage(
        session, source_id, document
    )
