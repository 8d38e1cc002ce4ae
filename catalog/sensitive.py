"""Sensitive columns: which are, the suggestions, and a curator's decision.

A column is *sensitive* when it is tagged so (a tag in SENSITIVE_TAGS, or
one starting `pii-` or `sensitive-`, on the column's curation) or suggested
so (a catalog_sensitive_columns row pending or confirmed; a dismissed one
is not). A sensitive column's statistics value lists are never read from
the target (`withheld_columns`), never kept (`strip_values`) and never
served (catalog/statistics_reads.py).

Suggestions are re-evaluated after every crawl's apply, in the finish's
transaction (`evaluate`): one set-based pass over the source's columns with
the rules of catalog/sensitive_rules.py, which keeps the curators'
decisions (a dismissed suggestion stays dismissed while its column still
scores), drops suggestions whose column no longer scores or is gone, and
strips the value lists of every sensitive column. `confirm` tags the
column `sensitive` (the team's tag, added to its list when missing) through
catalog/curation's `curate`, so the tag has its audit row; `dismiss` marks
the suggestion dismissed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from .column_statistics import READ_MARK
from .curation.objects import Target
from .curation.read import curation_row
from .curation.write import curate
from .models import Source
from .sensitive_rules import DISTINCT_HEAVY, NAME_PREFILTER, PATTERN_REASONS, THRESHOLD, scored_sql
from .teams import put_tag

SENSITIVE_TAGS = ("pii", "sensitive")
CONFIRM_TAG = "sensitive"
CONFIRM_TAG_COLOUR = "#b42318"
STATUSES = ("pending", "confirmed", "dismissed")


def is_sensitive_tag(tag: str) -> bool:
    return tag in SENSITIVE_TAGS or tag.startswith(tuple(f"{t}-" for t in SENSITIVE_TAGS))


# a column (table id `{t}`, name `{c}`) is sensitive: tagged, or suggested and not dismissed
def sensitive_sql(t: str, c: str) -> str:
    return f"""(EXISTS (SELECT 1 FROM catalog_sensitive_columns sc
                   WHERE sc.table_id = {t} AND sc.column_name = {c} AND sc.status <> 'dismissed')
         OR EXISTS (SELECT 1 FROM catalog_curation cu CROSS JOIN LATERAL unnest(cu.tags) g(tag)
                    WHERE cu.kind = 'column' AND cu.table_id = {t} AND cu.column_name = {c}
                      AND (g.tag IN ('pii', 'sensitive') OR g.tag LIKE 'pii-%' OR g.tag LIKE 'sensitive-%')))"""


def values_allowed(settings: dict | None) -> bool:
    """Whether a source's settings let a crawl read statistics' value lists."""
    return bool((settings or {}).get("statistics_values"))


def withheld_columns(session: Session, table_ids: list[int]) -> set[tuple[str, str, str]]:
    """(schema, table, column) of the sensitive columns of these catalog tables."""
    if not table_ids:
        return set()
    rows = session.execute(
        text(
            "SELECT t.schema_name, t.name, c.name FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
            f"WHERE c.table_id = ANY(:ids) AND {sensitive_sql('c.table_id', 'c.name')}"
        ),
        {"ids": table_ids},
    )
    return {(r[0], r[1], r[2]) for r in rows}


def _candidates(allowed: bool) -> str:
    """The source's columns that can reach THRESHOLD (those of the names in
    sensitive_names, NAMES below; and, where
    values are allowed, those whose values had a personal-data shape), with
    what the rules read: whether the values are nearly all distinct (the only
    use of n_distinct), and the values' shape only where allowed."""
    shaped = f"""
        UNION
        SELECT c.table_id, c.name, c.type, c.comment FROM catalog_column_statistics st
        JOIN catalog_tables t ON t.id = st.table_id AND t.source_id = :sid AND t.removed_at IS NULL
        JOIN catalog_columns c ON c.table_id = st.table_id AND c.name = st.column_name
        WHERE st.table_id IN (SELECT table_id FROM sensitive_scope)
          AND st.value_pattern IN ({", ".join(f"'{k}'" for k in PATTERN_REASONS)})"""
    return f"""
    SELECT c.table_id, c.name, c.type, c.comment,
           CASE WHEN st.n_distinct <= {DISTINCT_HEAVY} THEN -1.0 ELSE 0.0 END AS nd,
           {"st.value_pattern" if allowed else "NULL::text"} AS pattern
    FROM (
        SELECT c.table_id, c.name, c.type, c.comment FROM catalog_columns c
        WHERE c.source_id = :sid AND c.table_id IN (SELECT table_id FROM sensitive_scope)
          AND lower(c.name) IN (SELECT name FROM sensitive_names)
        {shaped if allowed else ""}
    ) c
    LEFT JOIN catalog_column_statistics st ON st.table_id = c.table_id AND st.column_name = c.name"""


