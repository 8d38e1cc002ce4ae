"""The crawl's write path.

Batches only *stage*: tables whose target signature or fingerprint is
unchanged are recorded as seen (crawl_seen), new or changed ones are staged
with their full definition (crawl_staged_tables) and their column rows
(crawl_staged_columns). `apply_crawl` then moves everything into the catalog in
one transaction with set-based SQL, so a crawl that fails never touches the
catalog, and a batch that runs twice stages the same rows again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, CursorResult, text
from sqlalchemy.orm import Session

from .diff import only_fields_added, table_changes

DEFINITION_KEYS = ("columns", "primary_key", "foreign_keys", "indexes", "constraints")
# Stored (and fingerprinted) only where a table has them: a view's SQL and
# dependencies, a partitioned table's key, a partition's parent and bounds,
# what the engine could not describe (a broken view's warnings).
# A plain table's fingerprint and document stay what they were.
OPTIONAL_KEYS = ("definition", "depends_on", "partition", "partition_of", "bounds", "warnings")


_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


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


def copy_rows(session: Session, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows into `table` inside the session's transaction, in CSV (the
    csv module quotes in C; an unquoted empty field is NULL, a quoted one an
    empty string). `table` and `columns` are our own constants, never user
    input. PostgreSQL text cannot hold NUL, so NULs are dropped. Rows end
    in CRLF because the csv module quotes a field only for the characters of
    its line terminator: with a line feed alone, a name holding a lone carriage
    return went out unquoted and COPY refused the whole batch."""
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
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", io.StringIO(data))
    finally:
        cursor.close()


@dataclass(frozen=True)
class Known:
    """A table the catalog already has for the source."""

    id: int
    fingerprint: str
    signature: str | None
    removed: bool


