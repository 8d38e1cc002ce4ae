"""PostgreSQL column statistics: pg_stats read for a batch of tables in one
query, and its rows as records (engines/records.py ColumnStatistics).

- pg_stats shows only the columns the account may SELECT (and none of a
  table under row security it does not bypass): what it cannot read, the
  catalog simply does not show. No lock, no file read, no row scanned.
- A partitioned parent's statistics are its `inherited` rows (the whole
  hierarchy: it has no rows of its own); any other table's are its own
  (inherited false), also when inheritance children add a second set.
- pg_stats is a view over every column of the database (it checks the
  SELECT privilege on each): joined to the batch as it stands, PostgreSQL
  builds all of it first (1.8 s a batch of 2,000 at 10,000 tables, growing
  with the database). Read per table instead (LATERAL, kept apart from the
  join by OFFSET 0), it looks each table up by name and its statistics by
  oid, through their indexes.
- When gathered: pg_stats keeps no time; the table's last ANALYZE or
  autoanalyze is when its statistics were last gathered.
- The value lists (most common values and their frequencies, histogram
  bounds) hold real data: the query without them never names those columns
  (STATISTICS_SQL), so nothing of the data can come back; with them
  (STATISTICS_VALUES_SQL) a withheld column's come back NULL. At most
  VALUES_MAX common values and about as many histogram bounds (evenly
  spaced, the first and last kept), each cut to VALUE_CHARS characters, so a
  batch's answer stays small whatever the statistics target.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from .records import ColumnStatistics

VALUES_MAX = 10
VALUE_CHARS = 100

_FROM = """
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS b(nspname, relname)
JOIN pg_namespace n ON n.nspname = b.nspname::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.relname::name
CROSS JOIN LATERAL (
    SELECT * FROM pg_stats s
    WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.inherited = (c.relkind = 'p')
    OFFSET 0) s
"""

_FIGURES = """s.schemaname, s.tablename, s.attname, s.null_frac, s.n_distinct, s.avg_width, s.correlation,
       greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid))"""

STATISTICS_SQL = f"SELECT {_FIGURES}{_FROM}"


def _first(array: str) -> str:
    """The first VALUES_MAX elements of a pg_stats array, each as text cut short (jsonb)."""
    return f"""(SELECT jsonb_agg(left(e #>> '{{}}', {VALUE_CHARS}) ORDER BY i)
        FROM jsonb_array_elements(to_jsonb(array_to_json({array}))) WITH ORDINALITY AS x(e, i)
        WHERE i <= {VALUES_MAX})"""


# the histogram's bounds, about VALUES_MAX of them evenly spaced, first and last kept
_BOUNDS = f"""(SELECT jsonb_agg(left(e #>> '{{}}', {VALUE_CHARS}) ORDER BY i)
        FROM jsonb_array_elements(to_jsonb(array_to_json(s.histogram_bounds))) WITH ORDINALITY AS x(e, i)
        WHERE (i - 1) %% greatest(1, (cardinality(s.histogram_bounds) - 1) / {VALUES_MAX}) = 0
           OR i = cardinality(s.histogram_bounds))"""

STATISTICS_VALUES_SQL = f"""SELECT {_FIGURES},
       CASE WHEN w.c IS NULL THEN {_first("s.most_common_vals")} END,
       CASE WHEN w.c IS NULL THEN to_jsonb(s.most_common_freqs[1:{VALUES_MAX}]) END,
       CASE WHEN w.c IS NULL THEN {_BOUNDS} END
{_FROM}LEFT JOIN unnest(%(w_schemas)s::text[], %(w_tables)s::text[], %(w_columns)s::text[]) AS w(s, t, c)
  ON w.s = s.schemaname::text AND w.t = s.tablename::text AND w.c = s.attname::text
"""


def withheld_args(withheld: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """The withheld (schema, table, column) triples as STATISTICS_VALUES_SQL's arrays."""
    triples = sorted(set(withheld))
    return {
        "w_schemas": [t[0] for t in triples],
        "w_tables": [t[1] for t in triples],
        "w_columns": [t[2] for t in triples],
    }


def _texts(value) -> list[str] | None:
    if value is None:
        return None
    items = json.loads(value) if isinstance(value, str) else value
    return [str(v) for v in items]


def _floats(value) -> list[float] | None:
    if value is None:
        return None
    items = json.loads(value) if isinstance(value, str) else value
    return [float(v) for v in items]


def statistics_from_row(row: Sequence) -> tuple[tuple[str, str], ColumnStatistics]:
    """((schema, table), its column's statistics) from a row of either query."""
    schema, table, column, null_frac, n_distinct, width, correlation, gathered = row[:8]
    common, freqs, bounds = (*row[8:11], None, None, None)[:3]
    return (schema, table), ColumnStatistics(
        column=column,
        null_fraction=_num(null_frac),
        distinct=_num(n_distinct),
        avg_width=width,
        correlation=_num(correlation),
        gathered_at=gathered if isinstance(gathered, datetime) or gathered is None else None,
        most_common_values=_texts(common),
        most_common_freqs=_floats(freqs),
        histogram_bounds=_texts(bounds),
    )


def _num(value) -> float | None:
    return None if value is None else float(value)


def group_statistics(rows: Iterable[Sequence]) -> dict[tuple[str, str], list[ColumnStatistics]]:
    """Rows as {(schema, table): [column statistics]}."""
    out: dict[tuple[str, str], list[ColumnStatistics]] = {}
    for row in rows:
        key, stats = statistics_from_row(row)
        out.setdefault(key, []).append(stats)
    return out
