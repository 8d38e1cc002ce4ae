"""What a team curated (catalog_curation), read for the exports in bulk: the
source's and its schemas' entries in one small query, and each exported
table's own entry and its columns' as SQL that the export's one streaming
query joins (the key's index: source, kind, table id).

An entry has the shape the catalog's reads give (catalog/curation):
`{"description": text or null, "tags": [{"name", "colour"}], "owners":
[{"kind": "user" | "team", "id", "name": email or team name}]}`, tags and
owners in the order the curator gave them (users first; an owner whose
account or team is gone drops out; a tag dropped from the team's list has
no colour). A curation row cleared of everything (rows are never deleted)
is no entry.
"""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..curation.read import OWNERS_JSON, TAGS_JSON

# The entry of the curation row `c` of source `s`: the tags and owners as the
# catalog's reads give them (catalog/curation/read.py), without their extras.
ENTRY = f"""jsonb_build_object('description', nullif(c.description, ''),
    'tags', {TAGS_JSON.format(c="c", s="s")}, 'owners', {OWNERS_JSON})"""
CURATED = (
    "(coalesce(c.description, '') <> '' OR cardinality(c.tags) > 0 "
    "OR cardinality(c.owner_user_ids) > 0 OR cardinality(c.owner_team_ids) > 0)"
)

# Joined to `catalog_tables t`: `cur.tab` the table's entry, `cur.cols` its
# columns' entries by name (null when none).
TABLE_LATERAL = f"""LEFT JOIN LATERAL (SELECT
        (jsonb_agg({ENTRY}) FILTER (WHERE c.kind = 'table'))->0 AS tab,
        jsonb_object_agg(c.column_name, {ENTRY}) FILTER (WHERE c.kind = 'column') AS cols
    FROM catalog_curation c
    WHERE c.source_id = t.source_id AND c.kind IN ('table', 'column') AND c.table_id = t.id
      AND {CURATED}) cur ON true"""


def curated_document(doc: str) -> str:
    """The table document `doc` (jsonb SQL, evaluated once in a lateral) with
    the table's entry as `curation` and each curated column's as the
    column's `curation`; either absent when not curated."""
    columns = """(SELECT jsonb_agg(CASE WHEN cur.cols ? (e.col->>'name')
            THEN e.col || jsonb_build_object('curation', cur.cols->(e.col->>'name')) ELSE e.col END ORDER BY e.o)
        FROM jsonb_array_elements(x.d->'columns') WITH ORDINALITY e(col, o))"""
    return f"""(x.d
        || CASE WHEN cur.tab IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('curation', cur.tab) END
        || CASE WHEN cur.cols IS NULL OR jsonb_typeof(x.d->'columns') <> 'array' THEN '{{}}'::jsonb
           ELSE jsonb_build_object('columns', {columns}) END)::text"""


def curated_from(doc_jsonb: str) -> str:
    """The FROM clause over `catalog_tables t` and `sources s` that `curated_document` reads."""
    return (
        f"catalog_tables t JOIN sources s ON s.id = t.source_id "
        f"CROSS JOIN LATERAL (SELECT {doc_jsonb} AS d) x {TABLE_LATERAL}"
    )


def jsonb_of(doc_text_sql: str) -> str:
    """A document expression of catalog/reads.py (`(...)::text`) as jsonb, without the round trip."""
    assert doc_text_sql.endswith("::text"), doc_text_sql
    return doc_text_sql.removesuffix("::text")


def scope_curation(conn: Connection, source_id: int, schema: str | None = None) -> dict:
    """The source's entry and its schemas' (only `schema`'s when given):
    `{"source": entry or None, "schemas": {name: entry}}`."""
    rows = conn.execute(
        text(
            f"SELECT c.kind, c.schema_name, ({ENTRY})::text "
            "FROM catalog_curation c JOIN sources s ON s.id = c.source_id "
            f"WHERE c.source_id = :sid AND c.kind IN ('source', 'schema') AND {CURATED} "
            "AND (c.kind = 'source' OR CAST(:schema AS text) IS NULL OR c.schema_name = :schema) "
            "ORDER BY c.schema_name"
        ),
        {"sid": source_id, "schema": schema},
    )
    out: dict = {"source": None, "schemas": {}}
    for kind, schema_name, entry in rows:
        if kind == "source":
            out["source"] = json.loads(entry)
        else:
            out["schemas"][schema_name] = json.loads(entry)
    return out


def owners(entry: dict | None) -> list[str]:
    """An entry's owners' names: the users' emails, then the teams' names."""
    return [o["name"] for o in (entry or {}).get("owners") or []]


def tags(entry: dict | None) -> list[str]:
    """An entry's tags' names."""
    return [t["name"] for t in (entry or {}).get("tags") or []]
