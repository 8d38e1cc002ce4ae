"""The crawl's write path.

Batches only *stage*: tables whose fingerprint is unchanged are recorded as
seen (crawl_seen), new or changed ones are staged with their full definition
(crawl_staged_tables). `apply_crawl` then moves everything into the catalog in
one transaction with set-based SQL, so a crawl that fails never touches the
catalog, and a batch that runs twice stages the same rows again.
"""
from __future__ import annotations

import hashlib
import io
import json
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from .diff import table_changes

DEFINITION_KEYS = ("columns", "primary_key", "foreign_keys", "indexes", "constraints")


def fingerprint(doc: dict) -> str:
    """Hash of what defines a table; row counts and sizes are not part of it."""
    canon = {"kind": doc["kind"], "comment": doc.get("comment"), **{k: doc.get(k) for k in DEFINITION_KEYS}}
    return hashlib.md5(json.dumps(canon, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    s = v if isinstance(v, str) else str(v)
    return (s.replace("\x00", "").replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def copy_rows(session: Session, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows into `table` inside the session's transaction. `table` and
    `columns` are our own constants, never user input."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_copy_value(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    finally:
        cursor.close()


def stage_batch(session: Session, job_id: int, batch_no: int, source_id: int, docs: list[dict]) -> dict:
    """Stage one batch of described tables. `docs` are table documents (schema,
    name, kind, comment, row_estimate, size_bytes and the definition parts).
    Returns {"seen": n, "staged": n}."""
    session.execute(text("DELETE FROM crawl_seen WHERE job_id = :j AND batch_no = :b"), {"j": job_id, "b": batch_no})
    session.execute(text("DELETE FROM crawl_staged_tables WHERE job_id = :j AND batch_no = :b"),
                    {"j": job_id, "b": batch_no})
    if not docs:
        return {"seen": 0, "staged": 0}
    existing = {
        (r.schema_name, r.name): r for r in session.execute(text(
            "SELECT t.id, t.schema_name, t.name, t.fingerprint, t.removed_at IS NOT NULL AS removed "
            "FROM catalog_tables t JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n) "
            "ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n"),
            {"sid": source_id, "schemas": [d["schema"] for d in docs], "names": [d["name"] for d in docs]})
    }
    seen, staged = [], []
    for doc in docs:
        fp = fingerprint(doc)
        old = existing.get((doc["schema"], doc["name"]))
        if old is not None and old.fingerprint == fp and not old.removed:
            seen.append((job_id, batch_no, old.id, doc.get("row_estimate"), doc.get("size_bytes")))
        else:
            staged.append((doc, fp, old))
    changed_ids = [old.id for _, _, old in staged if old is not None and not old.removed]
    old_defs = dict(session.execute(text(
        "SELECT id, jsonb_build_object('kind', kind, 'comment', comment) || definition FROM catalog_tables "
        "WHERE id = ANY(:ids)"), {"ids": changed_ids}).all()) if changed_ids else {}
    copy_rows(session, "crawl_seen", ("job_id", "batch_no", "table_id", "row_estimate", "size_bytes"), seen)
    copy_rows(session, "crawl_staged_tables",
              ("job_id", "batch_no", "table_id", "schema_name", "name", "kind", "comment", "row_estimate",
               "size_bytes", "fingerprint", "definition", "changes"),
              ((job_id, batch_no, old.id if old else None, doc["schema"], doc["name"], doc["kind"],
                doc.get("comment"), doc.get("row_estimate"), doc.get("size_bytes"), fp,
                json.dumps({k: doc.get(k) for k in DEFINITION_KEYS}),
                json.dumps(table_changes(old_defs[old.id], doc)) if old is not None and old.id in old_defs else None)
               for doc, fp, old in staged))
    return {"seen": len(seen), "staged": len(staged)}


APPLY_STATEMENTS = [
    # 1. unchanged tables: confirmed by this crawl
    ("unchanged", """
        UPDATE catalog_tables t SET crawled_at = :now, last_seen_crawl_id = :job,
               row_estimate = s.row_estimate, size_bytes = s.size_bytes
        FROM crawl_seen s WHERE s.job_id = :job AND t.id = s.table_id"""),
    # 2. changed tables, and removed ones that came back (those count as added)
    ("changed_or_back", """
        WITH upd AS (
            UPDATE catalog_tables t SET kind = s.kind, comment = s.comment, row_estimate = s.row_estimate,
                   size_bytes = s.size_bytes, fingerprint = s.fingerprint, definition = s.definition,
                   crawled_at = :now, changed_at = :now, changed_crawl_id = :job, last_seen_crawl_id = :job,
                   first_seen_at = CASE WHEN t.removed_at IS NULL THEN t.first_seen_at ELSE :now END,
                   first_seen_crawl_id = CASE WHEN t.removed_at IS NULL THEN t.first_seen_crawl_id ELSE :job END,
                   removed_at = NULL, removed_crawl_id = NULL
            FROM crawl_staged_tables s WHERE s.job_id = :job AND s.table_id IS NOT NULL AND t.id = s.table_id
            RETURNING t.id)
        SELECT count(*) FROM upd"""),
    # 3. new tables
    ("inserted", """
        WITH ins AS (
            INSERT INTO catalog_tables (source_id, schema_name, name, kind, comment, row_estimate, size_bytes,
                fingerprint, definition, first_seen_at, crawled_at, changed_at, first_seen_crawl_id,
                changed_crawl_id, last_seen_crawl_id)
            SELECT :sid, s.schema_name, s.name, s.kind, s.comment, s.row_estimate, s.size_bytes, s.fingerprint,
                   s.definition, :now, :now, :now, :job, :job, :job
            FROM crawl_staged_tables s WHERE s.job_id = :job AND s.table_id IS NULL
            RETURNING id)
        SELECT count(*) FROM ins"""),
    # 4. the search index of columns follows the staged definitions
    ("columns_deleted", """
        DELETE FROM catalog_columns c USING crawl_staged_tables s
        WHERE s.job_id = :job AND s.table_id IS NOT NULL AND c.table_id = s.table_id"""),
    ("columns_inserted", """
        INSERT INTO catalog_columns (table_id, source_id, ordinal, name, type, comment)
        SELECT t.id, :sid, (c->>'ordinal')::int, c->>'name', c->>'type', c->>'comment'
        FROM crawl_staged_tables s
        JOIN catalog_tables t ON t.source_id = :sid AND t.schema_name = s.schema_name AND t.name = s.name
        CROSS JOIN LATERAL jsonb_array_elements(s.definition->'columns') AS c
        WHERE s.job_id = :job"""),
    # 5. what this crawl did not see is removed, only now that the crawl succeeded
    ("removed", """
        WITH rem AS (
            UPDATE catalog_tables SET removed_at = :now, removed_crawl_id = :job
            WHERE source_id = :sid AND removed_at IS NULL AND last_seen_crawl_id <> :job
            RETURNING id)
        SELECT count(*) FROM rem"""),
    ("removed_columns", """
        DELETE FROM catalog_columns c USING catalog_tables t
        WHERE t.source_id = :sid AND t.removed_crawl_id = :job AND c.table_id = t.id"""),
]


def apply_crawl(session: Session, job_id: int, source_id: int, enums: list[dict] | None) -> dict:
    """Move a finished crawl's staging into the catalog, record its change
    events, and return its stats. Runs inside the caller's transaction."""
    now = session.execute(text("SELECT now()")).scalar()
    params = {"job": job_id, "sid": source_id, "now": now}
    first_crawl = session.execute(text(
        "SELECT NOT EXISTS (SELECT 1 FROM catalog_tables WHERE source_id = :sid)"), params).scalar()
    back = session.execute(text(
        "SELECT count(*) FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id "
        "WHERE s.job_id = :job AND t.removed_at IS NOT NULL"), params).scalar()
    _record_events(session, params, first_crawl)
    counts, seconds = {}, {}
    for name, sql in APPLY_STATEMENTS:
        started = time.perf_counter()
        result = session.execute(text(sql), params)
        counts[name] = result.scalar() if result.returns_rows else result.rowcount
        seconds[name] = round(time.perf_counter() - started, 3)
    if not first_crawl:
        _link_new_table_events(session, params)
        session.execute(text(
            "INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, occurred_at) "
            "SELECT :sid, :job, id, schema_name, name, 'table_removed', :now FROM catalog_tables "
            "WHERE source_id = :sid AND removed_crawl_id = :job"), params)
    seen = session.execute(text("SELECT count(*) FROM crawl_seen WHERE job_id = :job"), params).scalar()
    stats = {"added": counts["inserted"] + back, "changed": counts["changed_or_back"] - back,
             "removed": counts["removed"], "unchanged": seen}
    if first_crawl:
        session.execute(text(
            "INSERT INTO change_events (source_id, crawl_id, event, details, occurred_at) "
            "VALUES (:sid, :job, 'source_crawled', CAST(:d AS jsonb), :now)"),
            {**params, "d": json.dumps({"tables": stats["added"]})})
    if enums is not None:
        _replace_enums(session, source_id, enums)
    return {"stats": stats, "now": now, "seconds": seconds,
            "changed": stats["added"] + stats["changed"] + stats["removed"] > 0}


def _record_events(session: Session, params: dict, first_crawl: bool) -> None:
    """Added and changed tables, read from staging before it is applied. A first
    crawl is one baseline event instead of one per table."""
    if first_crawl:
        return
    session.execute(text("""
        INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details,
                                   occurred_at)
        SELECT :sid, :job, s.table_id, s.schema_name, s.name,
               CASE WHEN s.table_id IS NULL OR t.removed_at IS NOT NULL THEN 'table_added' ELSE 'table_changed' END,
               CASE WHEN s.table_id IS NULL OR t.removed_at IS NOT NULL THEN NULL ELSE s.changes END, :now
        FROM crawl_staged_tables s LEFT JOIN catalog_tables t ON t.id = s.table_id
        WHERE s.job_id = :job"""), params)


def _link_new_table_events(session: Session, params: dict) -> None:
    """New tables get their id only when inserted: fill it into their events."""
    session.execute(text("""
        UPDATE change_events e SET table_id = t.id FROM catalog_tables t
        WHERE e.crawl_id = :job AND e.table_id IS NULL AND e.event = 'table_added'
          AND t.source_id = :sid AND t.schema_name = e.schema_name AND t.name = e.table_name"""), params)


def _replace_enums(session: Session, source_id: int, enums: list[dict]) -> None:
    session.execute(text("DELETE FROM catalog_enums WHERE source_id = :sid"), {"sid": source_id})
    if enums:
        session.execute(text(
            'INSERT INTO catalog_enums (source_id, schema_name, name, "values") '
            "SELECT :sid, e->>'schema', e->>'name', e->'values' FROM jsonb_array_elements(CAST(:enums AS jsonb)) e"),
            {"sid": source_id, "enums": json.dumps(enums)})
