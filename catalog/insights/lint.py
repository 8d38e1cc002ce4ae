"""Lint over a source's stored definitions: one set-based INSERT ... SELECT
per rule (never a loop over tables; each rule is a module of
catalog/insights/rules/), run after each crawl that changed
something (`catalog.insights.refresh`, in its own task). A rule about one
table's own definition runs over the tables added or changed since the last
run (all of them the first time), a rule that compares tables over the whole
source; both read the relational copies of the definitions (catalog_columns,
catalog_foreign_keys, and the indexes read out once per run into a temporary
table) rather than expanding each definition's JSON per rule. This module
prepares those tables, runs the rules (`run_lint`) and reads the findings.

A finding names its rule, severity, object (`schema.table`,
`schema.table.index_or_column`, or a bare column name for rules about a
name across tables), a message, and a fix as SQL where one can be written
without guessing (for PostgreSQL sources; MySQL fixes only where the
statement needs nothing the catalog does not hold).

The ignore list is applied when findings are read, so changing it takes
effect at once without recomputing.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from .ignore_globs import like_pattern

# The rules (one module each) and their registry; the API reads these here.
from .rules import RULES as RULES
from .rules import SEVERITIES as SEVERITIES
from .rules import rule_statements
from .rules.common import TABLE_KINDS

# Rules about one table's own definition run over the tables in `insights_scope`
# (every live table, or those changed since the last run: catalog.insights);
# fk_type_mismatch over those and the tables whose keys reference one of them
# or a table removed since (`lint_fk_tables`). The rules that compare tables
# run over what the changes since the last run can have moved, found by
# comparing each changed or removed table's definition as of that run (its
# past version, `lint_before`) with its current one: column_type_inconsistent
# over the column names whose (name, type) pairs changed (`lint_names`),
# no_relations over the changed tables and those their keys referenced before
# or reference now (`lint_relations`). When a changed table has no past
# version (history written before versions existed), both run over the whole
# source.
CROSS_TABLE_RULES = ("column_type_inconsistent", "no_relations")

LINT_FK_TABLES = """
CREATE TEMP TABLE lint_fk_tables ON COMMIT DROP AS
SELECT id FROM insights_scope
UNION
SELECT f.table_id FROM catalog_foreign_keys f JOIN catalog_tables r ON r.source_id = f.source_id
    AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table
WHERE f.source_id = :sid AND r.id IN (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed)
"""

# The definition each changed or removed table had at the last run: the past
# version valid then (none for a table that did not exist then).
LINT_BEFORE = """
CREATE TEMP TABLE lint_before ON COMMIT DROP AS
SELECT DISTINCT ON (v.table_id) v.table_id, v.kind, v.definition
FROM catalog_table_versions v
WHERE v.table_id IN (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed)
  AND v.valid_to_crawl_id > :since AND v.valid_from_crawl_id <= :since
ORDER BY v.table_id, v.valid_to_crawl_id
"""

# A table that existed at the last run and changed since, without the past
# version that says what it was.
HISTORY_MISSING = """
SELECT EXISTS (SELECT 1 FROM (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed) s
               JOIN catalog_tables t ON t.id = s.id
               WHERE t.first_seen_crawl_id <= :since AND s.id NOT IN (SELECT table_id FROM lint_before))
"""

# The lower-cased column names whose (name, type) pairs in tables (not views)
# differ between the last run and now: only their column_type_inconsistent
# findings can have changed (a finding lists each type's count and tables).
LINT_NAMES = f"""
CREATE TEMP TABLE lint_names ON COMMIT DROP AS
SELECT DISTINCT name FROM (
    SELECT c.table_id, lower(c.name) AS name, c.type, 1 AS n FROM insights_scope s
    JOIN catalog_tables t ON t.id = s.id JOIN catalog_columns c ON c.table_id = t.id
    WHERE t.kind IN {TABLE_KINDS}
    UNION ALL
    SELECT b.table_id, lower(col->>'name'), col->>'type', -1 FROM lint_before b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.definition->'columns', '[]')) col
    WHERE b.kind IN {TABLE_KINDS}) d
GROUP BY table_id, name, type HAVING sum(n) <> 0
"""

# The tables whose no_relations finding can have changed: the changed and
# removed ones, and those their keys reference now or referenced before.
LINT_RELATIONS = """
CREATE TEMP TABLE lint_relations ON COMMIT DROP AS
SELECT id FROM insights_scope
UNION SELECT id FROM insights_removed
UNION SELECT r.id FROM catalog_foreign_keys f JOIN catalog_tables r ON r.source_id = :sid
    AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table
    WHERE f.table_id IN (SELECT id FROM insights_scope)