# The source's distinct lower-cased column names that can reach THRESHOLD.
NAMES = f"""
    CREATE TEMPORARY TABLE sensitive_names ON COMMIT DROP AS
    SELECT n.name FROM catalog_column_names n
    WHERE n.source_id = :sid AND regexp_replace(n.name, '[^a-z0-9]+', '_', 'g') ~ '{NAME_PREFILTER}'"""

# The rules' inputs (type and shape only where they matter), each distinct set
# once: names, types and shapes repeat across tables.
_KEYS = """
    SELECT row_number() OVER () AS k, d.* FROM (
        SELECT DISTINCT name, type, coalesce(comment, '') AS comment, nd, coalesce(pattern, '') AS pattern
        FROM sensitive_cand) d"""

_KEY_INPUTS = "SELECT k, name, type, NULLIF(comment, ''), nd, NULLIF(pattern, '') FROM sensitive_keys"

# Step by step through temporary tables, each analyzed, so every join is a
# hash join over what was just computed: as one statement, the planner ran
# the scoring subquery once per candidate (minutes at 10,000 tables).
# The tables a crawl can have moved the scores of: those it staged (new,
# changed, renamed), whose statistics it read, and those it removed; every
# table of the source when it was never scored.
SCOPE = f"""
    SELECT table_id FROM crawl_staged_tables WHERE job_id = :job
    UNION SELECT table_id FROM crawl_staged_statistics WHERE job_id = :job AND column_name = '{READ_MARK}'
    UNION SELECT id FROM catalog_tables WHERE source_id = :sid AND removed_crawl_id = :job"""
WHOLE = "SELECT id AS table_id FROM catalog_tables WHERE source_id = :sid"

EVALUATE = [
    "CREATE TEMPORARY TABLE sensitive_cand ON COMMIT DROP AS {candidates}",
    "ANALYZE sensitive_cand",
    f"CREATE TEMPORARY TABLE sensitive_keys ON COMMIT DROP AS {_KEYS}",
    f"""CREATE TEMPORARY TABLE sensitive_key_scores ON COMMIT DROP AS
        SELECT * FROM ({scored_sql(_KEY_INPUTS)}) AS s(k, name, score, reasons)
        WHERE s.score >= {THRESHOLD}""",
    "ANALYZE sensitive_keys",
    "ANALYZE sensitive_key_scores",
    """CREATE TEMPORARY TABLE sensitive_scored ON COMMIT DROP AS
        SELECT c.table_id, c.name AS column_name, s.score, s.reasons
        FROM sensitive_key_scores s JOIN sensitive_keys k ON k.k = s.k
        JOIN sensitive_cand c ON k.name = c.name AND k.type = c.type AND k.comment = coalesce(c.comment, '')
             AND k.nd = c.nd AND k.pattern = coalesce(c.pattern, '')""",
    "ANALYZE sensitive_scored",
    """INSERT INTO catalog_sensitive_columns (source_id, table_id, column_name, score, reasons)
       SELECT :sid, table_id, column_name, score, to_jsonb(reasons) FROM sensitive_scored
       ON CONFLICT (table_id, column_name) DO UPDATE SET score = EXCLUDED.score, reasons = EXCLUDED.reasons
       WHERE (catalog_sensitive_columns.score, catalog_sensitive_columns.reasons)
             IS DISTINCT FROM (EXCLUDED.score, EXCLUDED.reasons)""",
    # a suggestion nobody confirmed whose column no longer scores (gone, or changed)
    """DELETE FROM catalog_sensitive_columns x WHERE x.source_id = :sid AND x.status <> 'confirmed'
       AND x.table_id IN (SELECT table_id FROM sensitive_scope) AND NOT EXISTS (SELECT 1 FROM sensitive_scored s
                       WHERE s.table_id = x.table_id AND s.column_name = x.column_name)""",
    # a confirmed one whose column is gone (its tag stays, orphaned, in the curation)
    """DELETE FROM catalog_sensitive_columns x WHERE x.source_id = :sid AND x.status = 'confirmed'
       AND x.table_id IN (SELECT table_id FROM sensitive_scope)
       AND NOT EXISTS (SELECT 1 FROM catalog_columns c WHERE c.table_id = x.table_id AND c.name = x.column_name)""",
    "DROP TABLE sensitive_scored, sensitive_key_scores, sensitive_keys, sensitive_cand",
]

