"""The apply's usage statements (catalog/apply.py runs them in its one
transaction) and the plan's staging of a crawl's top statements.

Counters are cumulative on the target (PostgreSQL's pg_stat_* since their
last reset), so the catalog keeps the previous crawl's figures and stores
their growth: new minus old, or, after a reset, the new value itself
(`counters_reset`). A reset is a counter lower than the stored one, or a
newer reset time (pg_stat_database.stats_reset: a reset after which the
counters already grew past the old values). A table or index read for the
first time has no growth (NULL), not its whole count. Rows are rewritten
only where a figure moved (an idle database's: none after its second crawl)."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..staging import ACTIVITY_FIELDS, copy_rows

# The counters whose growth is stored (rows written: inserted + updated + deleted).
COUNTERS = ("seq_scans", "seq_rows_read", "index_scans", "index_rows_fetched")
WRITTEN = "(coalesce({p}.rows_inserted, 0) + coalesce({p}.rows_updated, 0) + coalesce({p}.rows_deleted, 0))"
DELTAS = (*(f"delta_{c}" for c in COUNTERS), "delta_rows_written")


def _reset(new: str, old: str, counters: tuple[str, ...], read: str) -> str:
    """Whether the counters of staged row `new` (its reset time in staged
    activity row `read`) were reset since stored row `old` read them: a
    newer reset time, or any counter lower than before."""
    lower = " OR ".join(f"coalesce({new}.{c} < {old}.{c}, false)" for c in counters)
    return (
        f"coalesce({read}.stats_reset_at <> {old}.stats_reset_at, {read}.stats_reset_at IS NOT NULL "
        f"AND {old}.stats_reset_at IS NULL) OR {lower}"
    )


_TABLE_RESET = _reset("s", "p", (*COUNTERS, "rows_inserted", "rows_updated", "rows_deleted"), "s")
_GROWTHS = [f"CASE WHEN r.reset THEN s.{c} ELSE s.{c} - p.{c} END" for c in COUNTERS]
_GROWTH = ", ".join(_GROWTHS)
_WRITTEN_GROWTH = (
    f"CASE WHEN p.rows_inserted IS NULL OR s.rows_inserted IS NULL THEN NULL WHEN r.reset "
    f"THEN {WRITTEN.format(p='s')} ELSE {WRITTEN.format(p='s')} - {WRITTEN.format(p='p')} END"
)
_MOVED = (
    f"({', '.join(f'o.{c}' for c in (*ACTIVITY_FIELDS[1:], *DELTAS, 'counters_reset'))}) IS DISTINCT FROM "
    f"({', '.join(f'EXCLUDED.{c}' for c in (*ACTIVITY_FIELDS[1:], *DELTAS, 'counters_reset'))})"
)
# The same test on the SELECT's side, stored row `p` against what would be
# written: rows whose figures did not move never reach ON CONFLICT, which
# would lock (and so write) every one of them (1 s at 100,000 tables).
_MOVED_FROM_STORED = (
    f"p.table_id IS NULL OR ({', '.join(f'p.{c}' for c in (*ACTIVITY_FIELDS[1:], *DELTAS, 'counters_reset'))}) "
    f"IS DISTINCT FROM ({', '.join([*(f's.{c}' for c in ACTIVITY_FIELDS[1:]), *_GROWTHS, _WRITTEN_GROWTH, 'r.reset'])})"
)

# Every seen table's figures, after the inserts they reference; a live
# table's were read by its source's last success. The stored row is the
# previous crawl's (`p`): `since_read_at` is when it was read.
ACTIVITY_UPSERT = f"""
    INSERT INTO catalog_table_activity AS o (table_id, {", ".join(ACTIVITY_FIELDS)}, since_read_at, counters_reset,
        {", ".join(DELTAS)})
    SELECT s.table_id, {", ".join(f"s.{c}" for c in ACTIVITY_FIELDS)}, p.read_at, r.reset, {_GROWTH},
           {_WRITTEN_GROWTH}
    FROM crawl_staged_activity s LEFT JOIN catalog_table_activity p ON p.table_id = s.table_id
    CROSS JOIN LATERAL (SELECT CASE WHEN p.seq_scans IS NULL OR s.seq_scans IS NULL THEN NULL
                                    ELSE {_TABLE_RESET} END) r(reset)
    WHERE s.job_id = :job AND ({_MOVED_FROM_STORED})
    ON CONFLICT (table_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in (*ACTIVITY_FIELDS, "since_read_at", "counters_reset", *DELTAS))}
    WHERE {_MOVED}"""

_INDEX_RESET = _reset("s", "p", ("scans",), "a")

# Each index's scans. `idle_since`: NULL once a scan is counted; on its
# first read, that read when it was never scanned; after a reset, the reset
# (or this read, when the reset time says nothing); else it stays, or is the
# previous read when the crawl before still counted scans.
INDEX_USAGE_UPSERT = f"""
    INSERT INTO catalog_index_usage AS o (table_id, index_name, read_at, scans, delta_scans, last_scan_at, idle_since,
        stats_reset_at)
    SELECT s.table_id, s.index_name, a.read_at, s.scans, d.delta, s.last_scan_at, i.idle_since, a.stats_reset_at
    FROM crawl_staged_index_usage s
    JOIN crawl_staged_activity a ON a.job_id = s.job_id AND a.table_id = s.table_id
    LEFT JOIN catalog_index_usage p ON p.table_id = s.table_id AND p.index_name = s.index_name
    CROSS JOIN LATERAL (SELECT p.scans IS NOT NULL AND s.scans IS NOT NULL AND ({_INDEX_RESET})) r(reset)
    CROSS JOIN LATERAL (SELECT CASE WHEN p.scans IS NULL OR s.scans IS NULL THEN NULL WHEN r.reset THEN s.scans
                                    ELSE s.scans - p.scans END) d(delta)
    CROSS JOIN LATERAL (SELECT CASE WHEN d.delta > 0 THEN NULL
                WHEN p.scans IS NULL THEN CASE WHEN s.scans = 0 THEN a.read_at END
                WHEN r.reset THEN CASE WHEN a.stats_reset_at > p.read_at THEN a.stats_reset_at ELSE a.read_at END
                ELSE coalesce(p.idle_since, p.read_at) END) i(idle_since)
    WHERE s.job_id = :job
      AND (p.table_id IS NULL OR (p.scans, p.delta_scans, p.last_scan_at, p.idle_since, p.stats_reset_at)
           IS DISTINCT FROM (s.scans, d.delta, s.last_scan_at, i.idle_since, a.stats_reset_at))  -- as ACTIVITY_UPSERT
    ON CONFLICT (table_id, index_name) DO UPDATE SET read_at = EXCLUDED.read_at, scans = EXCLUDED.scans,
        delta_scans = EXCLUDED.delta_scans, last_scan_at = EXCLUDED.last_scan_at, idle_since = EXCLUDED.idle_since,
        stats_reset_at = EXCLUDED.stats_reset_at
    WHERE (o.scans, o.delta_scans, o.last_scan_at, o.idle_since, o.stats_reset_at)
          IS DISTINCT FROM (EXCLUDED.scans, EXCLUDED.delta_scans, EXCLUDED.last_scan_at, EXCLUDED.idle_since,
                            EXCLUDED.stats_reset_at)"""

# Indexes of the tables read this crawl that the target no longer has.
INDEX_USAGE_GONE = """
    DELETE FROM catalog_index_usage u USING crawl_staged_activity a
    WHERE a.job_id = :job AND u.table_id = a.table_id
      AND NOT EXISTS (SELECT 1 FROM crawl_staged_index_usage s
                      WHERE s.job_id = :job AND s.table_id = u.table_id AND s.index_name = u.index_name)"""

# A crawl's top statements replace the source's: under each live table a
# statement names, a bare name matching the table of that name in `public`,
# or the source's only live table of that name.
STATEMENTS_REPLACED = """
    WITH gone AS (DELETE FROM catalog_table_statements WHERE source_id = :sid RETURNING 1),
    ins AS (
        INSERT INTO catalog_table_statements (table_id, query_id, source_id, query, calls, total_ms, rows, read_at)
        SELECT DISTINCT ON (t.id, s.query_id) t.id, s.query_id, :sid, s.query, s.calls, s.total_ms, s.rows, s.read_at
        FROM crawl_staged_statements s
        CROSS JOIN LATERAL jsonb_array_elements(s.tables) r
        JOIN catalog_tables t ON t.source_id = :sid AND t.removed_at IS NULL AND t.name = r->>1
         AND (t.schema_name = r->>0 OR (r->>0 IS NULL AND (t.schema_name = 'public' OR NOT EXISTS (
              SELECT 1 FROM catalog_tables x
              WHERE x.source_id = :sid AND x.removed_at IS NULL AND x.name = t.name AND x.id <> t.id))))
        WHERE s.job_id = :job
          -- a one-time filter: without staged statements the join (a pass
          -- over the source's tables, 0.25 s at 100,000) does not run
          AND EXISTS (SELECT 1 FROM crawl_staged_statements x WHERE x.job_id = :job)
        ORDER BY t.id, s.query_id
        RETURNING 1)
    SELECT count(*) FROM ins"""

# (name, SQL) in the apply's order: the figures after the tables they
# reference are inserted; the statements after the removals.
USAGE_STATEMENTS = [
    ("activity", ACTIVITY_UPSERT),
    ("index_usage", INDEX_USAGE_UPSERT),
    ("index_usage_gone", INDEX_USAGE_GONE),
]
STATEMENT_STATEMENTS = [("statements", STATEMENTS_REPLACED)]


def stage_statements(session: Session, job_id: int, statements: list[dict], read_at) -> None:
    """COPY the plan's top statements (dicts of StatementStat's fields) into
    crawl_staged_statements; a plan run again replaces what it staged."""
    session.execute(text("DELETE FROM crawl_staged_statements WHERE job_id = :job"), {"job": job_id})
    rows = [
        (job_id, s["query_id"], s["query"], s["calls"], s["total_ms"], s["rows"], json.dumps(s["tables"]), read_at)
        for s in statements
    ]
    if not rows:
        return
    columns = ("job_id", "query_id", "query", "calls", "total_ms", "rows", "tables", "read_at")
    copy_rows(session, "crawl_staged_statements", columns, rows)
