"""What the table detail serves of a table's usage (`USAGE_OBJECT`, beside
its `activity`): the counters since the target's last reset, their growth
between the last two crawls, each index's scans and the statements that
name the table (at most STATEMENTS_SHOWN, most total time first)."""

from __future__ import annotations

from ..timestamps import rfc3339_sql

STATEMENTS_SHOWN = 10

# null until two crawls have read the counters (a row stored before they were
# read has a since_read_at but no growth: counters_reset is null then)
_SINCE = f"""CASE WHEN a.since_read_at IS NULL OR a.counters_reset IS NULL THEN NULL ELSE jsonb_build_object(
        'from', {rfc3339_sql("a.since_read_at")}, 'counters_reset', a.counters_reset,
        'seq_scans', a.delta_seq_scans, 'seq_rows_read', a.delta_seq_rows_read,
        'index_scans', a.delta_index_scans, 'index_rows_fetched', a.delta_index_rows_fetched,
        'rows_written', a.delta_rows_written) END"""

_INDEXES = f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('name', u.index_name, 'scans', u.scans,
        'scans_since_last_crawl', u.delta_scans, 'last_scan_at', {rfc3339_sql("u.last_scan_at")},
        'idle_since', {rfc3339_sql("u.idle_since")}) ORDER BY u.index_name), '[]')
    FROM catalog_index_usage u WHERE u.table_id = t.id)"""

_STATEMENTS = f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('query', q.query, 'calls', q.calls,
        'total_ms', q.total_ms, 'rows', q.rows, 'read_at', {rfc3339_sql("q.read_at")})
        ORDER BY q.total_ms DESC, q.query_id), '[]')
    FROM (SELECT * FROM catalog_table_statements WHERE table_id = t.id
          ORDER BY total_ms DESC, query_id LIMIT {STATEMENTS_SHOWN}) q)"""

# Needs `t` (catalog_tables) and `s` (its source); null before a crawl read
# the table's counters, for views, and where the engine keeps none.
USAGE_OBJECT = f"""jsonb_build_object('usage', (
    SELECT jsonb_build_object('read_at', {rfc3339_sql("s.last_success_at")},
        'stats_reset_at', {rfc3339_sql("a.stats_reset_at")},
        'seq_scans', a.seq_scans, 'seq_rows_read', a.seq_rows_read, 'index_scans', a.index_scans,
        'index_rows_fetched', a.index_rows_fetched,
        'rows_written', a.rows_inserted + a.rows_updated + a.rows_deleted,
        'since_last_crawl', {_SINCE}, 'indexes', {_INDEXES}, 'statements', {_STATEMENTS})
    FROM catalog_table_activity a WHERE a.table_id = t.id AND a.seq_scans IS NOT NULL))"""
