"""Apply a finished crawl: move its staging (catalog/staging.py) into the
catalog in one transaction with set-based SQL (`APPLY_STATEMENTS`, in order),
record its change events, and return its stats. A crawl that fails never
gets here, so it never touches the catalog."""

from __future__ import annotations

import json
import time
from typing import cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from .apply_objects import apply_enums, apply_objects
from .column_statistics import apply_statistics
from .lineage import LINEAGE_COLUMNS, lineage_rows
from .renames import RENAME_EVENTS, follow_renames, record_probable_renames, rename_pass, staged_renames
from .usage.apply import STATEMENT_STATEMENTS, USAGE_STATEMENTS

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
# Only views have lineage: the others' definitions are not read (detoasted) for it.
STAGED_VIEW_DEFINITIONS = f"{STAGED_DEFINITIONS} AND kind IN ('view', 'materialized_view')"

APPLY_STATEMENTS = [
    # 1. unchanged tables: only their sizes and signatures move (a live table's
    #    crawled_at is its source's last successful crawl, not stored per row)
    (
        "unchanged",
        """
        UPDATE catalog_tables t SET row_estimate = s.row_estimate, size_bytes = s.size_bytes,
               signature = s.signature, row_estimate_source = s.row_estimate_source, object_id = s.object_id
        FROM crawl_seen s WHERE s.job_id = :job AND t.id = s.table_id
          AND (t.row_estimate, t.size_bytes, t.signature, t.row_estimate_source, t.object_id)
              IS DISTINCT FROM (s.row_estimate, s.size_bytes, s.signature, s.row_estimate_source, s.object_id)
        """,
    ),
    # 2. changed tables (renamed ones too: the rename pass moved their
    #    staging onto their row), and removed ones that came back (those count
    #    as added); a live table's definition (and name) is kept first as a
    #    past version (a removed one's was kept when it was removed)
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
            UPDATE catalog_tables t SET schema_name = s.schema_name, name = s.name, object_id = s.object_id,
                   kind = s.kind, comment = s.comment, row_estimate = s.row_estimate,
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
                first_seen_crawl_id, changed_crawl_id, partition_of_schema, partition_of_name, object_id)
            SELECT s.table_id, :sid, s.schema_name, s.name, s.kind, s.comment, s.row_estimate, s.size_bytes,
                   s.row_estimate_source, s.fingerprint, s.signature, s.definition, :now, :now, :now, :job, :job,
                   s.definition->'partition_of'->>'schema', s.definition->'partition_of'->>'table', s.object_id
            FROM crawl_staged_tables s WHERE s.job_id = :job AND s.is_new
            RETURNING id)
        SELECT count(*) FROM ins""",
    ),
    # 3b. every seen table's usage statistics (data freshness, not
    #     definition) and its indexes' scans, with their growth since the
    #     crawl before: upserts after the inserts they reference, rewriting
    #     only the figures that moved (none of an idle database's);
    #     catalog/usage/apply.py
    *USAGE_STATEMENTS,
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
    # 5b. the views' column lineage edges follow the staged tables too
    (
        "lineage_deleted",
        """
        DELETE FROM catalog_column_lineage l USING crawl_staged_tables s
        WHERE s.job_id = :job AND NOT s.is_new AND l.view_id = s.table_id""",
    ),
    (
        "lineage_inserted",
        f"""
        INSERT INTO catalog_column_lineage ({LINEAGE_COLUMNS})
        {lineage_rows(STAGED_VIEW_DEFINITIONS)}""",
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
    (
        "removed_lineage",
        """
        DELETE FROM catalog_column_lineage l USING catalog_tables t
        WHERE t.source_id = :sid AND t.removed_crawl_id = :job AND l.view_id = t.id""",
    ),
    # 7. the plan's top statements replace the source's, under the live tables they name
    *STATEMENT_STATEMENTS,
]

# Names no column of the source carries any more; run only when columns went.
PRUNE_COLUMN_NAMES = """
    DELETE FROM catalog_column_names n WHERE n.source_id = :sid
      AND NOT EXISTS (SELECT 1 FROM catalog_columns c WHERE c.source_id = :sid AND lower(c.name) = n.name)"""


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
    # renames first: they decide which catalog row each staged table is
    renamed = 0 if first_crawl else rename_pass(session, params)
    renames = [] if first_crawl else staged_renames(session, params)
    back = session.execute(
        text(
            "SELECT count(*) FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id "
            "WHERE s.job_id = :job AND NOT s.is_new AND t.removed_at IS NOT NULL"
        ),
        params,
    ).scalar_one()
    _record_events(session, params, first_crawl)
    counts, seconds = _run_statements(session, params)
    started = time.perf_counter()
    apply_statistics(session, params)
    seconds["statistics"] = round(time.perf_counter() - started, 3)
    probable = 0
    if not first_crawl:
        _record_removals(session, params)
        follow_renames(session, source_id, renames)
        probable = record_probable_renames(session, params)
    # history is complete from a source's first crawl applied with it kept
    session.execute(
        text("UPDATE sources SET history_from_crawl_id = :job WHERE id = :sid AND history_from_crawl_id IS NULL"),
        params,
    )
    stats = _stats(session, params, counts, back)
    # only where there were any, so other crawls' stats read as before
    stats.update({k: n for k, n in (("renamed", renamed), ("probable_renames", probable)) if n})
    if first_crawl:
        _record_baseline(session, params, stats["added"])
    enum_events = 0 if enums is None else apply_enums(session, params, enums, first_crawl)
    # objects None: a job planned before metacrawl listed them
    object_events = 0 if objects is None else apply_objects(session, params, objects, first_crawl)
    return {
        "stats": stats,
        "now": now,
        "seconds": seconds,
        "changed": stats["added"] + stats["changed"] + stats["removed"] + len(renames) + enum_events + object_events
        > 0,
    }


def _run_statements(session: Session, params: dict) -> tuple[dict[str, int], dict[str, float]]:
    """APPLY_STATEMENTS in order, then the column names no column carries any
    more (only when columns went): (rows per statement, seconds per statement)."""
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
    return counts, seconds


def _record_removals(session: Session, params: dict) -> None:
    """A table_removed event for each table this crawl removed."""
    session.execute(
        text(
            "INSERT INTO change_events "
            "(source_id, crawl_id, table_id, schema_name, table_name, event, occurred_at) "
            "SELECT :sid, :job, id, schema_name, name, 'table_removed', :now FROM catalog_tables "
            "WHERE source_id = :sid AND removed_crawl_id = :job"
        ),
        params,
    )


def _stats(session: Session, params: dict, counts: dict[str, int], back: int) -> dict:
    """The crawl's stats; `back`: removed tables that came back, counted as added."""
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
    return {
        "added": counts["inserted"] + back,
        "changed": counts["changed_or_back"] - back,
        "removed": counts["removed"],
        "unchanged": seen,
        "with_warnings": warned,
    }


