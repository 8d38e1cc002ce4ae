"""A table document's column statistics and sensitive-column suggestions
(catalog_column_statistics, catalog_sensitive_columns), added by the table
detail read in one query.

The value lists (most common values, histogram bounds) are served only when
the source allows them now and the column is not sensitive now (tagged, or
suggested and not dismissed): a tag or a suggestion hides them at once,
before the next crawl forgets them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .sensitive import is_sensitive_tag, values_allowed
from .timestamps import rfc3339

VALUE_LISTS = ("most_common_values", "most_common_freqs", "histogram_bounds")

_ROWS = """
    SELECT c.name, st.null_fraction, st.n_distinct, st.avg_width, st.correlation, st.gathered_at,
           st.most_common_values, st.most_common_freqs, st.histogram_bounds, st.table_id IS NOT NULL AS has_stats,
           sc.id AS suggestion_id, sc.score, sc.reasons, sc.status
    FROM catalog_columns c
    LEFT JOIN catalog_column_statistics st ON st.table_id = c.table_id AND st.column_name = c.name
    LEFT JOIN catalog_sensitive_columns sc ON sc.table_id = c.table_id AND sc.column_name = c.name
    WHERE c.table_id = :tid"""


def distinct_figures(n_distinct: float | None, rows: int | None) -> tuple[int | None, float | None]:
    """(estimated count, fraction of the rows) of a column's distinct values
    from pg_stats' n_distinct (negative: minus the fraction) and the table's
    row estimate."""
    if n_distinct is None:
        return None, None
    if n_distinct < 0:
        fraction = -n_distinct
        return (round(fraction * rows) if rows is not None and rows >= 0 else None), fraction
    return round(n_distinct), (min(1.0, n_distinct / rows) if rows else None)


def _column_statistics(r, rows: int | None, show_values: bool) -> dict | None:
    if not r.has_stats:
        return None
    count, fraction = distinct_figures(r.n_distinct, rows)
    out = {
        "null_fraction": r.null_fraction,
        "distinct_estimate": count,
        "distinct_fraction": fraction,
        "avg_width": r.avg_width,
        "correlation": r.correlation,
        "gathered_at": rfc3339(r.gathered_at) if r.gathered_at is not None else None,
    }
    out.update({f: (getattr(r, f) if show_values else None) for f in VALUE_LISTS})
    return out


def add_statistics(session: Session, settings: dict | None, doc: dict) -> None:
    """Each column's `statistics` and `sensitive` (its suggestion, or null),
    and the table's `statistics` summary: whether values may be shown and
    when the row estimate was gathered (the last analyze the activity holds)."""
    allowed = values_allowed(settings)
    rows = {r.name: r for r in session.execute(text(_ROWS), {"tid": doc["table_id"]})}
    estimate = doc.get("row_estimate")
    for c in doc.get("columns") or []:
        r = rows.get(c.get("name"))
        c["statistics"], c["sensitive"] = None, None
        if r is None:
            continue
        tags = [t.get("name") or "" for t in (c.get("curation") or {}).get("tags") or []]
        suggested = r.suggestion_id is not None
        sensitive = any(is_sensitive_tag(t) for t in tags) or (suggested and r.status != "dismissed")
        c["statistics"] = _column_statistics(r, estimate, allowed and not sensitive)
        if suggested:
            c["sensitive"] = {"id": r.suggestion_id, "score": r.score, "reasons": r.reasons, "status": r.status}
    activity = doc.get("activity") or {}
    analyzed = [a for a in (activity.get("last_analyze_at"), activity.get("last_autoanalyze_at")) if a]
    doc["statistics"] = {
        "values_allowed": allowed,
        "row_estimate_gathered_at": max(analyzed) if analyzed else None,
    }
