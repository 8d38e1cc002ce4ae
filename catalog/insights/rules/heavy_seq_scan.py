"""heavy_seq_scan: a table of at least MANY_ROWS rows that sequential scans
read at least SCANS_AT_LEAST times between the last two crawls, more often
than its indexes were scanned: the statements that filter it likely lack an
index. A runtime rule (it reads usage, after every crawl, over the whole
source). No index can be written without knowing the statements, so the
fix is the query that finds them (PostgreSQL's pg_stat_statements)."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("heavy_seq_scan", "warning", "a large table read by many sequential scans between two crawls")

MANY_ROWS = 10_000
SCANS_AT_LEAST = 10

_ROWS = "coalesce(a.live_rows, t.row_estimate)"


def _fix(d: Dialect) -> str:
    if not d.pg:
        return "NULL"
    return (
        "'-- the statements that read it, to index the columns they filter on:' || chr(10) || "
        "'SELECT query, calls, total_exec_time FROM pg_stat_statements WHERE query ILIKE ' || "
        "quote_literal('%' || t.name || '%') || "
        "' ORDER BY total_exec_time DESC LIMIT 10;'"
    )


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, "
        "a.delta_seq_scans || ' sequential scans read ' || a.delta_seq_rows_read || ' rows of a table of ' || "
        f"{_ROWS} || ' rows since ' || to_char(a.since_read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || "
        "' UTC (' || coalesce(a.delta_index_scans, 0) || ' index scans)', "
        + _fix(d)
        + " FROM catalog_tables t JOIN catalog_table_activity a ON a.table_id = t.id "
        "WHERE t.source_id = :sid AND t.removed_at IS NULL "
        f"AND a.delta_seq_scans >= {SCANS_AT_LEAST} AND {_ROWS} >= {MANY_ROWS} "
        "AND a.delta_seq_scans > coalesce(a.delta_index_scans, 0)"
    ]