def known_tables(session: Session, source_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Known]:
    """The catalog's rows for these (schema, name) pairs, in one indexed query."""
    if not keys:
        return {}
    rows = session.execute(
        text(
            "SELECT t.id, t.schema_name, t.name, t.fingerprint, t.signature, t.removed_at IS NOT NULL AS removed "
            "FROM catalog_tables t JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n) "
            "ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n"
        ),
        {"sid": source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
    )
    return {(r.schema_name, r.name): Known(r.id, r.fingerprint, r.signature, r.removed) for r in rows}


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


def stage_batch(
    session: Session,
    job_id: int,
    batch_no: int,
    known: dict[tuple[str, str], Known],
    by_signature: dict,
    described: list[tuple[dict, str | None]],
    activity: dict | None = None,
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
    seen = [
        (job_id, batch_no, known[key].id, s.row_estimate, s.size_bytes, s.signature, s.row_estimate_source)
        for key, s in by_signature.items()
    ]
    ids = {key: known[key].id for key in by_signature}
    staged = []
    for doc, sig in described:
        key = (doc["schema"], doc["name"])
        (fp, definition), old = encode_definition(doc), known.get(key)
        if old is not None and old.fingerprint == fp and not old.removed:
            ids[key] = old.id
            seen.append(
                (
                    job_id,
                    batch_no,
                    old.id,
                    doc.get("row_estimate"),
                    doc.get("size_bytes"),
                    sig,
                    doc.get("row_estimate_source"),
                )
            )
        else:
            staged.append((doc, fp, definition, sig, old))
    new = sum(1 for *_, old in staged if old is None)
    new_ids = iter(
        session.execute(
            text("SELECT nextval(pg_get_serial_sequence('catalog_tables', 'id')) FROM generate_series(1, :n)"),
            {"n": new},
        )
        .scalars()
        .all()
        if new
        else ()
    )
    changed_ids = [old.id for *_, old in staged if old is not None and not old.removed]
    old_defs: dict[int, dict] = (
        dict(
            session.execute(
                text(
                    "SELECT id, jsonb_build_object('kind', kind, 'comment', comment) || definition FROM catalog_tables "
                    "WHERE id = ANY(:ids)"
                ),
                {"ids": changed_ids},
            ).all()
        )
        if changed_ids
        else {}
    )
    copy_rows(
        session,
        "crawl_seen",
        ("job_id", "batch_no", "table_id", "row_estimate", "size_bytes", "signature", "row_estimate_source"),
        seen,
    )
    table_rows: list[tuple] = []
    column_rows: list[tuple] = []
    for doc, fp, definition, sig, old in staged:
        table_id = old.id if old is not None else next(new_ids)
        ids[(doc["schema"], doc["name"])] = table_id
        changes = None
        if old is not None and old.id in old_defs:
            before = old_defs[old.id]
            # NULL changes on a live table: only newly reported fields (no event)
            upgraded = only_fields_added(before, {k: doc.get(k) for k in before})
            changes = None if upgraded else table_changes(before, doc)
        table_rows.append(
            (
                job_id,
                batch_no,
                table_id,
                old is None,
                doc["schema"],
                doc["name"],
                doc["kind"],
                doc.get("comment"),
                doc.get("row_estimate"),
                doc.get("size_bytes"),
                doc.get("row_estimate_source"),
                fp,
                sig,
                definition,
                None if changes is None else json.dumps(changes),
            )
        )
        column_rows.extend(
            (job_id, table_id, c["ordinal"], c["name"], c["type"], c.get("comment")) for c in doc.get("columns") or ()
        )
    copy_rows(
        session,
        "crawl_staged_tables",
        (
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
        ),
        table_rows,
    )
    stage_activity(session, job_id, batch_no, ids, activity or {})
    copy_rows(
        session, "crawl_staged_columns", ("job_id", "table_id", "ordinal", "name", "type", "comment"), column_rows
    )
    return {"seen": len(seen), "staged": len(staged)}


# "deferrable" is a reserved word in PostgreSQL: quoted in a column list.
FOREIGN_KEY_COLUMNS = (
    "table_id, ordinal, source_id, name, columns, referenced_schema, referenced_table, referenced_columns, "
    'on_update, on_delete, definition, validated, "deferrable", deferred'
)


def foreign_key_rows(definitions: str) -> str:
    """A SELECT of catalog_foreign_keys rows (FOREIGN_KEY_COLUMNS) for the
    foreign keys of the definitions `definitions` yields as (table_id,
    source_id, definition); migration 0007 backfilled with the same text."""
    return f"""
        SELECT d.table_id, k.ord, d.source_id, k.fk->>'name', coalesce(k.fk->'columns', '[]'),
               k.fk->>'referenced_schema', k.fk->>'referenced_table', coalesce(k.fk->'referenced_columns', '[]'),
               k.fk->>'on_update', k.fk->>'on_delete', k.fk->>'definition', CAST(k.fk->>'validated' AS boolean),
               CAST(k.fk->>'deferrable' AS boolean), CAST(k.fk->>'deferred' AS boolean)
        FROM ({definitions}) AS d(table_id, source_id, definition)
        CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(d.definition->'foreign_keys') = 'array'
                                                     THEN d.definition->'foreign_keys' ELSE '[]' END)
             WITH ORDINALITY AS k(fk, ord)
        WHERE k.fk->>'referenced_schema' IS NOT NULL AND k.fk->>'referenced_table' IS NOT NULL"""


# The source's live tables this crawl did not see. A set difference, not NOT
# EXISTS: the planner's statistics predate the rows the apply transaction
# inserts, and with correlated anti-joins it once chose a quadratic plan
# (minutes at 100,000 tables).
UNSEEN_TABLES = """
    SELECT id FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL
    EXCEPT SELECT table_id FROM crawl_seen WHERE job_id = :job
    EXCEPT SELECT table_id FROM crawl_staged_tables WHERE job_id = :job"""

# A past version of catalog_tables row `t`: valid from the crawl that made
# its current definition until this one, which changes or removes it.
VERSION_COLUMNS = (
    "table_id, valid_to_crawl_id, valid_from_crawl_id, source_id, schema_name, name, kind, comment, definition"
)
VERSION_VALUES = "t.id, :job, t.changed_crawl_id, t.source_id, t.schema_name, t.name, t.kind, t.comment, t.definition"

STAGED_DEFINITIONS = "SELECT table_id, CAST(:sid AS bigint), definition FROM crawl_staged_tables WHERE job_id = :job"

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
)

APPLY_STATEMENTS = [
    # 1. unchanged tables: only their sizes and signatures move (a live table's
    #    crawled_at is its source's last successful crawl, not stored per row)
    (
        "unchanged",
        """
        UPDATE catalog_tables t SET row_estimate = s.row_estimate, size_bytes = s.size_bytes,
               signature = s.signature, row_estimate_source = s.row_estimate_source
        FROM crawl_seen s WHERE s.job_id = :job AND t.id = s.table_id
          AND (t.row_estimate, t.size_bytes, t.signature, t.row_estimate_source)
              IS DISTINCT FROM (s.row_estimate, s.size_bytes, s.signature, s.row_estimate_source)
        """,
    ),
    # 2. changed tables, and removed ones that came back (those count as added);
    #    a live table's definition is kept first as a past version (a removed
    #    one's was kept when it was removed)
    (
        "versions_changed",
        f"""
        INSERT INTO catalog_table_versions ({VERSION_COLUMNS})
        SELECT {VERSION_VALUES}
        FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id
        WHERE s.job_id = :job AND NOT s.is_new AND t.removed_at IS NULL""",
    ),
    (
        "changed_or_back",
        """
        WITH upd AS (
            UPDATE catalog_tables t SET kind = s.kind, comment = s.comment, row_estimate = s.row_estimate,
                   size_bytes = s.size_bytes, row_estimate_source = s.row_estimate_source,
                   fingerprint = s.fingerprint, signature = s.signature,
                   definition = s.definition, crawled_at = :now, changed_at = :now, changed_crawl_id = :job,
                   partition_of_schema = s.definition->'partition_of'->>'schema',
                   partition_of_name = s.definition->'partition_of'->>'table',
                   first_seen_at = CASE WHEN t.removed_at IS NULL THEN t.first_seen_at ELSE :now END,
                   first_seen_crawl_id = CASE WHEN t.removed_at IS NULL THEN t.first_seen_crawl_id ELSE :job END,
                   removed_at = NULL, removed_crawl_id = NULL
            FROM crawl_staged_tables s WHERE s.job_id = :job AND NOT s.is_new AND t.id = s.table_id
            RETURNING t.id)
        SELECT count(*) FROM upd""",
    ),
    # 3. new tables, with the ids their batch allocated
    (
        "inserted",
        """
        WITH ins AS (
            INSERT INTO catalog_tables (id, source_id, schema_name, name, kind, comment, row_estimate, size_bytes,
                row_estimate_source, fingerprint, signature, definition, first_seen_at, crawled_at, changed_at,
                first_seen_crawl_id, changed_crawl_id, partition_of_schema, partition_of_name)
            SELECT s.table_id, :sid, s.schema_name, s.name, s.kind, s.comment, s.row_estimate, s.size_bytes,
                   s.row_estimate_source, s.fingerprint, s.signature, s.definition, :now, :now, :now, :job, :job,
                   s.definition->'partition_of'->>'schema', s.definition->'partition_of'->>'table'
            FROM crawl_staged_tables s WHERE s.job_id = :job AND s.is_new
            RETURNING id)
        SELECT count(*) FROM ins""",
    ),
    # 3b. every seen table's usage statistics (data freshness, not
    #     definition): one upsert, after the inserts it references, that
    #     rewrites only the figures that moved (none of an idle database's);
    #     a live table's figures were read by its source's last success
    (
        "activity",
        f"""
        INSERT INTO catalog_table_activity (table_id, {", ".join(ACTIVITY_FIELDS)})
        SELECT table_id, {", ".join(ACTIVITY_FIELDS)} FROM crawl_staged_activity WHERE job_id = :job
        ON CONFLICT (table_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in ACTIVITY_FIELDS)}
        WHERE ({", ".join(f"catalog_table_activity.{c}" for c in ACTIVITY_FIELDS[1:])})
              IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in ACTIVITY_FIELDS[1:])})""",
    ),
    # 4. the search index of columns follows the staged tables
    (
        "columns_deleted",
        """
        DELETE FROM catalog_columns c USING crawl_staged_tables s
        WHERE s.job_id = :job AND NOT s.is_new AND c.table_id = s.table_id""",
    ),
    (
        "columns_inserted",
        """
        INSERT INTO catalog_columns (table_id, source_id, ordinal, name, type, comment)
        SELECT table_id, :sid, ordinal, name, type, comment FROM crawl_staged_columns WHERE job_id = :job""",
    ),
    (
        "column_names_added",
        """
        INSERT INTO catalog_column_names (source_id, name)
        SELECT DISTINCT :sid, lower(name) FROM crawl_staged_columns WHERE job_id = :job
        ON CONFLICT DO NOTHING""",
    ),
    # 5. the foreign-key edges (who references whom) follow the staged tables
    (
        "foreign_keys_deleted",
        """
        DELETE FROM catalog_foreign_keys f USING crawl_staged_tables s
        WHERE s.job_id = :job AND NOT s.is_new AND f.table_id = s.table_id""",
    ),
    (
        "foreign_keys_inserted",
        f"""
        INSERT INTO catalog_foreign_keys ({FOREIGN_KEY_COLUMNS})
        {foreign_key_rows(STAGED_DEFINITIONS)}""",
    ),
    # 6. what this crawl did not see is removed, only now that the crawl
    #    succeeded; its crawled_at becomes the last crawl that did see it; its
    #    definition is kept as a past version by the same statement (the
    #    UPDATE's RETURNING rows: no second pass over the source's tables)
    (
        "removed",
        f"""
        WITH gone AS ({UNSEEN_TABLES}),
        rem AS (
            UPDATE catalog_tables t SET removed_at = :now, removed_crawl_id = :job,
                   crawled_at = coalesce((SELECT last_success_at FROM sources WHERE id = :sid), t.crawled_at)
            FROM gone WHERE t.id = gone.id
            RETURNING t.*),
        kept AS (
            INSERT INTO catalog_table_versions ({VERSION_COLUMNS})
            SELECT {VERSION_VALUES} FROM rem t)
        SELECT count(*) FROM rem""",
    ),
    (
        "removed_columns",
        """
        DELETE FROM catalog_columns c USING catalog_tables t
        WHERE t.source_id = :sid AND t.removed_crawl_id = :job AND c.table_id = t.id""",
    ),
    (
        "removed_foreign_keys",
        """
        DELETE FROM catalog_foreign_keys f USING catalog_tables t
        WHERE t.source_id = :sid AND t.removed_crawl_id = :job AND f.table_id = t.id""",
    ),
]

# Names no column of the source carries any more; run only when columns went.
PRUNE_COLUMN_NAMES = """
    DELETE FROM catalog_column_names n WHERE n.source_id = :sid
      AND NOT EXISTS (SELECT 1 FROM catalog_columns c WHERE c.source_id = :sid AND lower(c.name) = n.name)"""


# Below this many tables a crawl may remove any share of a source: small
# databases do shrink by half.
REMOVAL_GUARD_FLOOR = 100

REMOVAL_COUNTS = f"""
    SELECT (SELECT count(*) FROM ({UNSEEN_TABLES}) gone),
           (SELECT count(*) FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL)"""


def removal_refused(session: Session, job_id: int, source_id: int, max_percent: int) -> str | None:
    """Why this crawl may not remove what it did not see, or None. A crawl that
    suddenly sees most of a large source gone is far likelier to have lost a
    privilege or a schema filter than to witness the tables' deletion."""
    gone, live = session.execute(text(REMOVAL_COUNTS), {"job": job_id, "sid": source_id}).one()
    if gone <= REMOVAL_GUARD_FLOOR or gone * 100 <= live * max_percent:
        return None
    return (
        f"this crawl did not see {gone:,} of the {live:,} tables the catalog has for this source, more than "
        f"the {max_percent}% one crawl may remove; the catalog was left unchanged. Check the crawl user's "
        "privileges and the source's schema filters; if those tables were really dropped, start a crawl "
        'with {"allow_mass_removal": true}'
    )


def apply_crawl(
    session: Session, job_id: int, source_id: int, enums: list[dict] | None, objects: list[dict] | None = None
) -> dict:
    """Move a finished crawl's staging into the catalog, record its change
    events, and return its stats. Runs inside the caller's transaction."""
    now = session.execute(text("SELECT now()")).scalar()
    params = {"job": job_id, "sid": source_id, "now": now}
    first_crawl = session.execute(
        text("SELECT NOT EXISTS (SELECT 1 FROM catalog_tables WHERE source_id = :sid)"), params
    ).scalar_one()
    back = session.execute(
        text(
            "SELECT count(*) FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id "
            "WHERE s.job_id = :job AND NOT s.is_new AND t.removed_at IS NOT NULL"
        ),
        params,
    ).scalar_one()
    _record_events(session, params, first_crawl)
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for name, sql in APPLY_STATEMENTS:
        started = time.perf_counter()
        result = cast(CursorResult, session.execute(text(sql), params))
        counts[name] = result.scalar_one() if result.returns_rows else result.rowcount
        seconds[name] = round(time.perf_counter() - started, 3)
    if counts["columns_deleted"] or counts["removed_columns"]:
        started = time.perf_counter()
        pruned = cast(CursorResult, session.execute(text(PRUNE_COLUMN_NAMES), params))
        counts["column_names_pruned"] = pruned.rowcount
        seconds["column_names_pruned"] = round(time.perf_counter() - started, 3)
    if not first_crawl:
        session.execute(
            text(
                "INSERT INTO change_events "
                "(source_id, crawl_id, table_id, schema_name, table_name, event, occurred_at) "
                "SELECT :sid, :job, id, schema_name, name, 'table_removed', :now FROM catalog_tables "
                "WHERE source_id = :sid AND removed_crawl_id = :job"
            ),
            params,
        )
    # history is complete from a source's first crawl applied with it kept
    session.execute(
        text("UPDATE sources SET history_from_crawl_id = :job WHERE id = :sid AND history_from_crawl_id IS NULL"),
        params,
    )
    seen = session.execute(text("SELECT count(*) FROM crawl_seen WHERE job_id = :job"), params).scalar()
    # objects the target could not describe (a broken view), through the
    # partial index ix_catalog_tables_warnings
    warned = session.execute(
        text(
            "SELECT count(*) FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL "
            "AND definition ? 'warnings'"
        ),
        params,
    ).scalar()
    stats = {
        "added": counts["inserted"] + back,
        "changed": counts["changed_or_back"] - back,
        "removed": counts["removed"],
        "unchanged": seen,
        "with_warnings": warned,
    }
    if first_crawl:
        session.execute(
            text(
                "INSERT INTO change_events (source_id, crawl_id, event, details, occurred_at) "
                "VALUES (:sid, :job, 'source_crawled', CAST(:d AS jsonb), :now)"
            ),
            {**params, "d": json.dumps({"tables": stats["added"]})},
        )
    enum_events = 0
    if enums is not None:
        if not first_crawl:
            enum_events = _record_enum_events(session, params, enums)
        _replace_enums(session, source_id, enums)
    object_events = 0
    if objects is not None:  # None: a job planned before metacrawl listed them
        if not first_crawl and _objects_listed_before(session, params):
            object_events = _record_object_events(session, params, objects)
        _replace_objects(session, source_id, job_id, objects)
    return {
        "stats": stats,
        "now": now,
        "seconds": seconds,
        "changed": stats["added"] + stats["changed"] + stats["removed"] + enum_events + object_events > 0,
    }


def _record_events(session: Session, params: dict, first_crawl: bool) -> None:
    """Added and changed tables, read from staging before it is applied. A first
    crawl is one baseline event instead of one per table. A live table staged
    without changes differs only by fields this version of metacrawl newly
    reports (an upgrade recrawl): it is rewritten, counted as changed in the
    crawl's stats, and has no event."""
    if first_crawl:
        return
    session.execute(
        text("""
        INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details,
                                   occurred_at)
        SELECT :sid, :job, s.table_id, s.schema_name, s.name,
               CASE WHEN s.is_new OR t.removed_at IS NOT NULL THEN 'table_added' ELSE 'table_changed' END,
               CASE WHEN s.is_new OR t.removed_at IS NOT NULL THEN NULL ELSE s.changes END, :now
        FROM crawl_staged_tables s LEFT JOIN catalog_tables t ON t.id = s.table_id
        WHERE s.job_id = :job AND (s.is_new OR t.removed_at IS NOT NULL OR s.changes IS NOT NULL)"""),
        params,
    )


def enum_changes(old: dict[tuple[str, str], list], new: dict[tuple[str, str], list]) -> list[tuple]:
    """(schema, name, event, details, hazard, reasons) for each enum type
    added, removed or whose values changed (`ALTER TYPE ... ADD VALUE`)."""
    out = []
    for schema, name in sorted(old.keys() | new.keys()):
        before, after = old.get((schema, name)), new.get((schema, name))
        if before == after:
            continue
        qualified = f"{schema}.{name}"
        if before is None:
            out.append((schema, name, "enum_added", {"type": qualified, "values": after}, "safe",
                        [f"safe: enum type {qualified} added"]))  # fmt: skip
            continue
        if after is None:
            out.append((schema, name, "enum_removed", {"type": qualified, "values": before}, "breaking",
                        [f"breaking: enum type {qualified} removed"]))  # fmt: skip
            continue
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        reasons = [f"breaking: value {v!r} removed from {qualified}" for v in removed]
        if [v for v in after if v in before] != [v for v in before if v in after]:
            reasons.append(f"risky: values of {qualified} reordered")
        reasons += [f"safe: value {v!r} added to {qualified}" for v in added]
        hazard = reasons[0].split(":", 1)[0] if reasons else "safe"
        details: dict = {"type": qualified, "values": {"from": before, "to": after}}
        details.update({k: v for k, v in (("values_added", added), ("values_removed", removed)) if v})
        out.append((schema, name, "enum_changed", details, hazard, reasons))
    return out


def _record_enum_events(session: Session, params: dict, enums: list[dict]) -> int:
    """Change events for the source's enum types, comparing what this crawl
    found with catalog_enums (before they are replaced); labelled here."""
    old = {
        (r.schema_name, r.name): list(r.values or [])
        for r in session.execute(
            text('SELECT schema_name, name, "values" FROM catalog_enums WHERE source_id = :sid'), params
        )
    }
    new = {(e["schema"], e["name"]): list(e["values"] or []) for e in enums}
    events = enum_changes(old, new)
    if events:
        session.execute(
            text(
                "INSERT INTO change_events (source_id, crawl_id, schema_name, event, details, occurred_at, hazard, "
                "hazard_reasons) VALUES (:sid, :job, :schema, :event, CAST(:details AS jsonb), :now, :hazard, "
                "CAST(:reasons AS jsonb))"
            ),
            [
                {
                    **params,
                    "schema": schema,
                    "event": event,
                    "details": json.dumps(details),
                    "hazard": hazard,
                    "reasons": json.dumps(reasons),
                }  # fmt: skip
                for schema, _name, event, details, hazard, reasons in events
            ],
        )
    return len(events)


def _replace_enums(session: Session, source_id: int, enums: list[dict]) -> None:
    session.execute(text("DELETE FROM catalog_enums WHERE source_id = :sid"), {"sid": source_id})
    if enums:
        session.execute(
            text(
                'INSERT INTO catalog_enums (source_id, schema_name, name, "values") '
                "SELECT :sid, e->>'schema', e->>'name', e->'values' FROM jsonb_array_elements(CAST(:enums AS jsonb)) e"
            ),
            {"sid": source_id, "enums": json.dumps(enums)},
        )


ROUTINE_KINDS = ("function", "procedure", "aggregate", "window")


def object_group(kind: str) -> str:
    """sequence, trigger or routine: the word of an object's change events."""
    return "routine" if kind in ROUTINE_KINDS else kind


def object_name(o: dict) -> str:
    """How an event names an object: schema.name, a trigger `on` its table, a routine with its arguments."""
    qualified = f"{o['schema']}.{o['name']}"
    if o["table"]:
        return f"{qualified} on {o['schema']}.{o['table']}"
    return f"{qualified}({o['arguments']})" if object_group(o["kind"]) == "routine" else qualified


def _object_key(o: dict) -> tuple:
    return (o["kind"], o["schema"], o["table"], o["name"], o["arguments"])


def object_changes(old: list[dict], new: list[dict]) -> list[tuple]:
    """(object, event, details, hazard, reasons) for each sequence, trigger or
    routine added, removed or changed between two crawls. A routine whose
    arguments changed is another routine (the old one removed, a new one
    added), as PostgreSQL sees overloads. Bodies are compared, not shown."""
    before, after = {_object_key(o): o for o in old}, {_object_key(o): o for o in new}
    out = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        o = now or was
        assert o is not None
        group, name = object_group(o["kind"]), object_name(o)
        base = {"kind": o["kind"], "name": name}
        if was is None:
            out.append((o, f"{group}_added", base, "safe", [f"safe: {o['kind']} {name} added"]))
        elif now is None:
            # dropping a routine breaks its callers; a trigger or sequence changes behaviour
            hazard = "breaking" if group == "routine" else "risky"
            out.append((o, f"{group}_removed", base, hazard, [f"{hazard}: {o['kind']} {name} removed"]))
        else:
            fields = sorted(k for k in was["details"].keys() | now["details"].keys()
                            if was["details"].get(k) != now["details"].get(k))  # fmt: skip
            changes = {k: {"from": was["details"].get(k), "to": now["details"].get(k)} for k in fields}
            if (was.get("body") or "") != (now.get("body") or ""):
                changes["body"] = {"changed": True}
            if not changes:
                continue
            hazard = "breaking" if "return_type" in changes else "risky" if set(changes) - {"comment"} else "safe"
            reasons = [f"{hazard}: {o['kind']} {name}: {', '.join(sorted(changes))} changed"]
            out.append((o, f"{group}_changed", {**base, "changes": changes}, hazard, reasons))
    return out


# catalog_objects rows as object_changes compares them: a body by its hash,
# so a source's bodies are not all read back to be compared.
OBJECTS_SQL = """
    SELECT kind, schema_name AS schema, table_name AS table, name, arguments, details, md5(body) AS body
    FROM catalog_objects WHERE source_id = :sid"""


def _hashed_body(o: dict) -> dict:
    body = o.get("body")
    return {**o, "body": None if body is None else hashlib.md5(body.encode()).hexdigest()}  # noqa: S324 not security


def _record_object_events(session: Session, params: dict, objects: list[dict]) -> int:
    """Change events for the source's sequences, triggers and routines,
    comparing this crawl's with catalog_objects (before they are replaced);
    labelled here. A trigger's event names its table."""
    old = [dict(r._mapping) for r in session.execute(text(OBJECTS_SQL), params)]
    events = object_changes(old, [_hashed_body(o) for o in objects])
    if events:
        session.execute(
            text(
                "INSERT INTO change_events (source_id, crawl_id, schema_name, table_name, event, details, occurred_at, "
                "hazard, hazard_reasons) VALUES (:sid, :job, :schema, :table, :event, CAST(:details AS jsonb), :now, "
                ":hazard, CAST(:reasons AS jsonb))"
            ),
            [
                {
                    **params,
                    "schema": o["schema"],
                    "table": o["table"] or None,
                    "event": event,
                    "details": json.dumps(details),
                    "hazard": hazard,
                    "reasons": json.dumps(reasons),
                }  # fmt: skip
                for o, event, details, hazard, reasons in events
            ],
        )
    return len(events)


def _replace_objects(session: Session, source_id: int, job_id: int, objects: list[dict]) -> None:
    """The source's objects become this crawl's, in two statements; the job
    lets go of its copy (bodies can be large), keeping `[]` to say it listed them."""
    session.execute(text("DELETE FROM catalog_objects WHERE source_id = :sid"), {"sid": source_id})
    if objects:
        session.execute(
            text(
                "INSERT INTO catalog_objects "
                "(source_id, kind, schema_name, table_name, name, arguments, details, body) "
                "SELECT :sid, o->>'kind', o->>'schema', o->>'table', o->>'name', o->>'arguments', o->'details', "
                "o->>'body' FROM jsonb_array_elements(CAST(:objects AS jsonb)) o"
            ),
            {"sid": source_id, "objects": json.dumps(objects)},
        )
    session.execute(text("UPDATE crawl_jobs SET objects = '[]' WHERE id = :job"), {"job": job_id})


def _objects_listed_before(session: Session, params: dict) -> bool:
    """Whether an earlier successful crawl of the source listed sequences,
    triggers and routines (its `objects` is not null). The first crawl after
    the upgrade that added them is their baseline: it records no event for
    each one it finds, as a first crawl records none per table."""
    return session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM crawl_jobs WHERE source_id = :sid AND id <> :job "
            "AND state = 'succeeded' AND objects IS NOT NULL)"
        ),
        params,
    ).scalar_one()