def _record_baseline(session: Session, params: dict, added: int) -> None:
    """A first crawl's one event, in place of one per table."""
    session.execute(
        text(
            "INSERT INTO change_events (source_id, crawl_id, event, details, occurred_at) "
            "VALUES (:sid, :job, 'source_crawled', CAST(:d AS jsonb), :now)"
        ),
        {**params, "d": json.dumps({"tables": added})},
    )


def _record_events(session: Session, params: dict, first_crawl: bool) -> None:
    """Added and changed tables, read from staging before it is applied. A first
    crawl is one baseline event instead of one per table. A live table staged
    without changes differs only by fields this version of metacrawl newly
    reports (an upgrade recrawl): it is rewritten, counted as changed in the
    crawl's stats, and has no event. Renamed tables and columns
    (catalog/renames.py) have their own events; `table_changed` tells only
    what else changed."""
    if first_crawl:
        return
    session.execute(text(RENAME_EVENTS), params)
    session.execute(
        text("""
        INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details,
                                   occurred_at)
        SELECT :sid, :job, s.table_id, s.schema_name, s.name,
               CASE WHEN s.is_new OR t.removed_at IS NOT NULL THEN 'table_added' ELSE 'table_changed' END,
               CASE WHEN s.is_new OR t.removed_at IS NOT NULL THEN NULL ELSE s.changes - 'columns_renamed' END, :now
        FROM crawl_staged_tables s LEFT JOIN catalog_tables t ON t.id = s.table_id
        WHERE s.job_id = :job AND (s.is_new OR t.removed_at IS NOT NULL OR (s.changes IS NOT NULL AND (
              s.changes - 'columns_renamed' <> '{}' OR NOT (s.changes ? 'columns_renamed' OR s.renamed_from IS NOT NULL)
        )))"""),
        params,
    )
