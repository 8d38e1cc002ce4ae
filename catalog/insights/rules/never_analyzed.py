"""never_analyzed: a table with rows that the database has never analysed
(PostgreSQL: no ANALYZE or autoanalyze time and no row estimate), so the
planner guesses its size and the distribution of its values (an empty one
is left alone: a new table autovacuum has not reached yet). A runtime rule (it reads the
activity figures, after every crawl, over the whole source). The fix
analyses it."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("never_analyzed", "info", "a table with rows never analysed: the planner has no statistics for it")


def _fix(d: Dialect) -> str:
    if d.pg:
        return f"'ANALYZE ' || {d.qt} || ';'"
    if d.my:
        return f"'ANALYZE TABLE ' || {d.qt} || ';'"
    return "NULL"


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, "
        "'the database has never analysed ' || t.name || ': the planner has no statistics for it', "
        + _fix(d)
        + " FROM catalog_tables t JOIN catalog_table_activity a ON a.table_id = t.id "
        "WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.row_estimate_source = 'never_analyzed' "
        "AND a.last_analyze_at IS NULL AND a.last_autoanalyze_at IS NULL "
        "AND coalesce(a.live_rows, 0) + coalesce(a.rows_inserted, 0) > 0"
    ]