STRIP_VALUES = f"""
    UPDATE catalog_column_statistics st
    SET most_common_values = NULL, most_common_freqs = NULL, histogram_bounds = NULL
    FROM catalog_tables t
    WHERE t.id = st.table_id AND t.source_id = :sid AND {{only}}
      AND (st.most_common_values IS NOT NULL OR st.histogram_bounds IS NOT NULL)
      AND (NOT :allowed OR {sensitive_sql("st.table_id", "st.column_name")})"""


def strip_values(
    session: Session, source_id: int, allowed: bool = True, table_id: int | None = None, column: str | None = None
) -> None:
    """Forget the value lists of the source's sensitive columns (or of one
    column), and all of them when the source no longer allows them."""
    only = "TRUE" if table_id is None else "st.table_id = :tid AND st.column_name = :col"
    session.execute(
        text(STRIP_VALUES.format(only=only)),
        {"sid": source_id, "tid": table_id, "col": column, "allowed": allowed},
    )


def evaluate(session: Session, source_id: int, job_id: int | None = None) -> None:
    """Re-evaluate the source's suggestions after crawl `job_id`'s apply, in
    its transaction, for the tables it can have moved (SCOPE; the whole
    source when it was never scored or without a job), and strip the value
    lists of its sensitive columns (all of them if the source no longer
    allows them)."""
    settings = session.execute(text("SELECT settings FROM sources WHERE id = :sid"), {"sid": source_id}).scalar()
    allowed = values_allowed(settings)
    scored = session.execute(
        text("SELECT EXISTS (SELECT 1 FROM catalog_sensitive_columns WHERE source_id = :sid)"), {"sid": source_id}
    ).scalar()
    scope = SCOPE if job_id is not None and scored else WHOLE
    params = {"sid": source_id, "job": job_id}
    session.execute(text(f"CREATE TEMPORARY TABLE sensitive_scope ON COMMIT DROP AS {scope}"), params)
    if session.execute(text("SELECT EXISTS (SELECT 1 FROM sensitive_scope)")).scalar():  # else nothing moved
        # Indexed and analyzed, as the names are: in the finish of a new
        # source's first crawl the catalog's statistics know none of its rows
        # (planned as one row, the candidates took 114 s at 10,000 tables
        # beside another source, a scope scan and the names' regex per column).
        session.execute(text("ALTER TABLE sensitive_scope ADD PRIMARY KEY (table_id)"))
        session.execute(text("ANALYZE sensitive_scope"))
        session.execute(text(NAMES), params)
        session.execute(text("ANALYZE sensitive_names"))
        candidates = _candidates(allowed)
        for sql in EVALUATE:
            session.execute(text(sql.replace("{candidates}", candidates)), params)
        session.execute(text("DROP TABLE sensitive_names"))
    session.execute(text("DROP TABLE sensitive_scope"))
    strip_values(session, source_id, allowed)


class SuggestionMissing(LookupError):
    """No such suggestion for the source."""


