"""Column statistics in the crawl: staged by each batch for every table it
saw (crawl_staged_statistics, by catalog/staging.py from `statistics_rows`), applied by the finish (`apply_statistics`)
into catalog_column_statistics, rewriting only the rows whose figures moved,
like the tables' activity. Never part of a definition, its fingerprint or
signature, never a change event.

The value lists (most common values, histogram bounds) arrive only when the
source allows them (engines read none otherwise). Before they are staged
their shape is noted (`value_pattern`: 'email', 'phone'... or '') and a
column whose values look like personal data keeps only that note: its values
never reach the catalog. The note outlives a crawl that did not read values
(a column withheld because it was suggested sensitive on that very note), so
a suggestion does not come and go every other crawl."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

FIGURES = (
    "null_fraction",
    "n_distinct",
    "avg_width",
    "correlation",
    "gathered_at",
    "most_common_values",
    "most_common_freqs",
    "histogram_bounds",
)
STAGED_COLUMNS = ("job_id", "batch_no", "table_id", "column_name", *FIGURES, "value_pattern")
VALUE_LISTS = ("most_common_values", "most_common_freqs", "histogram_bounds")
# A row of its own per table whose statistics a crawl read, its gathered_at
# the table's last (auto)analyze then: staged, it tells the apply whose rows
# to replace; stored, whether the next crawl must read them again. A name no
# column of an engine with statistics can have (PostgreSQL names are at most
# 63 bytes, MariaDB's 64 characters), so no read ever shows it; not '' (COPY's
# CSV reads an empty field as NULL).
READ_MARK = "(statistics read)" + "." * 60

# Shapes of personal data a value list can show; a list is of a shape when
# most of its values (PATTERN_SHARE) are.
PATTERNS = (
    ("email", re.compile(r"\A[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}\Z")),
    ("card_number", re.compile(r"\A(?:\d[ -]?){12,18}\d\Z")),
    ("national_id", re.compile(r"\A\d{3}-\d{2}-\d{4}\Z")),
    ("phone", re.compile(r"\A\+?[\d ().-]{7,20}\Z")),
    ("ip_address", re.compile(r"\A(?:\d{1,3}\.){3}\d{1,3}\Z")),
)
PATTERN_SHARE = 0.8


def value_pattern(values: Iterable[str]) -> str:
    """The personal-data shape most of these values have, or ''."""
    seen = [v for v in values if v]
    if not seen:
        return ""
    for name, pattern in PATTERNS:
        if sum(1 for v in seen if pattern.match(v)) >= PATTERN_SHARE * len(seen):
            return name
    return ""


def _json(value) -> str | None:
    return None if value is None else json.dumps(value)


def statistics_rows(job_id: int, batch_no: int, ids: dict, statistics: dict) -> list[tuple]:
    """crawl_staged_statistics rows (STAGED_COLUMNS) for the tables the batch
    saw (`ids`: (schema, name) -> catalog id; `statistics`: (schema, name) ->
    [ColumnStatistics] of every table whose statistics the batch read, with
    its READ_MARK row). A column whose values have a personal-data shape
    keeps the shape only."""
    rows = []
    for key, columns in statistics.items():
        if key not in ids:
            continue
        for s in columns:
            lists = {f: getattr(s, f) for f in VALUE_LISTS}
            read = any(v is not None for v in lists.values())
            pattern = value_pattern([*(s.most_common_values or ()), *(s.histogram_bounds or ())]) if read else None
            if pattern:
                lists = dict.fromkeys(VALUE_LISTS)
            rows.append(
                (job_id, batch_no, ids[key], s.column, s.null_fraction, s.distinct, s.avg_width, s.correlation,
                 s.gathered_at, *(_json(lists[f]) for f in VALUE_LISTS), pattern)
            )  # fmt: skip
    return rows


_KEPT_PATTERN = "coalesce(EXCLUDED.value_pattern, catalog_column_statistics.value_pattern)"

# The tables whose statistics this crawl read: theirs are the ones it staged
# (the others kept theirs: nothing was analyzed since).
_READ = "SELECT table_id FROM crawl_staged_statistics WHERE job_id = :job AND column_name = :mark"

STATISTICS_STATEMENTS = [
    # every seen column's statistics: one upsert that rewrites only the rows
    # whose figures moved (none after a crawl of an unchanged, unanalysed
    # database); a value note stays when this crawl read no values
    (
        "statistics",
        f"""
        INSERT INTO catalog_column_statistics (table_id, column_name, {", ".join(FIGURES)}, value_pattern)
        SELECT table_id, column_name, {", ".join(FIGURES)}, value_pattern
        FROM crawl_staged_statistics WHERE job_id = :job
        ON CONFLICT (table_id, column_name) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in FIGURES)}, value_pattern = {_KEPT_PATTERN}
        WHERE ({", ".join(f"catalog_column_statistics.{c}" for c in FIGURES)}, catalog_column_statistics.value_pattern)
              IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in FIGURES)}, {_KEPT_PATTERN})""",
    ),
    # columns of tables read that have no statistics any more (dropped,
    # statistics cleared, or the account may no longer read them)
    (
        "statistics_gone",
        f"""
        DELETE FROM catalog_column_statistics c USING ({_READ}) s
        WHERE c.table_id = s.table_id AND NOT EXISTS (
            SELECT 1 FROM crawl_staged_statistics x
            WHERE x.job_id = :job AND x.table_id = c.table_id AND x.column_name = c.column_name)""",
    ),
    (
        "statistics_removed",
        """
        DELETE FROM catalog_column_statistics c USING catalog_tables t
        WHERE t.source_id = :sid AND t.removed_crawl_id = :job AND c.table_id = t.id""",
    ),
]


def apply_statistics(session: Session, params: dict) -> dict[str, int]:
    """Move the crawl's staged statistics into the catalog (inside the
    apply's transaction, after its tables are written): rows per statement."""
    counts: dict[str, int] = {}
    for name, sql in STATISTICS_STATEMENTS:
        counts[name] = cast(CursorResult, session.execute(text(sql), {**params, "mark": READ_MARK})).rowcount
    return counts


def read_marks(session: Session, table_ids: list[int]) -> dict[int, object]:
    """For these catalog tables, the last (auto)analyze their stored
    statistics were read at (their READ_MARK row's gathered_at; None: never
    analyzed then); tables never read are absent."""
    if not table_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT table_id, gathered_at FROM catalog_column_statistics "
            "WHERE table_id = ANY(CAST(:ids AS bigint[])) AND column_name = :mark"
        ),
        {"ids": table_ids, "mark": READ_MARK},
    )
    return {r[0]: r[1] for r in rows}


def analyzed_at(activity):
    """A table's last ANALYZE or autoanalyze as its activity tells, or None."""
    times = [t for t in (activity.last_analyze_at, activity.last_autoanalyze_at) if t is not None]
    return max(times) if times else None


def to_read(known, marks: dict, activity, described: bool) -> bool:
    """Whether a batch reads a table's statistics: they move only when the
    table is analyzed, so a table the catalog knows, not described again,
    whose statistics were read at the analyze its activity still shows, is
    skipped. Read when the engine tells no analyze time (MariaDB: no
    pg_stat counters, `rows_inserted` None; views, partitioned parents)."""
    if known is None or known.removed or described or activity is None or activity.rows_inserted is None:
        return True
    return known.id not in marks or marks[known.id] != analyzed_at(activity)