UNION SELECT r.id FROM lint_before b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.definition->'foreign_keys', '[]')) k
    JOIN catalog_tables r ON r.source_id = :sid
    AND r.schema_name = k->>'referenced_schema' AND r.name = k->>'referenced_table'
"""

# Every index, the primary key and every unique constraint of the tables in
# scope, read out of their definitions once per run (the index rules then
# compare text arrays instead of expanding JSON per rule).
LINT_INDEXES = """
CREATE TEMP TABLE lint_indexes ON COMMIT DROP AS
SELECT d.id AS table_id, x.kind, x.doc->>'name' AS name,
       ARRAY(SELECT jsonb_array_elements_text(x.doc->'columns')) AS cols,
       x.kind <> 'index' OR coalesce((x.doc->>'unique')::boolean, false) AS uniq,
       x.doc->>'method' AS method, x.doc->>'predicate' AS predicate,
       x.kind = 'primary_key' OR x.doc->>'name' IN (d.pk_name, 'PRIMARY') AS is_pk,
       x.kind <> 'index' OR x.doc->>'name' IN (d.pk_name, 'PRIMARY')
         OR x.doc->>'name' = ANY(d.constraint_names) AS backs_constraint
FROM (SELECT t.id, t.definition->'indexes' AS indexes, t.definition->'primary_key' AS pk,
             t.definition->'primary_key'->>'name' AS pk_name, c.constraints,
             ARRAY(SELECT k->>'name' FROM jsonb_array_elements(c.constraints) k) AS constraint_names
      FROM insights_scope s JOIN catalog_tables t ON t.id = s.id
      CROSS JOIN LATERAL (SELECT coalesce(t.definition->'constraints', '[]') AS constraints) c) d
CROSS JOIN LATERAL (
    SELECT 'index' AS kind, i AS doc FROM jsonb_array_elements(coalesce(d.indexes, '[]')) i
    UNION ALL SELECT 'primary_key', d.pk WHERE jsonb_typeof(d.pk) = 'object'
    UNION ALL SELECT 'constraint', k FROM jsonb_array_elements(d.constraints) k WHERE k->>'type' = 'unique') x
