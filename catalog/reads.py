"""The read path: schema pages, one table, search and export, answered from
the catalog alone. Table documents are assembled as JSON by PostgreSQL, so a
page of 1,000 tables is never parsed and re-serialised in Python."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .curation.read import TABLE_CURATION_JSON, table_curation
from .statistics_reads import add_statistics
from .timestamps import rfc3339_sql
from .usage.read import USAGE_OBJECT

# A live table as every read returns it (DESIGN.md), built in SQL. Every
# successful crawl confirms every live table of its source (what it does not
# see is removed), so a live table's crawled_at is its source's last success.
# Timestamps print as every API timestamp does (catalog/timestamps.py); `url`
# is the table's one address whatever its names hold (GET /api/v1/tables/{id}).
TABLE_OBJECT = f"""jsonb_build_object(
    'schema', t.schema_name, 'name', t.name, 'kind', t.kind, 'comment', t.comment,
    'row_estimate', t.row_estimate, 'row_estimate_source', t.row_estimate_source, 'size_bytes', t.size_bytes,
    'first_seen_at', {rfc3339_sql("t.first_seen_at")}, 'crawled_at', {rfc3339_sql("s.last_success_at")},
    'changed_at', {rfc3339_sql("t.changed_at")}, 'table_id', t.id, 'url', '/api/v1/tables/' || t.id)"""
TABLE_JSON = f"({TABLE_OBJECT} || t.definition)::text"
LIVE_TABLES = "catalog_tables t JOIN sources s ON s.id = t.source_id"


# A partitioned table's partitions: PostgreSQL's are tables of their own
# (counted through ix_catalog_tables_partition_of), MySQL/MariaDB's are named
# in its definition. Other tables get nothing.
PARTITION_COUNT = """(CASE WHEN t.definition ? 'partition' THEN jsonb_build_object('partition_count',
    coalesce(jsonb_array_length(t.definition->'partition'->'partitions'),
             (SELECT count(*) FROM catalog_tables p WHERE p.source_id = t.source_id
                AND p.partition_of_schema = t.schema_name AND p.partition_of_name = t.name
                AND p.removed_at IS NULL AND p.partition_of_name IS NOT NULL)))
    ELSE '{}'::jsonb END)"""
# A schema page's table also carries its curated description and tags
# (catalog/curation), null when nobody curated it: one indexed lookup per
# row inside the page's statement.
PAGE_JSON = f"""({TABLE_OBJECT} || t.definition || {PARTITION_COUNT}
    || jsonb_build_object('curation', {TABLE_CURATION_JSON}))::text"""


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
    partitions: bool = True,
) -> list[tuple[str, str, str]]:
    """Up to `limit` tables after the keyset `after`, as (schema, name, json).
    Without `partitions`, partitions are left out (a partitioned table carries
    its partition_count): the keyset then runs on the partial index
    ix_catalog_tables_source_schema_name_unpartitioned."""
    where = ["t.source_id = :sid", "t.removed_at IS NULL"]
    if not partitions:
        where.append("t.partition_of_name IS NULL")
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
        f"SELECT t.schema_name, t.name, {PAGE_JSON} FROM {LIVE_TABLES} WHERE {' AND '.join(where)} "
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


# The triggers on `t`, by name: one range of catalog_objects' primary key.
TRIGGERS_OBJECT = """jsonb_build_object('triggers', (
    SELECT coalesce(jsonb_agg(jsonb_build_object('name', o.name) || o.details ORDER BY o.name), '[]')
    FROM catalog_objects o WHERE o.source_id = t.source_id AND o.kind = 'trigger'
      AND o.schema_name = t.schema_name AND o.table_name = t.name))"""

# A table by id: its document and its triggers.
# A table's document with referenced_by (the keys that reference `t`) and its triggers.
DETAIL_JSON = f"""({TABLE_OBJECT} || t.definition || {PARTITION_COUNT} || jsonb_build_object('referenced_by', (
    SELECT coalesce(jsonb_agg({REFERENCE_OBJECT} ORDER BY r.schema_name, r.name, f.ordinal), '[]')
    FROM catalog_foreign_keys f JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    WHERE f.source_id = t.source_id AND f.referenced_schema = t.schema_name AND f.referenced_table = t.name))
    || {TRIGGERS_OBJECT})::text"""


# The table's usage statistics as its last crawl read them (null before a
# crawl has read any, and for views): kept apart from the definition. Apply
# rewrites only figures that moved, so their read_at is the source's last
# success, like a live table's crawled_at.
_ACTIVITY_COUNTS = ("rows_inserted", "rows_updated", "rows_deleted", "live_rows", "dead_rows", "next_auto_increment")
_ACTIVITY_TIMES = ("last_vacuum_at", "last_autovacuum_at", "last_analyze_at", "last_autoanalyze_at", "last_update_at")
ACTIVITY_OBJECT = f"""jsonb_build_object('activity', (
    SELECT jsonb_build_object('read_at', {rfc3339_sql("s.last_success_at")},
        {", ".join(f"'{c}', a.{c}" for c in _ACTIVITY_COUNTS)},
        {", ".join(f"'{c}', {rfc3339_sql('a.' + c)}" for c in _ACTIVITY_TIMES)})
    FROM catalog_table_activity a WHERE a.table_id = t.id))"""


def table_detail(session: Session, source_id: int, schema: str, name: str) -> str | None:
    """One live table's document with `referenced_by` (the keys of other tables
    that point at it), its `activity`, its `usage` (catalog/usage/read.py)
    and its `curation` (and each column's), as JSON text; None when the
    catalog has no such table.
    A column whose type is an enum carries its `enum_values`."""
    body = session.execute(
        text(
            f"SELECT ({DETAIL_JSON}::jsonb || {ACTIVITY_OBJECT} || {USAGE_OBJECT})::text FROM {LIVE_TABLES} "
            "WHERE t.source_id = :sid AND t.schema_name = :schema "
            "AND t.name = :name AND t.removed_at IS NULL"
        ),
        {"sid": source_id, "schema": schema, "name": name},
    ).scalar()
    if body is None:
        return None
    doc = json.loads(body)
    columns = doc.get("columns") or []
    values = column_enum_values(session, source_id, [c.get("type") or "" for c in columns])
    for c in columns:
        if c.get("type") in values:
            c["enum_values"] = values[c["type"]]
    add_curation(session, source_id, doc)
    add_statistics(session, _source_settings(session, source_id), doc)
    return json.dumps(doc)


def _source_settings(session: Session, source_id: int) -> dict | None:
    return session.execute(text("SELECT settings FROM sources WHERE id = :sid"), {"sid": source_id}).scalar()


def add_curation(session: Session, source_id: int, doc: dict) -> None:
    """The table document's `curation` and each column's (one query): the
    curated description first, the database comment beside it; null where
    nobody curated. The columns' `comment` fields stay as crawled."""
    table, columns = table_curation(session, source_id, doc["table_id"])
    if table is not None:
        table["comment"] = doc.get("comment")
    doc["curation"] = table
    for c in doc.get("columns") or []:
        curated = columns.get(c.get("name"))
        if curated is not None:
            curated["comment"] = c.get("comment")
        c["curation"] = curated


# --- sequences, triggers, routines (catalog_objects) -------------------------

ROUTINE_KINDS = ("function", "procedure", "aggregate", "window")
# The keyset of the object lists: their order, which the cursor continues.
OBJECT_ORDER = ("schema_name", "table_name", "name", "arguments", "kind")


def list_objects(
    session: Session,
    source_id: int,
    kinds: tuple[str, ...],
    *,
    schema: str | None = None,
    table: str | None = None,
    q: str | None = None,
    body: bool = False,
    after: tuple | None = None,
    limit: int = 100,
) -> list[dict]:
    """A page of a source's objects of these kinds, by schema, table, name,
    arguments and kind, after the keyset `after`. `q`: a case-insensitive
    name substring. `body`: with routines' bodies (large, so only on request)."""
    where = ["source_id = :sid", "kind = ANY(:kinds)"]
    params: dict = {"sid": source_id, "kinds": list(kinds), "limit": limit}
    if schema is not None:
        where.append("schema_name = :schema")
        params["schema"] = schema
    if table is not None:
        where.append("table_name = :table")
        params["table"] = table
    if q:
        where.append("lower(name) LIKE :q ESCAPE '\\'")
        params["q"] = like_pattern(q)
    if after is not None:
        where.append(f"({', '.join(OBJECT_ORDER)}) > (:a0, :a1, :a2, :a3, :a4)")
        params.update({f"a{i}": v for i, v in enumerate(after)})
    rows = session.execute(
        text(
            f"SELECT kind, schema_name, table_name, name, arguments, details, {'body' if body else 'NULL AS body'} "
            f"FROM catalog_objects WHERE {' AND '.join(where)} ORDER BY {', '.join(OBJECT_ORDER)} LIMIT :limit"
        ),
        params,
    )
    return [object_item(r, body) for r in rows]


def object_item(r, body: bool = False) -> dict:
    """A catalog_objects row as the API answers it (with `_key`, its keyset position)."""
    item = {"kind": r.kind, "schema": r.schema_name, "name": r.name, **(r.details or {})}
    if r.kind == "trigger":
        item["table"] = r.table_name
    if r.kind in ROUTINE_KINDS:
        item["arguments"] = r.arguments
        if body:
            item["body"] = r.body
    item["_key"] = [r.schema_name, r.table_name, r.name, r.arguments, r.kind]
    return item


# Extensions, domains, collations and text-search configurations, as a
# source's page shows them (engines/schema_objects.py's kinds).
SCHEMA_OBJECT_KINDS = ("extension", "domain", "collation", "text_search_configuration")


def schema_objects(session: Session, source_id: int, limit: int = 200) -> dict[str, list[dict]]:
    """The first `limit` of each of SCHEMA_OBJECT_KINDS, by kind (the lists'
    own order), and of its enum types (`enum`, with their comments); kinds
    the source has none of are left out."""
    enums = source_enums(session, source_id, inline=False)[:limit]
    out: dict[str, list[dict]] = {"enum": enums} if enums else {}
    for kind in SCHEMA_OBJECT_KINDS:
        items = list_objects(session, source_id, (kind,), limit=limit)
        if items:
            out[kind] = items
    return out


def schema_comment(session: Session, source_id: int, schema: str) -> str | None:
    """A schema's comment as the last crawl read it (None: none, or not PostgreSQL)."""
    return session.execute(
        text(
            "SELECT details->>'comment' FROM catalog_objects WHERE source_id = :sid AND kind = 'schema' "
            "AND schema_name = :schema AND table_name = '' AND name = :schema AND arguments = ''"
        ),
        {"sid": source_id, "schema": schema},
    ).scalar()


# MySQL/MariaDB inline types: enum('a','b''c') and set('x','y'), as COLUMN_TYPE prints them.
_INLINE_ENUM = re.compile(r"^(enum|set)\((.*)\)$", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def inline_enum(type_: str) -> tuple[str, list[str]] | None:
    """("enum" or "set", values) of a MySQL/MariaDB inline enum or set type."""
    m = _INLINE_ENUM.match(type_ or "")
    if m is None:
        return None
    return m.group(1).lower(), [v.replace("''", "'").replace("\\\\", "\\") for v in _QUOTED.findall(m.group(2))]


def column_enum_values(session: Session, source_id: int, types: list[str]) -> dict[str, list[str]]:
    """Values per column type among `types` that is an enum: a PostgreSQL
    enum type of the source (catalog_enums, as the UI reads them) or a
    MySQL/MariaDB inline enum(...)/set(...)."""
    from .overview import enum_values  # the UI's lookup of enum types, shared

    found = {t: parsed[1] for t in types if (parsed := inline_enum(t)) is not None}
    others = sorted({t for t in types if t and t not in found})
    found.update(enum_values(session, source_id, others))
    return found


# A source's enums: PostgreSQL enum types (catalog_enums), then MySQL/MariaDB
# inline enum(...)/set(...) columns of its live tables (catalog_columns, read
# through the source's tables: the column rows are keyed by table).
ENUM_TYPES_SQL = """
    SELECT schema_name, name, "values", comment FROM catalog_enums WHERE source_id = :sid
    ORDER BY schema_name COLLATE "C", name COLLATE "C"
"""
INLINE_ENUMS_SQL = """
    SELECT t.schema_name, t.name, c.name AS column_name, c.type
    FROM catalog_tables t JOIN catalog_columns c ON c.table_id = t.id
    WHERE t.source_id = :sid AND t.removed_at IS NULL
      AND (lower(c.type) LIKE 'enum(%' OR lower(c.type) LIKE 'set(%')
    ORDER BY t.schema_name COLLATE "C", t.name COLLATE "C", c.ordinal"""


def source_enums(session: Session, source_id: int, inline: bool) -> list[dict]:
    """Every enum of a source: its enum types, and (`inline`: MySQL/MariaDB)
    each enum or set column with its values."""
    out = [
        {
            "kind": "enum",
            "schema": r.schema_name,
            "name": r.name,
            "values": list(r.values or []),
            "table": None,
            "column": None,
            "comment": r.comment,
        }  # fmt: skip
        for r in session.execute(text(ENUM_TYPES_SQL), {"sid": source_id})
    ]
    if inline:
        for r in session.execute(text(INLINE_ENUMS_SQL), {"sid": source_id}):
            parsed = inline_enum(r.type)
            if parsed is not None:
                out.append(
                    {
                        "kind": parsed[0],
                        "schema": r.schema_name,
                        "name": r.type,
                        "values": parsed[1],
                        "table": r.name,
                        "column": r.column_name,
                        "comment": None,
                    }  # fmt: skip
                )
    return out


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


def live_table_key(session: Session, table_id: int):
    """A live table's (source_id, schema_name, name) by its id; None once removed or never."""
    return session.execute(
        text("SELECT source_id, schema_name, name FROM catalog_tables WHERE id = :id AND removed_at IS NULL"),
        {"id": table_id},
    ).first()


def table_source_id(session: Session, table_id: int) -> int | None:
    """The source of a table by its id, also once it has been removed (its history stays readable)."""
    return session.execute(text("SELECT source_id FROM catalog_tables WHERE id = :id"), {"id": table_id}).scalar()


def insight_run(session: Session, source_id: int):
    """When a source's insights were last computed and the newest crawl they
    reflect (computed_at, crawl_id); None before the first run."""
    return session.execute(
        text("SELECT computed_at, crawl_id FROM catalog_insight_runs WHERE source_id = :sid"), {"sid": source_id}
    ).first()
