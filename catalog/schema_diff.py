"""Two sources' schemas compared (production against staging, say), from the
catalog alone.

One query full-joins the two sources' live tables on (schema, name) and
streams the pairs in that order through a server-side cursor; PostgreSQL
says which pairs are identical (same kind, comment and definition document),
so only differing pairs carry their definitions to Python, where
`compare_tables` describes what differs. Memory stays bounded by one pair of
definitions, whatever the size of either source.

A schema of one source may be compared with a differently named schema of
the other (`shop` against `shop_staging` on MySQL/MariaDB, where a schema is
a database): the other side's tables are read as if they were in the first
schema, and its foreign keys into its own schema as keys into the first.

A source may also be compared with itself as of an earlier crawl (`as_of`).
The other side is then the schema that crawl left, rebuilt from
catalog_table_versions: each crawl's apply copies a table's definition there
(valid from the crawl that made it until this one) just before it changes or
removes the table, so the schema as of crawl X is the live tables whose
current definition began at or before X plus the versions with
valid_from <= X < valid_to. Change events could not do this: they name a
removed column, key or index without its definition. Crawls before history
was kept (`sources.history_from_crawl_id`, set by migration 0013 to each
source's last successful crawl, else by the source's first crawl) cannot be
rebuilt, and are refused by the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .diff import COLUMN_ATTRS

# What is compared, per part of a definition; `name` matches items first.
FK_FIELDS = (
    "columns",
    "referenced_schema",
    "referenced_table",
    "referenced_columns",
    "on_update",
    "on_delete",
    "validated",
    "deferrable",
    "deferred",
    "definition",
)
INDEX_FIELDS = ("columns", "unique", "method", "predicate", "definition", "parts")
CONSTRAINT_FIELDS = ("type", "columns", "definition")
PARTS = {"foreign_keys": FK_FIELDS, "indexes": INDEX_FIELDS, "constraints": CONSTRAINT_FIELDS}

# An identifier as PostgreSQL or MySQL prints it: "quoted", `quoted` or bare.
_IDENT = r'(?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|[^\s."`(]+)'
_QUALIFIED = rf"{_IDENT}(?:\.{_IDENT})*"
_INDEX_HEAD = re.compile(
    rf"^(CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+(?:CONCURRENTLY\s+)?){_IDENT}\s+ON\s+(?:ONLY\s+)?{_QUALIFIED}",
    re.IGNORECASE,
)
_ALTER_HEAD = re.compile(rf"^ALTER\s+TABLE\s+{_QUALIFIED}", re.IGNORECASE)
_REFERENCES = re.compile(rf"REFERENCES\s+{_QUALIFIED}\s*\(", re.IGNORECASE)


def _index_body(definition: str) -> str:
    """An index's definition without its own name and its table's (qualified)
    name, which differ between two databases without the index differing."""
    body = _INDEX_HEAD.sub(r"\1ON", definition, count=1)
    return _ALTER_HEAD.sub("ALTER TABLE", body, count=1)


def _fk_body(definition: str) -> str:
    """A foreign key's definition without the referenced table's name (compared
    on its own, schema mapping applied)."""
    return _REFERENCES.sub("REFERENCES (", definition, count=1)


def _comparable(part: str, item: dict, schema_map: dict[str, str]) -> dict:
    """The fields of an item that are compared, normalised."""
    out = {f: item[f] for f in PARTS[part] if f in item}
    if part == "foreign_keys" and out.get("referenced_schema") in schema_map:
        out["referenced_schema"] = schema_map[out["referenced_schema"]]
    if isinstance(out.get("definition"), str):
        out["definition"] = (_fk_body if part == "foreign_keys" else _index_body)(out["definition"])
    return out


def _field_changes(a: dict, b: dict) -> dict:
    """Fields both sides report and that differ (a field only one crawler
    reports, such as a key's `validated` before an upgrade, is no difference)."""
    return {f: {"source": a[f], "against": b[f]} for f in a if f in b and a[f] != b[f]}


def _part_diff(part: str, mine: list[dict], theirs: list[dict], schema_map: dict[str, str]) -> dict:
    """Items matched by name, then the rest by everything but the name (a
    rename), then what is left is only in one side."""
    a = {i.get("name"): i for i in mine}
    b = {i.get("name"): i for i in theirs}
    out: dict[str, list] = {"only_in_source": [], "only_in_against": [], "different": [], "renamed": []}
    for name in a:
        if name in b:
            changes = _field_changes(_comparable(part, a[name], {}), _comparable(part, b[name], schema_map))
            if changes:
                out["different"].append({"name": name, "changes": changes})
    left_a = [i for n, i in a.items() if n not in b]
    left_b = [i for n, i in b.items() if n not in a]
    for item in left_a:
        shape = _comparable(part, item, {})
        twin = next((o for o in left_b if not _field_changes(shape, _comparable(part, o, schema_map))), None)
        if twin is None:
            out["only_in_source"].append(item)
        else:
            left_b.remove(twin)
            out["renamed"].append({"source": item.get("name"), "against": twin.get("name")})
    out["only_in_against"] = left_b
    return {k: v for k, v in out.items() if v}


def compare_tables(mine: dict, theirs: dict, schema_map: dict[str, str] | None = None) -> dict:
    """What differs between two tables' documents (kind, comment and the
    definition: columns, primary_key, foreign_keys, indexes, constraints);
    empty when nothing does. `schema_map` maps the other side's schema names
    in foreign keys onto this side's."""
    schema_map = schema_map or {}
    out: dict[str, Any] = {}
    for attr in ("kind", "comment"):
        if mine.get(attr) != theirs.get(attr):
            out[f"{attr}_different"] = {"source": mine.get(attr), "against": theirs.get(attr)}
    a_cols = {c["name"]: c for c in mine.get("columns") or []}
    b_cols = {c["name"]: c for c in theirs.get("columns") or []}
    only_a = [n for n in a_cols if n not in b_cols]
    only_b = [n for n in b_cols if n not in a_cols]
    different = []
    for name, col in a_cols.items():
        if name in b_cols:
            other = b_cols[name]
            changes = {
                attr: {"source": col.get(attr), "against": other.get(attr)}
                for attr in COLUMN_ATTRS
                if (attr in col or attr in other) and col.get(attr) != other.get(attr)
            }
            if changes:
                different.append({"name": name, "changes": changes})
    if only_a:
        out["columns_only_in_source"] = only_a
    if only_b:
        out["columns_only_in_against"] = only_b
    if different:
        out["columns_different"] = different
    pk_a, pk_b = mine.get("primary_key"), theirs.get("primary_key")
    if (pk_a or {}).get("columns") != (pk_b or {}).get("columns") or (
        pk_a and pk_b and pk_a.get("name") and pk_b.get("name") and pk_a["name"] != pk_b["name"]
    ):
        out["primary_key"] = {"source": pk_a, "against": pk_b}
    for part in PARTS:
        d = _part_diff(part, mine.get(part) or [], theirs.get(part) or [], schema_map)
        if d:
            out[part] = d
    return out


def _side(alias: str, source_param: str, schema_param: str | None, shown_schema_param: str | None) -> str:
    schema_col = f"CAST(:{shown_schema_param} AS text)" if shown_schema_param else "t.schema_name"
    where = f"t.source_id = :{source_param} AND t.removed_at IS NULL"
    if schema_param:
        where += f" AND t.schema_name = :{schema_param}"
    return (
        f"(SELECT {schema_col} AS schema_name, t.name, t.kind, t.comment, t.definition "
        f"FROM catalog_tables t WHERE {where}) {alias}"
    )


def _past_side(alias: str, schema_param: str | None, shown_schema_param: str | None) -> str:
    """Source :aid as crawl :as_of left it: live tables unchanged since, and
    the past versions that were current then."""
    schema_col = f"CAST(:{shown_schema_param} AS text)" if shown_schema_param else "t.schema_name"
    in_schema = f" AND t.schema_name = :{schema_param}" if schema_param else ""
    cols = f"{schema_col} AS schema_name, t.name, t.kind, t.comment, t.definition"
    return (
        f"(SELECT {cols} FROM catalog_tables t WHERE t.source_id = :aid AND t.removed_at IS NULL "
        f"AND t.changed_crawl_id <= :as_of{in_schema} "
        f"UNION ALL SELECT {cols} FROM catalog_table_versions t WHERE t.source_id = :aid "
        f"AND t.valid_to_crawl_id > :as_of AND t.valid_from_crawl_id <= :as_of{in_schema}) {alias}"
    )


def diff_sql(schema: str | None, against_schema: str | None, as_of: bool = False) -> str:
    mapped = schema is not None and against_schema is not None and against_schema != schema
    source_side = _side("a", "sid", "schema" if schema is not None else None, None)
    against_param = "against_schema" if against_schema is not None else None
    shown = "schema" if mapped else None
    against_side = _past_side("b", against_param, shown) if as_of else _side("b", "aid", against_param, shown)
    return f"""
    SELECT j.schema_name, j.name, j.in_a, j.in_b, j.a_kind, j.b_kind, j.same,
           CASE WHEN j.same THEN NULL ELSE j.a_doc::text END, CASE WHEN j.same THEN NULL ELSE j.b_doc::text END
    FROM (
        SELECT coalesce(a.schema_name, b.schema_name) AS schema_name, coalesce(a.name, b.name) AS name,
               a.name IS NOT NULL AS in_a, b.name IS NOT NULL AS in_b, a.kind AS a_kind, b.kind AS b_kind,
               coalesce(a.kind = b.kind AND a.comment IS NOT DISTINCT FROM b.comment
                        AND a.definition = b.definition, false) AS same,
               jsonb_build_object('kind', a.kind, 'comment', a.comment) || a.definition AS a_doc,
               jsonb_build_object('kind', b.kind, 'comment', b.comment) || b.definition AS b_doc
        FROM {source_side} FULL JOIN {against_side} ON a.schema_name = b.schema_name AND a.name = b.name
    ) j
    ORDER BY j.schema_name, j.name"""


def as_of_refused(
    source_id: int, history_from: int | None, crawl_id: int, crawl_source_id: int, state: str
) -> str | None:
    """Why crawl `crawl_id` (of source `crawl_source_id`, in `state`) cannot
    be the past side of source `source_id`'s diff, or None."""
    if crawl_source_id != source_id:
        return f"crawl {crawl_id} is a crawl of source {crawl_source_id}, not of source {source_id}"
    if state != "succeeded":
        return f"crawl {crawl_id} did not succeed ({state}): only a successful crawl left a schema to compare with"
    if history_from is None or crawl_id < history_from:
        since = f"crawl {history_from}" if history_from is not None else "its next successful crawl"
        return (
            f"crawl {crawl_id} predates this source's stored history: past definitions are kept from {since} on, "
            "earlier schemas cannot be rebuilt"
        )
    return None


def _pairs(
    conn: Connection,
    source_id: int,
    against_id: int,
    schema: str | None,
    against_schema: str | None,
    as_of: int | None,
    chunk: int,
):
    """diff_sql's rows, streamed through a server-side cursor."""
    return conn.execution_options(stream_results=True, max_row_buffer=chunk).execute(
        text(diff_sql(schema, against_schema, as_of is not None)),
        {"sid": source_id, "aid": against_id, "schema": schema, "against_schema": against_schema, "as_of": as_of},
    )


def stream_diff(
    conn: Connection,
    source_id: int,
    against_id: int,
    *,
    schema: str | None = None,
    against_schema: str | None = None,
    as_of: int | None = None,
    summary: dict[str, int] | None = None,
    chunk: int = 500,
) -> Iterator[dict]:
    """The tables that differ, in (schema, name) order: each is only in the
    source, only in the other (`against`), or in both and different. With
    `as_of` (a crawl id of `against_id`, see `as_of_refused`), the other side is that source as the crawl left it.
    The counts by status (and of identical tables, `same`) are added to
    `summary` as the stream goes."""
    if against_schema is None:
        against_schema = schema
    schema_map = {against_schema: schema} if schema is not None and against_schema not in (None, schema) else {}
    counts = summary if summary is not None else {}
    for key in ("only_in_source", "only_in_against", "different", "same"):
        counts.setdefault(key, 0)
    for schema_name, name, in_a, in_b, a_kind, b_kind, same, a_doc, b_doc in _pairs(
        conn, source_id, against_id, schema, against_schema, as_of, chunk
    ):
        if same:
            counts["same"] += 1
            continue
        entry: dict[str, Any] = {"schema": schema_name, "table": name}
        if not in_b:
            entry.update(status="only_in_source", kind=a_kind)
        elif not in_a:
            entry.update(status="only_in_against", kind=b_kind)
        else:
            changes = compare_tables(json.loads(a_doc), json.loads(b_doc), schema_map)
            if not changes:  # different documents, same schema (a mapped schema name, a newer crawler's field)
                counts["same"] += 1
                continue
            entry.update(status="different", kind=a_kind)
            entry.update(changes)
        counts[entry["status"]] += 1
        yield entry


def stream_hazards(conn: Connection, source_id: int, against_id: int, as_of: int | None = None) -> Iterator[dict]:
    """The same pairs as `stream_diff` (whole sources), read as changes from
    the other side (`against`, the past with `as_of`) to the source, each
    labelled as the crawl labels its change events (catalog.document_diff,
    the CI gate's reading): per differing table, in (schema, name) order,
    its `status`, `kind` and `findings` (document_diff.Finding). A table
    whose documents differ with no change the crawl would record is left out."""
    from .document_diff import Finding, removed_findings, table_findings

    for schema_name, name, in_a, in_b, a_kind, b_kind, same, a_doc, b_doc in _pairs(
        conn, source_id, against_id, None, None, as_of, 500
    ):
        if same:
            continue
        key = {"schema": schema_name, "name": name}
        if not in_b:
            entry = {"status": "only_in_source", "kind": a_kind}
            findings = [Finding("table_added", "safe", schema_name, name, None, f"{a_kind or 'table'} added")]
        elif not in_a:
            entry = {"status": "only_in_against", "kind": b_kind}
            findings = removed_findings({**json.loads(b_doc), **key}, None, {}, {})
        else:
            entry = {"status": "different", "kind": a_kind}
            findings = table_findings({**json.loads(b_doc), **key}, {**json.loads(a_doc), **key})
        if findings:
            yield {"schema": schema_name, "table": name, **entry, "findings": findings}
