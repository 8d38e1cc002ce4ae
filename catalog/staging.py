"""A crawl's staging: what its batches found, before the finish applies it.

Batches only *stage*: tables whose target signature or fingerprint is
unchanged are recorded as seen (crawl_seen), new or changed ones are staged
with their full definition (crawl_staged_tables) and their column rows
(crawl_staged_columns), and every seen table's usage statistics
(crawl_staged_activity) and column statistics (crawl_staged_statistics).
The finish (catalog/apply.py) then moves everything into the catalog in
one transaction with set-based SQL, so a crawl that fails never touches
the catalog, and a batch that runs twice stages the same rows again. An
ended crawl's staging is dropped (`drop_staging`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from .column_statistics import STAGED_COLUMNS as STATISTICS_COLUMNS
from .column_statistics import statistics_rows
from .diff import (
    as_read_now,
    column_renames,
    only_fields_added,
    table_changes,
    with_columns_renamed,
    with_parts_qualified,
    with_table_renamed,
)
from .models import STAGING_TABLES, Base

DEFINITION_KEYS = ("columns", "primary_key", "foreign_keys", "indexes", "constraints")
# Stored (and fingerprinted) only where a table has them: a view's SQL and
# dependencies, a partitioned table's key, a partition's parent and bounds,
# what the engine could not describe (a broken view's warnings), a view's column lineage.
# A plain table's fingerprint and document stay what they were.
OPTIONAL_KEYS = (
    "definition",
    "depends_on",
    "partition",
    "partition_of",
    "bounds",
    "warnings",
    "lineage",
    "engine",
    "collation",
    "view_options",
)

# catalog_table_activity's columns besides table_id, as TableActivity names them.
ACTIVITY_FIELDS = (
    "read_at",
    "rows_inserted",
    "rows_updated",
    "rows_deleted",
    "live_rows",
    "dead_rows",
    "last_vacuum_at",
    "last_autovacuum_at",
    "last_analyze_at",
    "last_autoanalyze_at",
    "last_update_at",
    "seq_scans",
    "seq_rows_read",
    "index_scans",
    "index_rows_fetched",
    "stats_reset_at",
    "next_auto_increment",
)

INDEX_USAGE_COLUMNS = ("job_id", "batch_no", "table_id", "index_name", "scans", "last_scan_at")

SEEN_COLUMNS = (
    "job_id",
    "batch_no",
    "table_id",
    "row_estimate",
    "size_bytes",
    "signature",
    "row_estimate_source",
    "object_id",
)
STAGED_TABLE_COLUMNS = (
    "job_id",
    "batch_no",
    "table_id",
    "is_new",
    "schema_name",
    "name",
    "kind",
    "comment",
    "row_estimate",
    "size_bytes",
    "row_estimate_source",
    "fingerprint",
    "signature",
    "definition",
    "changes",
    "object_id",
    "renamed_from",
)
STAGED_COLUMN_COLUMNS = ("job_id", "table_id", "ordinal", "name", "type", "comment")


_stdlib_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _dumps(value) -> str:
    """Key-sorted compact JSON, byte for byte what the stdlib encoder above
    writes (fingerprints hash it: a different text would make every table
    look changed), through orjson (10 times faster; 0.5 s a batch of 2,000
    tables with the stdlib). They differ on non-ASCII text and DEL (the
    stdlib escapes them as \\uXXXX), integers past 64 bits and keys that are
    not strings (orjson refuses them): those take the stdlib's path; and on
    floats in exponent form, which table documents do not hold."""
    try:
        out = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _stdlib_dumps(value)
    return out.decode() if out.isascii() and b"\x7f" not in out else _stdlib_dumps(value)


def encode_definition(doc: dict) -> tuple[str, str]:
    """(fingerprint, definition JSON) of a table document, each part
    serialised once. The fingerprint hashes what defines the table (kind,
    comment and DEFINITION_KEYS, as one key-sorted JSON object); row counts
    and sizes are not part of it."""
    parts = {k: _dumps(doc.get(k)) for k in DEFINITION_KEYS}
    parts.update({k: _dumps(doc[k]) for k in OPTIONAL_KEYS if doc.get(k) is not None})
    stored = sorted(parts)
    parts["kind"], parts["comment"] = _dumps(doc["kind"]), _dumps(doc.get("comment"))
    canon = "{" + ",".join(f'"{k}":{parts[k]}' for k in sorted(parts)) + "}"
    definition = "{" + ",".join(f'"{k}":{parts[k]}' for k in stored) + "}"
    return hashlib.md5(canon.encode(), usedforsecurity=False).hexdigest(), definition


def copy_rows(session: Session, table: str, columns: tuple[str, ...], rows, not_null: tuple[str, ...] = ()) -> None:
    """COPY rows into `table` inside the session's transaction, in CSV (the
    csv module quotes in C; an unquoted empty field is NULL, a quoted one an
    empty string). `table` and `columns` are our own constants, never user
    input. PostgreSQL text cannot hold NUL, so NULs are dropped. Rows end
    in CRLF because the csv module quotes a field only for the characters of
    its line terminator: with a line feed alone, a name holding a lone carriage
    return went out unquoted and COPY refused the whole batch. The csv module
    writes an empty string unquoted, so the `not_null` columns read an empty
    field as '' (FORCE_NOT_NULL): a SQLite view's computed column has no type."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue()
    if "\x00" in data:
        data = data.replace("\x00", "")
    dbapi = session.connection().connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the catalog connection is closed")
    cursor = dbapi.cursor()
    try:
        force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})"
        cursor.copy_expert(sql, io.StringIO(data))
    finally:
        cursor.close()


