"""MariaDB column statistics: the engine-independent statistics
(mysql.column_stats, with mysql.table_stats' row count), which
`ANALYZE TABLE ... PERSISTENT FOR ALL` (or use_stat_tables) gathers, read
for a batch in one query, and its rows as records.

- Absent (MySQL has no such table) or unreadable by the account: no
  statistics, not an error (`statistics_visible` asks first).
- MariaDB keeps no time of gathering and no correlation: both None.
  `distinct` is given as pg_stats gives it, minus the fraction of rows that
  are distinct: avg_frequency is the rows per distinct non-null value.
- The value bounds (min_value, max_value: real data) are selected only by
  STATISTICS_VALUES_SQL, and come back NULL for a withheld column; they are
  served as the histogram's bounds (first and last). MariaDB keeps no most
  common values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .records import ColumnStatistics

VALUE_CHARS = 100

VISIBLE_SQL = (
    "SELECT COUNT(*) FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME IN ('column_stats', 'table_stats')"
)

_FIGURES = "c.db_name, c.table_name, c.column_name, c.nulls_ratio, c.avg_frequency, c.avg_length"
_FROM = """
FROM mysql.column_stats c
WHERE {filter}"""

STATISTICS_SQL = f"SELECT {_FIGURES}{_FROM}"


def statistics_values_sql(withheld: int) -> str:
    """The query with the value bounds; `withheld` (schema, table, column)
    triples (parameters after the batch's) get NULL instead."""
    if not withheld:
        return f"SELECT {_FIGURES}, c.min_value, c.max_value{_FROM}"
    triples = ", ".join(["(%s, %s, %s)"] * withheld)
    hide = f"(c.db_name, c.table_name, c.column_name) IN ({triples})"
    # the triples are bound twice (min, max), after the batch's own parameters
    return (
        f"SELECT {_FIGURES}, CASE WHEN {hide} THEN NULL ELSE c.min_value END, "
        f"CASE WHEN {hide} THEN NULL ELSE c.max_value END{_FROM}"
    )


def withheld_params(withheld: Iterable[tuple[str, str, str]]) -> list[str]:
    """statistics_values_sql's parameters for its withheld triples (bound
    before the batch's filter: they come first in the SELECT list), twice."""
    flat = [part for triple in sorted(set(withheld)) for part in triple]
    return flat + flat


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    return str(value)[:VALUE_CHARS]


def _num(value) -> float | None:
    return None if value is None else float(value)


def statistics_from_row(row: Sequence) -> tuple[tuple[str, str], ColumnStatistics]:
    schema, table, column, nulls, avg_frequency, avg_length = row[:6]
    null_fraction = _num(nulls)
    distinct = None
    if avg_frequency is not None and float(avg_frequency) > 0:
        distinct = -round((1 - (null_fraction or 0)) / float(avg_frequency), 6)
    bounds = None
    if len(row) > 6 and (row[6] is not None or row[7] is not None):
        bounds = [b for b in (_text(row[6]), _text(row[7])) if b is not None]
    return (schema, table), ColumnStatistics(
        column=column,
        null_fraction=null_fraction,
        distinct=distinct,
        avg_width=None if avg_length is None else round(float(avg_length)),
        histogram_bounds=bounds,
    )
