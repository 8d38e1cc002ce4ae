"""A whole source (or one schema of it) for the schema exports, streamed.

One query walks the source's live tables in (schema, name) order through a
server-side cursor. Besides each table's document it brings, per table and
through indexes only: the accepted inferred keys (marked `inferred`), which
of its keys point outside the export (another schema, or a table the
catalog does not have), for Markdown its `referenced_by`, and for the
formats that print it what the team curated (`curation` on the document and
on each curated column, see curation.py). The format
writers (dbml, plantuml, erd, markdown) take these rows one at a time, so
memory stays flat whatever the size of the source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..reads import DETAIL_JSON, OBJECT_ORDER, ROUTINE_KINDS, TABLE_JSON, object_item
from .curation import curated_document, curated_from, jsonb_of


@dataclass
class ExportTable:
    doc: dict  # the table's document as the schema read returns it (with referenced_by for Markdown, curation)
    inferred: list[dict]  # accepted inferred keys, shaped as foreign keys with `inferred: true`
    outside: set[tuple[str, str]]  # referenced tables not in this export

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc["schema"], self.doc["name"])

    def all_keys(self) -> list[dict]:
        """Declared foreign keys, then accepted inferred ones."""
        return list(self.doc.get("foreign_keys") or []) + self.inferred

    def drawable(self, fk: dict) -> bool:
        return (fk["referenced_schema"], fk["referenced_table"]) not in self.outside


def node_id(schema: str, name: str) -> str:
    """A diagram identifier for a table: the same for the same names, in every
    format, without keeping a map of the whole source."""
    return "t_" + hashlib.md5(f"{schema}\x00{name}".encode(), usedforsecurity=False).hexdigest()[:16]


def _in_scope(schema_sql: str, table_sql: str, schema_filter: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM catalog_tables r WHERE r.source_id = t.source_id AND r.schema_name = {schema_sql} "
        f"AND r.name = {table_sql} AND r.removed_at IS NULL{schema_filter})"
    )


def export_sql(schema: str | None, referenced_by: bool, curated: bool = False) -> str:
    schema_filter = " AND r.schema_name = :schema" if schema is not None else ""
    inferred = f"""(SELECT coalesce(jsonb_agg(jsonb_build_object(
            'name', 'inferred_' || k.column_name || '_' || k.referenced_table,
            'columns', jsonb_build_array(k.column_name),
            'referenced_schema', k.referenced_schema, 'referenced_table', k.referenced_table,
            'referenced_columns', jsonb_build_array(k.referenced_column),
            'inferred', true, 'score', k.score, 'reason', k.reason,
            'in_scope', {_in_scope("k.referenced_schema", "k.referenced_table", schema_filter)})
          ORDER BY k.column_name, k.referenced_schema, k.referenced_table), '[]')
        FROM catalog_inferred_keys k WHERE k.source_id = t.source_id AND k.schema_name = t.schema_name
          AND k.table_name = t.name AND k.decision = 'accepted')::text"""
    outside = f"""(SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array(f.referenced_schema, f.referenced_table)), '[]')
        FROM catalog_foreign_keys f WHERE f.table_id = t.id
          AND NOT {_in_scope("f.referenced_schema", "f.referenced_table", schema_filter)})::text"""
    where = "t.source_id = :sid AND t.removed_at IS NULL" + (" AND t.schema_name = :schema" if schema else "")
    doc = DETAIL_JSON if referenced_by else TABLE_JSON
    tables = "catalog_tables t JOIN sources s ON s.id = t.source_id"
    if curated:
        doc, tables = curated_document(jsonb_of(doc)), curated_from(jsonb_of(doc))
    return f"SELECT {doc}, {inferred}, {outside} FROM {tables} WHERE {where} ORDER BY t.schema_name, t.name"


def stream_export(
    conn: Connection,
    source_id: int,
    schema: str | None = None,
    *,
    referenced_by: bool = False,
    curated: bool = False,
    chunk: int = 500,
) -> Iterator[ExportTable]:
    result = conn.execution_options(stream_results=True, max_row_buffer=chunk).execute(
        text(export_sql(schema, referenced_by, curated)), {"sid": source_id, "schema": schema}
    )
    for doc, inferred, outside in result:
        keys = json.loads(inferred)
        out = {(s, n) for s, n in json.loads(outside)}
        out |= {(k["referenced_schema"], k["referenced_table"]) for k in keys if not k.pop("in_scope")}
        yield ExportTable(json.loads(doc), keys, out)


def stream_documents(conn: Connection, source_id: int, schema: str | None = None, chunk: int = 500) -> Iterator[str]:
    """The live tables' documents as JSON text, as the schema read returns them
    with what the team curated (no parsing)."""
    where = "t.source_id = :sid AND t.removed_at IS NULL" + (" AND t.schema_name = :schema" if schema else "")
    doc = jsonb_of(TABLE_JSON)
    result = conn.execution_options(stream_results=True, max_row_buffer=chunk).execute(
        text(f"SELECT {curated_document(doc)} FROM {curated_from(doc)} WHERE {where} ORDER BY t.schema_name, t.name"),
        {"sid": source_id, "schema": schema},
    )
    for (doc,) in result:
        yield doc


def stream_enums(conn: Connection, source_id: int, schema: str | None = None) -> Iterator[dict]:
    """The source's enum types (in one schema), by schema and name."""
    where = "source_id = :sid" + (" AND schema_name = :schema" if schema is not None else "")
    result = conn.execution_options(stream_results=True, max_row_buffer=500).execute(
        text(f'SELECT schema_name, name, "values" FROM catalog_enums WHERE {where} ORDER BY schema_name, name'),
        {"sid": source_id, "schema": schema},
    )
    for schema_name, name, values in result:
        yield {"schema": schema_name, "name": name, "values": list(values or [])}


# What a whole-source export carries besides tables: field -> kinds.
OBJECT_FIELDS = {"sequences": ("sequence",), "triggers": ("trigger",), "routines": ROUTINE_KINDS}


def objects(conn: Connection, source_id: int, field: str, schema: str | None = None) -> list[dict]:
    """The source's sequences, triggers or routines (`field`; in one schema)
    as the list reads answer them, without bodies: a source has far fewer of
    these than tables, so they are read whole."""
    where = "source_id = :sid AND kind = ANY(:kinds)" + (" AND schema_name = :schema" if schema is not None else "")
    rows = conn.execute(
        text(
            "SELECT kind, schema_name, table_name, name, arguments, details FROM catalog_objects "
            f"WHERE {where} ORDER BY {', '.join(OBJECT_ORDER)}"
        ),
        {"sid": source_id, "kinds": list(OBJECT_FIELDS[field]), "schema": schema},
    )
    items = [object_item(r) for r in rows]
    for item in items:
        del item["_key"]
    return items