@dataclass(frozen=True)
class Known:
    """A table the catalog already has for the source."""

    id: int
    fingerprint: str
    signature: str | None
    removed: bool
    object_id: int | None = None


def known_tables(session: Session, source_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Known]:
    """The catalog's rows for these (schema, name) pairs, in one indexed query."""
    if not keys:
        return {}
    rows = session.execute(
        text(
            "SELECT t.id, t.schema_name, t.name, t.fingerprint, t.signature, t.removed_at IS NOT NULL AS removed, "
            "t.object_id "
            "FROM catalog_tables t JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n) "
            "ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n"
        ),
        {"sid": source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
    )
    return {(r.schema_name, r.name): Known(r.id, r.fingerprint, r.signature, r.removed, r.object_id) for r in rows}


def renamed_from(session: Session, job_id: int, staged: list[Staged]) -> dict[int, Known]:
    """The live catalog rows holding, under another name, the stable id of a
    staged table that the catalog has no live row for by name: object id ->
    that row. What the batch stages as a rename; the apply accepts it only
    when that row is seen under no name of its own in the crawl
    (catalog/renames.py)."""
    oids = [
        s.doc["object_id"] for s in staged if s.doc.get("object_id") is not None and (s.old is None or s.old.removed)
    ]
    if not oids:
        return {}
    rows = session.execute(
        text(
            "SELECT t.id, t.fingerprint, t.signature, t.object_id FROM catalog_tables t "
            "JOIN crawl_jobs j ON j.id = :job AND t.source_id = j.source_id "
            "WHERE t.removed_at IS NULL AND t.object_id = ANY(CAST(:oids AS bigint[]))"
        ),
        {"job": job_id, "oids": oids},
    )
    return {r.object_id: Known(r.id, r.fingerprint, r.signature, False, r.object_id) for r in rows}


def stage_activity(session: Session, job_id: int, batch_no: int, ids: dict, activity: dict) -> None:
    """COPY the usage statistics the batch read (`activity`: (schema, name) ->
    TableActivity) for the tables it saw (`ids`: (schema, name) -> catalog id)."""
    rows = [
        (job_id, batch_no, ids[key], *(getattr(a, f) for f in ACTIVITY_FIELDS))
        for key, a in activity.items()
        if key in ids
    ]
    if rows:
        copy_rows(session, "crawl_staged_activity", ("job_id", "batch_no", "table_id", *ACTIVITY_FIELDS), rows)
    # each index's scans (TableActivity.indexes), for the same tables
    index_rows = [
        (job_id, batch_no, ids[key], i.name, i.scans, i.last_scan_at)
        for key, a in activity.items()
        if key in ids
        for i in getattr(a, "indexes", None) or ()
    ]
    if index_rows:
        copy_rows(session, "crawl_staged_index_usage", INDEX_USAGE_COLUMNS, index_rows)


def stage_statistics(session: Session, job_id: int, batch_no: int, ids: dict, statistics: dict) -> None:
    """COPY the column statistics the batch read (`statistics`: (schema, name)
    -> [ColumnStatistics]) for the tables it saw."""
    rows = statistics_rows(job_id, batch_no, ids, statistics)
    if rows:
        copy_rows(session, "crawl_staged_statistics", STATISTICS_COLUMNS, rows)


def unchanged_by_signature(known: dict[tuple[str, str], Known], signatures: dict | None) -> dict:
    """The tables whose target signature equals the stored one: unchanged
    without being described. `signatures` maps (schema, name) to
    (signature, row_estimate, size_bytes), or is None when the engine has none."""
    if not signatures:
        return {}
    return {
        key: sig
        for key, sig in signatures.items()
        if (k := known.get(key)) is not None and not k.removed and k.signature is not None and k.signature == sig[0]
    }


@dataclass(frozen=True)
class Staged:
    """A described table to stage whole: new (`old` None) or changed."""

    doc: dict
    fingerprint: str
    definition: str
    signature: str | None
    old: Known | None


def stage_batch(
    session: Session,
    job_id: int,
    batch_no: int,
    known: dict[tuple[str, str], Known],
    by_signature: dict,
    described: list[tuple[dict, str | None]],
    activity: dict | None = None,
    statistics: dict | None = None,
) -> dict:
    """Stage one batch inside the caller's transaction (after catalog.jobs.claim_batch).

    `by_signature`: tables found unchanged by their signature (not described);
    `described`: (table document, signature) of the others, the signature
    taken in the same snapshot as the document (a signature from an earlier
    snapshot could hide a change made between the two reads forever). A
    described table whose fingerprint is unchanged is only marked seen; new
    and changed ones are staged whole, with their column rows. Returns
    {"seen": n, "staged": n}.
    """
    ids = {key: known[key].id for key in by_signature}
    seen, staged = _sort_batch(job_id, batch_no, known, by_signature, described, ids)
    new_ids = _allocate_ids(session, sum(1 for s in staged if s.old is None))
    renames = renamed_from(session, job_id, staged)
    old_defs = _stored_definitions(
        session,
        [s.old.id for s in staged if s.old is not None and not s.old.removed] + [k.id for k in renames.values()],
    )
    copy_rows(session, "crawl_seen", SEEN_COLUMNS, seen)
    table_rows: list[tuple] = []
    column_rows: list[tuple] = []
    for s in staged:
        table_id = s.old.id if s.old is not None else next(new_ids)
        ids[(s.doc["schema"], s.doc["name"])] = table_id
        table_rows.append(_staged_table_row(job_id, batch_no, table_id, s, old_defs, renames))
        column_rows.extend(
            (job_id, table_id, c["ordinal"], c["name"], c["type"], c.get("comment")) for c in s.doc.get("columns") or ()
        )
    copy_rows(session, "crawl_staged_tables", STAGED_TABLE_COLUMNS, table_rows)
    stage_activity(session, job_id, batch_no, ids, activity or {})
    copy_rows(session, "crawl_staged_columns", STAGED_COLUMN_COLUMNS, column_rows, not_null=("type",))
    stage_statistics(session, job_id, batch_no, ids, statistics or {})
    return {"seen": len(seen), "staged": len(staged)}


def _sort_batch(
    job_id: int,
    batch_no: int,
    known: dict[tuple[str, str], Known],
    by_signature: dict,
    described: list[tuple[dict, str | None]],
    ids: dict,
) -> tuple[list[tuple], list[Staged]]:
    """(crawl_seen rows, tables to stage whole): the tables unchanged by
    signature or by fingerprint are seen (their ids noted in `ids`), the
    rest are staged."""
    seen = [
        (job_id, batch_no, known[key].id, s.row_estimate, s.size_bytes, s.signature, s.row_estimate_source,
         getattr(s, "object_id", None))
        for key, s in by_signature.items()
    ]  # fmt: skip
    staged = []
    for doc, sig in described:
        key = (doc["schema"], doc["name"])
        (fp, definition), old = encode_definition(doc), known.get(key)
        if old is not None and old.fingerprint == fp and not old.removed:
            ids[key] = old.id
            seen.append(
                (job_id, batch_no, old.id, doc.get("row_estimate"), doc.get("size_bytes"), sig,
                 doc.get("row_estimate_source"), doc.get("object_id"))
            )  # fmt: skip
        else:
            staged.append(Staged(doc, fp, definition, sig, old))
    return seen, staged


def _allocate_ids(session: Session, new: int) -> Iterator[int]:
    """Catalog ids for a batch's new tables, from catalog_tables' own sequence."""
    if not new:
        return iter(())
    return iter(
        session.execute(
            text("SELECT nextval(pg_get_serial_sequence('catalog_tables', 'id')) FROM generate_series(1, :n)"),
            {"n": new},
        )
        .scalars()
        .all()
    )


def _stored_definitions(session: Session, changed_ids: list[int]) -> dict[int, dict]:
    """The stored documents (kind, comment and definition) of the live tables
    a batch changed, to tell what changed."""
    if not changed_ids:
        return {}
    return dict(
        session.execute(
            text(
                "SELECT id, jsonb_build_object('kind', kind, 'comment', comment) || definition FROM catalog_tables "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": changed_ids},
        ).all()
    )


def _staged_table_row(
    job_id: int, batch_no: int, table_id: int, s: Staged, old_defs: dict[int, dict], renames: dict[int, Known]
) -> tuple:
    """A crawl_staged_tables row (STAGED_TABLE_COLUMNS), with what changed:
    against the live row of the same name, or against the live row a renamed
    table was (`renames`: object id -> row). Where both are the same object
    on the target (equal stable ids), a column with the same ordinal (its
    stable id: PostgreSQL's attnum) under a new name is a rename, listed as
    `columns_renamed` and not as one column removed and one added."""
    doc, changes, oid = s.doc, None, s.doc.get("object_id")
    was = renames.get(oid) if oid is not None and (s.old is None or s.old.removed) else None
    compared = was or (s.old if s.old is not None and not s.old.removed else None)
    if compared is not None and compared.id in old_defs:
        before = old_defs[compared.id]
        moved = column_renames(before, doc) if oid is not None and compared.object_id == oid else []
        before = with_parts_qualified(as_read_now(with_columns_renamed(before, moved), doc), doc)
        if was is not None:
            before = with_table_renamed(before, doc)
        # NULL changes on a live table: only newly reported fields (no event)
        upgraded = not moved and was is None and only_fields_added(before, {k: doc.get(k) for k in before})
        changes = None if upgraded else table_changes(before, doc)
        if moved:
            changes = {**(changes or {}), "columns_renamed": moved}
    return (
        job_id,
        batch_no,
        table_id,
        s.old is None,
        doc["schema"],
        doc["name"],
        doc["kind"],
        doc.get("comment"),
        doc.get("row_estimate"),
        doc.get("size_bytes"),
        doc.get("row_estimate_source"),
        s.fingerprint,
        s.signature,
        s.definition,
        None if changes is None else json.dumps(changes),
        oid,
        None if was is None else was.id,
    )


def drop_staging(session: Session, *job_ids: int) -> None:
    """Forget what these crawls staged."""
    for name in STAGING_TABLES:
        table = Base.metadata.tables[name]
        session.execute(delete(table).where(table.c.job_id.in_(job_ids)))


def jobs_with_staging(session: Session, job_ids: list[int]) -> set[int]:
    """Which of these crawls have rows left in staging."""
    left: set[int] = set()
    for name in STAGING_TABLES:
        table = Base.metadata.tables[name]
        left.update(session.execute(select(table.c.job_id).distinct().where(table.c.job_id.in_(job_ids))).scalars())
    return left