"""


def run_lint(session: Session, source_id: int, engine: str, since_crawl_id: int | None = None) -> dict[str, float]:
    """Bring the source's findings up to date inside the caller's transaction,
    for the tables in `insights_scope`: those added or changed after crawl
    `since_crawl_id` (every live table when None). Returns seconds per rule."""
    params = {"sid": source_id, "since": since_crawl_id}
    started = time.perf_counter()
    scoped = False
    if since_crawl_id is None:
        session.execute(text("CREATE TEMP TABLE lint_fk_tables ON COMMIT DROP AS SELECT id FROM insights_scope"))
        session.execute(text("ANALYZE lint_fk_tables"))
        session.execute(text("DELETE FROM catalog_findings WHERE source_id = :sid"), params)
    else:
        scoped = _prepare_incremental(session, params)
    session.execute(text(LINT_INDEXES))
    session.execute(text("ANALYZE lint_indexes"))
    seconds: dict[str, float] = {"read_indexes": round(time.perf_counter() - started, 4)}
    for rule, sql in rule_statements(engine, scoped):
        started = time.perf_counter()
        session.execute(text(sql), params)
        seconds[rule] = round(seconds.get(rule, 0.0) + time.perf_counter() - started, 4)
    session.execute(text("DROP TABLE lint_indexes, lint_fk_tables"))
    if since_crawl_id is not None:
        session.execute(text("DROP TABLE lint_before"))
    if scoped:
        session.execute(text("DROP TABLE lint_names, lint_relations"))
    return seconds


def _prepare_incremental(session: Session, params: dict) -> bool:
    """Delete the findings an incremental run recomputes: those of the
    scope's tables and of the tables removed since, the fk_type_mismatch
    ones of `lint_fk_tables`, and those of the rules across tables that the
    changes can have moved. Returns whether those rules can be scoped (else
    they run over the whole source)."""
    for statement in (LINT_FK_TABLES, LINT_BEFORE):
        session.execute(text(statement), params)
    session.execute(text("ANALYZE lint_fk_tables, lint_before"))
    # one pass over the findings' (source_id, table_id) index
    session.execute(
        text(
            "DELETE FROM catalog_findings f USING (SELECT id, true AS every_rule FROM insights_scope "
            "UNION ALL SELECT id, true FROM insights_removed UNION ALL SELECT id, false FROM lint_fk_tables) x "
            "WHERE f.source_id = :sid AND f.table_id = x.id AND (x.every_rule OR f.rule = 'fk_type_mismatch')"
        ),
        params,
    )
    if session.execute(text(HISTORY_MISSING), params).scalar_one():
        rules = ", ".join(f"'{r}'" for r in CROSS_TABLE_RULES)
        session.execute(text(f"DELETE FROM catalog_findings WHERE source_id = :sid AND rule IN ({rules})"), params)
        return False
    session.execute(text(LINT_NAMES), params)
    session.execute(text(LINT_RELATIONS), params)
    session.execute(text("ANALYZE lint_names, lint_relations"))
    session.execute(
        text(
            "DELETE FROM catalog_findings f WHERE f.source_id = :sid AND f.table_id IS NULL "
            "AND f.rule = 'column_type_inconsistent' AND f.object IN (SELECT name FROM lint_names)"
        ),
        params,
    )
    session.execute(
        text(
            "DELETE FROM catalog_findings f USING lint_relations x "
            "WHERE f.source_id = :sid AND f.table_id = x.id AND f.rule = 'no_relations'"
        ),
        params,
    )
    return True


# --- reads -----------------------------------------------------------------

# Findings not hidden by the source's ignore list (its globs as LIKE patterns: ignore_globs.py).
_NOT_IGNORED = """NOT EXISTS (
    SELECT 1 FROM catalog_insight_ignores i
    WHERE i.source_id = f.source_id AND (i.rule = '*' OR i.rule = f.rule) AND f.object LIKE i.like_pattern)"""


def findings_page(
    session: Session,
    source_id: int,
    *,
    rule: str | None = None,
    severity: str | None = None,
    schema: str | None = None,
    table: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[dict]:
    where = ["f.source_id = :sid", _NOT_IGNORED]
    params: dict = {"sid": source_id, "limit": limit}
    for column, value in (("rule", rule), ("severity", severity), ("schema_name", schema), ("table_name", table)):
        if value is not None:
            where.append(f"f.{column} = :{column}")
            params[column] = value
    if after_id is not None:
        where.append("f.id > :after")
        params["after"] = after_id
    rows = session.execute(
        text(
            "SELECT f.id, f.rule, f.severity, f.schema_name, f.table_name, f.object_name, f.object, f.message, "
            f"f.fix FROM catalog_findings f WHERE {' AND '.join(where)} ORDER BY f.id LIMIT :limit"
        ),
        params,
    )
    return [dict(r._mapping) for r in rows]


def finding_counts(session: Session, source_id: int) -> dict[str, int]:
    """Findings per rule, the ignore list applied."""
    rows = session.execute(
        text(
            f"SELECT f.rule, count(*) FROM catalog_findings f WHERE f.source_id = :sid AND {_NOT_IGNORED} "
            "GROUP BY f.rule ORDER BY f.rule"
        ),
        {"sid": source_id},
    )
    return {r[0]: r[1] for r in rows}


def findings_by_rule(session: Session, source_id: int, rules: list[str], per_rule: int) -> list[dict]:
    """The first `per_rule` findings of each rule (the ignore list applied),
    in one statement: one index range per rule, never the source's whole list."""
    rows = session.execute(
        text(
            "SELECT f.id, f.rule, f.severity, f.schema_name, f.table_name, f.object_name, f.object, f.message, "
            "f.fix FROM unnest(CAST(:rules AS text[])) AS r(rule) CROSS JOIN LATERAL ("
            f"SELECT f.* FROM catalog_findings f WHERE f.source_id = :sid AND f.rule = r.rule AND {_NOT_IGNORED} "
            "ORDER BY f.id LIMIT :n) f ORDER BY f.rule, f.id"
        ),
        {"sid": source_id, "rules": rules, "n": per_rule},
    )
    return [dict(r._mapping) for r in rows]


def table_findings(session: Session, source_id: int, table_id: int, limit: int = 100) -> list[dict]:
    """One table's findings (the ignore list applied), on the (source, table) index."""
    rows = session.execute(
        text(
            "SELECT f.id, f.rule, f.severity, f.schema_name, f.table_name, f.object_name, f.object, f.message, "
            f"f.fix FROM catalog_findings f WHERE f.source_id = :sid AND f.table_id = :tid AND {_NOT_IGNORED} "
            "ORDER BY f.id LIMIT :limit"
        ),
        {"sid": source_id, "tid": table_id, "limit": limit},
    )
    return [dict(r._mapping) for r in rows]


# A live table (t) or a column of one (c) with a curated description (catalog/curation).
_DESCRIBED_TABLE = """EXISTS (SELECT 1 FROM catalog_curation d WHERE d.source_id = t.source_id AND d.kind = 'table'
    AND d.table_id = t.id AND d.schema_name = '' AND d.column_name = '' AND d.description IS NOT NULL)"""
