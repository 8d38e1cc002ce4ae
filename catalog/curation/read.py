"""Reading curation: one object, a table with its columns, many tables, as
one query each. Every read gives the same view: the curated description
(Markdown and its safe HTML), tags with their team's colours, owners with
their names, the database comment beside it, whether it is orphaned, and
who changed it last."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..timestamps import rfc3339
from .objects import NotFound, Target, presence
from .render import render_markdown

# Tags with the colour of the source's team (null for a tag since dropped
# from its list), owners with their email or team name, in stored order.
TAGS_JSON = """(SELECT coalesce(jsonb_agg(jsonb_build_object('name', g.tag, 'colour', tt.colour)
    ORDER BY g.ord), '[]') FROM unnest({c}.tags) WITH ORDINALITY g(tag, ord)
    LEFT JOIN team_tags tt ON tt.team_id = {s}.team_id AND tt.name = g.tag)"""
OWNERS_JSON = """((SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'user', 'id', ou.id, 'name', ou.email)
    ORDER BY g.ord), '[]') FROM unnest(c.owner_user_ids) WITH ORDINALITY g(id, ord) JOIN users ou ON ou.id = g.id)
 || (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'team', 'id', ot.id, 'name', ot.name)
    ORDER BY g.ord), '[]') FROM unnest(c.owner_team_ids) WITH ORDINALITY g(id, ord) JOIN teams ot ON ot.id = g.id))"""
# Whether the curated object is gone from the catalog.
ORPHANED_SQL = """CASE c.kind WHEN 'source' THEN false
    WHEN 'schema' THEN NOT EXISTS (SELECT 1 FROM catalog_tables o WHERE o.source_id = c.source_id
        AND o.schema_name = c.schema_name AND o.removed_at IS NULL)
    WHEN 'table' THEN NOT EXISTS (SELECT 1 FROM catalog_tables o WHERE o.id = c.table_id AND o.removed_at IS NULL)
    ELSE NOT EXISTS (SELECT 1 FROM catalog_columns o WHERE o.table_id = c.table_id AND o.name = c.column_name)
    END"""
CURATION_SELECT = f"""
    SELECT c.id, c.source_id, c.kind, c.schema_name, c.table_id, c.column_name, c.description,
           {TAGS_JSON.format(c="c", s="s")} AS tags, {OWNERS_JSON} AS owners, {ORPHANED_SQL} AS orphaned,
           c.updated_at, c.updated_by, u.email AS updated_by_email
    FROM catalog_curation c JOIN sources s ON s.id = c.source_id LEFT JOIN users u ON u.id = c.updated_by"""

# A table's curation in a schema page's document, built in the same statement
# (`t` the table, `s` its source): description and tags, null without any.
TABLE_CURATION_JSON = f"""(SELECT jsonb_build_object('description', c.description,
        'tags', {TAGS_JSON.format(c="c", s="s")})
    FROM catalog_curation c WHERE c.source_id = t.source_id AND c.kind = 'table' AND c.table_id = t.id
      AND c.schema_name = '' AND c.column_name = '')"""


def empty_view(comment: str | None = None, orphaned: bool = False) -> dict:
    """An object nobody curated yet."""
    return {
        "description": None,
        "description_html": None,
        "tags": [],
        "owners": [],
        "comment": comment,
        "orphaned": orphaned,
        "updated_at": None,
        "updated_by": None,
    }


def view(row, comment: str | None = None) -> dict:
    """A catalog_curation row (CURATION_SELECT) as every read shows it."""
    return {
        "description": row.description,
        "description_html": render_markdown(row.description),
        "tags": list(row.tags),
        "owners": list(row.owners),
        "comment": comment,
        "orphaned": bool(row.orphaned),
        "updated_at": rfc3339(row.updated_at),
        "updated_by": {"id": row.updated_by, "email": row.updated_by_email} if row.updated_by else None,
    }


def _rows(session: Session, where: str, params: dict):
    return session.execute(text(f"{CURATION_SELECT} WHERE {where} ORDER BY c.kind DESC, c.column_name"), params).all()


def curation_row(session: Session, source_id: int, target: Target):
    """The stored curation of one object (CURATION_SELECT's row), or None."""
    rows = _rows(
        session,
        "c.source_id = :sid AND c.kind = :kind AND c.table_id = :tid AND c.schema_name = :schema "
        "AND c.column_name = :column",
        {
            "sid": source_id,
            "kind": target.kind,
            "tid": target.table_id,
            "schema": target.schema_name,
            "column": target.column_name,
        },
    )
    return rows[0] if rows else None


def object_curation(session: Session, source_id: int, target: Target) -> dict:
    """One object's curation with its database comment. An object that is
    gone still shows its curation, orphaned; one that is gone with nothing
    curated raises NotFound naming the field (schema, table_id, column)."""
    found = presence(session, source_id, target)
    row = curation_row(session, source_id, target)
    if row is None:
        if not found.there and target.kind != "table":
            raise NotFound("schema" if target.kind == "schema" else "column", "no such object in the catalog")
        return empty_view(found.comment, orphaned=not found.there)
    return view(row, found.comment)


def table_curation(session: Session, source_id: int, table_id: int) -> tuple[dict | None, dict[str, dict]]:
    """A table's curation and its columns' by name, one query (the range
    (source, 'column', table_id) of the curation key, and the table's row).
    Views carry no comment: the table document holds it."""
    return tables_curation(session, source_id, [table_id]).get(table_id, (None, {}))


def tables_curation(
    session: Session, source_id: int, table_ids: list[int]
) -> dict[int, tuple[dict | None, dict[str, dict]]]:
    """For each of these tables, its curation and its columns' by name, in
    one query (schema pages, exports)."""
    out: dict[int, tuple[dict | None, dict[str, dict]]] = {}
    if not table_ids:
        return out
    rows = _rows(
        session,
        "c.source_id = :sid AND c.kind IN ('table', 'column') AND c.table_id = ANY(:tids)",
        {"sid": source_id, "tids": list(table_ids)},
    )
    for r in rows:
        table, columns = out.setdefault(r.table_id, (None, {}))
        if r.kind == "table":
            out[r.table_id] = (view(r), columns)
        else:
            columns[r.column_name] = view(r)
    return out


def curation_stamp(session: Session, source_id: int) -> str:
    """What changes when a source's curation (or its team's tag colours)
    does: for ETags and cache keys of the reads that show curation."""
    row = session.execute(
        text(
            "SELECT (SELECT max(updated_at) FROM catalog_curation WHERE source_id = :sid), "
            "(SELECT md5(string_agg(tt.name || tt.colour, ',' ORDER BY tt.name)) FROM team_tags tt "
            " JOIN sources s ON s.team_id = tt.team_id WHERE s.id = :sid)"
        ),
        {"sid": source_id},
    ).first()
    return f"{row[0]}|{row[1]}" if row else ""