# The tables search reads; their trigram indexes' pending lists are merged after a crawl.
SEARCHED_TABLES = ("catalog_tables", "catalog_columns", "catalog_column_names")
# A crawl that added, changed or removed at least this many tables refreshes the
# catalog's planner statistics when it ends.
ANALYZE_AFTER_TABLES = 1000
# What is analyzed then: the searched tables, and the key edges the insights
# and the reads join (never analyzed, a 100,000-table source's first lint
# planned a rescan per key and ran for minutes).
ANALYZED_TABLES = (*SEARCHED_TABLES, "catalog_foreign_keys", "catalog_table_activity")


def tidy_catalog(conn: Connection, moved: int) -> None:
    """After a crawl that moved `moved` tables, merge the trigram indexes'
    pending lists (GIN defers inserts to a list every search must scan: at
    100,000 new tables it doubled search latency), and ANALYZE after a large
    change so reads get good plans at once rather than whenever autovacuum
    comes round. Runs after the crawl committed, on its own connection."""
    conn.execute(
        text(
            "SELECT gin_clean_pending_list(i.indexrelid::regclass) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE am.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(SEARCHED_TABLES)},
    )
    if moved >= ANALYZE_AFTER_TABLES:
        conn.execute(text(f"ANALYZE {', '.join(ANALYZED_TABLES)}"))
    conn.commit()