_DESCRIBED_COLUMN = """EXISTS (SELECT 1 FROM catalog_curation d WHERE d.source_id = c.source_id AND d.kind = 'column'
    AND d.table_id = c.table_id AND d.schema_name = '' AND d.column_name = c.name AND d.description IS NOT NULL)"""
_COMMENTED = "nullif(btrim({}.comment), '') IS NOT NULL"


def coverage(session: Session, source_id: int) -> dict:
    """Documentation coverage: the share of live tables and of their columns
    that are documented, by a database comment or a curated description, per
    schema and for the whole source (`*_commented` counts comments alone)."""
    # Two plain aggregates: whatever plan the statistics of the moment choose
    # (a GET may run while a crawl's apply is still being analyzed), neither
    # rescans an aggregate per table.
    tables = session.execute(
        text(
            f"SELECT t.schema_name, count(*), count(*) FILTER (WHERE {_COMMENTED.format('t')}), "
            f"count(*) FILTER (WHERE {_COMMENTED.format('t')} OR {_DESCRIBED_TABLE}) "
            "FROM catalog_tables t WHERE t.source_id = :sid AND t.removed_at IS NULL GROUP BY t.schema_name"
        ),
        {"sid": source_id},
    ).all()
    columns = {
        r[0]: (r[1], r[2], r[3])
        for r in session.execute(
            text(
                f"SELECT t.schema_name, count(*), count(*) FILTER (WHERE {_COMMENTED.format('c')}), "
                f"count(*) FILTER (WHERE {_COMMENTED.format('c')} OR {_DESCRIBED_COLUMN}) "
                "FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
                "WHERE c.source_id = :sid AND t.removed_at IS NULL GROUP BY t.schema_name"
            ),
            {"sid": source_id},
        )
    }
    rows = [(r[0], r[1], r[2], r[3], *columns.get(r[0], (0, 0, 0))) for r in sorted(tables)]

    def figures(tables: int, tc: int, td: int, columns: int, cc: int, cd: int) -> dict:
        return {
            "tables": tables,
            "tables_commented": tc,
            "tables_documented": td,
            "tables_share": round(td / tables, 4) if tables else None,
            "columns": columns,
            "columns_commented": cc,
            "columns_documented": cd,
            "columns_share": round(cd / columns, 4) if columns else None,
        }

    schemas = [{"schema": r[0], **figures(*(int(v) for v in r[1:]))} for r in rows]
    total = figures(*(sum(int(r[i]) for r in rows) for i in range(1, 7)))
    return {**total, "schemas": schemas}


def ignore_list(session: Session, source_id: int) -> list[dict]:
    rows = session.execute(
        text("SELECT rule, pattern FROM catalog_insight_ignores WHERE source_id = :sid ORDER BY rule, pattern"),
        {"sid": source_id},
    )
    return [{"rule": r[0], "pattern": r[1]} for r in rows]


def replace_ignore_list(session: Session, source_id: int, entries: list[dict]) -> None:
    """Replace the source's ignore list, inside the caller's transaction."""
    session.execute(text("DELETE FROM catalog_insight_ignores WHERE source_id = :sid"), {"sid": source_id})
    unique = sorted({(e["rule"], e["pattern"]) for e in entries})
    if unique:
        session.execute(
            text(
                "INSERT INTO catalog_insight_ignores (source_id, rule, pattern, like_pattern) "
                "SELECT :sid, r, p, l FROM unnest(CAST(:rules AS text[]), CAST(:patterns AS text[]), "
                "CAST(:likes AS text[])) AS u(r, p, l)"
            ),
            {
                "sid": source_id,
                "rules": [u[0] for u in unique],
                "patterns": [u[1] for u in unique],
                "likes": [like_pattern(u[1]) for u in unique],
            },
        )


def add_ignore(session: Session, source_id: int, rule: str, pattern: str) -> None:
    """Add one entry to the source's ignore list (already there: nothing changes)."""
    session.execute(
        text(
            "INSERT INTO catalog_insight_ignores (source_id, rule, pattern, like_pattern) "
            "VALUES (:sid, :rule, :pattern, :like) ON CONFLICT DO NOTHING"
        ),
        {"sid": source_id, "rule": rule, "pattern": pattern, "like": like_pattern(pattern)},
    )


def remove_ignore(session: Session, source_id: int, rule: str, pattern: str) -> bool:
    """Take one entry off the source's ignore list; False when it was not on it."""
    deleted = session.execute(
        text("DELETE FROM catalog_insight_ignores WHERE source_id = :sid AND rule = :rule AND pattern = :pattern"),
        {"sid": source_id, "rule": rule, "pattern": pattern},
    )
    return bool(deleted.rowcount)  # type: ignore[attr-defined]