def _suggestion(session: Session, source_id: int, suggestion_id: int):
    row = session.execute(
        text(
            "SELECT id, table_id, column_name, status FROM catalog_sensitive_columns "
            "WHERE id = :id AND source_id = :sid FOR UPDATE"
        ),
        {"id": suggestion_id, "sid": source_id},
    ).first()
    if row is None:
        raise SuggestionMissing(suggestion_id)
    return row


def _decide(session: Session, suggestion_id: int, status: str, user_id: int) -> None:
    session.execute(
        text(
            "UPDATE catalog_sensitive_columns SET status = :status, decided_by = :uid, decided_at = :now WHERE id = :id"
        ),
        {"id": suggestion_id, "status": status, "uid": user_id, "now": datetime.now(UTC)},
    )


def confirm(session: Session, source: Source, suggestion_id: int, user_id: int) -> None:
    """Tag the suggested column `sensitive` (creating the team's tag when it
    has none) and mark the suggestion confirmed. The caller commits."""
    row = _suggestion(session, source.id, suggestion_id)
    target = Target.column(row.table_id, row.column_name)
    current = curation_row(session, source.id, target)
    tags = list(current.tags) if current is not None else []
    if CONFIRM_TAG not in tags:
        if (
            session.execute(
                text("SELECT 1 FROM team_tags WHERE team_id = :team AND name = :name"),
                {"team": source.team_id, "name": CONFIRM_TAG},
            ).first()
            is None
        ):
            put_tag(session, source.team_id, CONFIRM_TAG, CONFIRM_TAG_COLOUR, "Holds personal or secret data")
        curate(session, source, target, {"tags": [*tags, CONFIRM_TAG]}, user_id)
    _decide(session, row.id, "confirmed", user_id)
    strip_values(session, source.id, table_id=row.table_id, column=row.column_name)


def dismiss(session: Session, source: Source, suggestion_id: int, user_id: int) -> None:
    """Mark the suggestion dismissed (it stays so while the column scores). The caller commits."""
    row = _suggestion(session, source.id, suggestion_id)
    _decide(session, row.id, "dismissed", user_id)


SUGGESTION_FIELDS = """sc.id, sc.table_id, t.schema_name, t.name AS table_name, sc.column_name, sc.score, sc.reasons,
    sc.status, sc.found_at, sc.decided_at"""


def suggestions(
    session: Session, source_id: int, status: str | None, after: int | None, limit: int, table_id: int | None = None
) -> list[dict]:
    """A source's suggestions by id (keyset `after`), of one status and table when given."""
    rows = session.execute(
        text(
            f"SELECT {SUGGESTION_FIELDS} FROM catalog_sensitive_columns sc "
            "JOIN catalog_tables t ON t.id = sc.table_id AND t.removed_at IS NULL "
            "WHERE sc.source_id = :sid AND (CAST(:status AS text) IS NULL OR sc.status = :status) "
            "AND (CAST(:after AS bigint) IS NULL OR sc.id > :after) "
            "AND (CAST(:tid AS bigint) IS NULL OR sc.table_id = :tid) ORDER BY sc.id LIMIT :limit"
        ),
        {"sid": source_id, "status": status, "after": after, "limit": limit, "tid": table_id},
    ).mappings()
    return [dict(r) for r in rows]


def suggestion(session: Session, source_id: int, suggestion_id: int) -> dict | None:
    """One suggestion of the source, or None."""
    row = (
        session.execute(
            text(
                f"SELECT {SUGGESTION_FIELDS} FROM catalog_sensitive_columns sc "
                "JOIN catalog_tables t ON t.id = sc.table_id WHERE sc.id = :id AND sc.source_id = :sid"
            ),
            {"id": suggestion_id, "sid": source_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def decision_stamp(session: Session, source_id: int) -> str:
    """What changes when a curator decides on one of the source's
    suggestions: for the ETags of reads that show them."""
    row = session.execute(
        text(
            "SELECT max(decided_at), count(*) FROM catalog_sensitive_columns "
            "WHERE source_id = :sid AND decided_at IS NOT NULL"
        ),
        {"sid": source_id},
    ).first()
    return f"{row[0]}|{row[1]}" if row else ""
