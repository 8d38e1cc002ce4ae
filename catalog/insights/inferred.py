"""Inferred relationships: a column that looks like a key of another table
(`<name>_id` or `<name>id` for a table `<name>`, or its plural: `s`, `es`,
`y` → `ies`) whose type is compatible with that table's one-column primary
key, where no declared foreign key covers the column.

One statement brings a source's candidates up to date after a crawl: those
from and to the tables the crawl added or changed (every table the first
time) are recomputed; an upsert keyed by names (schema, table, column,
referenced schema and table), so the owner's accept/reject decision survives
recrawls, and a delete of every candidate the catalog no longer supports
(its column, its table or the referenced key gone, or a foreign key declared
since)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

DECISIONS = ("accepted", "rejected")


def _family(t: str) -> str:
    """A SQL expression: the type family of the type expression `t`, for compatibility."""
    return (
        f"CASE WHEN lower({t}) ~ '^(tiny|small|medium|big)?int' OR lower({t}) IN ('integer', 'smallint', "
        f"'bigint', 'serial', 'bigserial', 'smallserial') THEN 'integer' "
        f"WHEN lower({t}) ~ '^(character varying|varchar|nvarchar|character|char|text)' THEN 'text' "
        f"WHEN lower({t}) ~ '^(numeric|decimal)' THEN 'numeric' ELSE lower({t}) END"
    )


# A key-like column: its name, lower-cased, ends in `id` after two characters or more.
_KEY_LIKE = "lower(c.name) ~ '^.{2,}id$'"
_STEM = "substring(lower(c.name) FROM '^(.+?)_?id$')"
_NO_FK = "NOT EXISTS (SELECT 1 FROM catalog_foreign_keys fk WHERE fk.table_id = t.id AND fk.columns ? c.name)"
_TABLE_KINDS = "('table', 'partitioned_table')"
# a partition shares its partitioned table's columns and keys: candidates are
# proposed once, on the partitioned table (as the UI lists it), never per partition
_WHOLE = "t.partition_of_name IS NULL"

# The candidates of the tables in `insights_scope` (every live table, or those
# changed since the last run) are recomputed: those from their columns (to any
# table) and those to them (from any column). Removed tables' candidates, and
# any the catalog no longer supports, are deleted.
REFRESH = f"""
WITH scope AS (
    SELECT t.id, t.schema_name, t.name, lower(t.name) AS lname, t.partition_of_name FROM insights_scope s
    JOIN catalog_tables t ON t.id = s.id WHERE t.kind IN {_TABLE_KINDS}),
-- key-like columns of the changed tables
key_scope AS (
    SELECT t.id, t.schema_name, t.name, c.name AS col, c.type, {_STEM} AS stem
    FROM scope t JOIN catalog_columns c ON c.table_id = t.id WHERE {_WHOLE} AND {_KEY_LIKE} AND {_NO_FK}),
-- the stems that name a changed table (it, or its plural)
stems AS (
    SELECT DISTINCT v FROM scope CROSS JOIN LATERAL unnest(ARRAY[lname, regexp_replace(lname, 's$', ''),
        regexp_replace(lname, 'es$', ''), regexp_replace(lname, 'ies$', 'y')]) AS v),
-- key-like columns of the other tables that may name a changed table (none on a whole run)
key_other AS (
    SELECT t.id, t.schema_name, t.name, c.name AS col, c.type, {_STEM} AS stem
    FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id
    WHERE CAST(:since AS bigint) IS NOT NULL AND c.source_id = :sid
      AND lower(c.name) IN (SELECT v || 'id' FROM stems UNION ALL SELECT v || '_id' FROM stems)
      AND t.removed_at IS NULL AND t.kind IN {_TABLE_KINDS} AND {_WHOLE} AND t.id NOT IN (SELECT id FROM insights_scope)
      AND {_KEY_LIKE} AND {_NO_FK}),
-- each key-like column once per name it may point at, so the join with the keys is one equality
cand AS MATERIALIZED (
    SELECT k.*, {_family("k.type")} AS family, k.id IN (SELECT id FROM scope) AS in_scope, v.n
    FROM (SELECT * FROM key_scope UNION ALL SELECT * FROM key_other) k
    CROSS JOIN LATERAL (SELECT DISTINCT n FROM unnest(ARRAY[k.stem, k.stem || 's', k.stem || 'es',
                        regexp_replace(k.stem, 'y$', 'ies')]) AS n) v),
-- the one-column primary keys of the tables a candidate names: the tables
-- are matched by name first (a hash join; OFFSET 0 keeps the definitions of
-- the others unread), `|| ''` keeps the planner off the trigram index, whose
-- equality probe reads every name sharing a trigram
pk AS MATERIALIZED (
    SELECT t.id, t.schema_name, t.name, lower(t.name) AS lname, c.name AS col, c.type,
           {_family("c.type")} AS family, t.id IN (SELECT id FROM scope) AS in_scope
    FROM (SELECT t.id, t.schema_name, t.name, t.definition->'primary_key' AS pk
          FROM catalog_tables t JOIN (SELECT DISTINCT n FROM cand) m ON m.n = lower(t.name) || ''
          WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {_TABLE_KINDS} AND {_WHOLE} OFFSET 0) t
    JOIN catalog_columns c ON c.table_id = t.id AND c.name = t.pk->'columns'->>0
    WHERE jsonb_typeof(t.pk) = 'object' AND jsonb_array_length(t.pk->'columns') = 1),
found AS MATERIALIZED (
    SELECT cand.schema_name, cand.name AS table_name, cand.col AS column_name,
           pk.schema_name AS referenced_schema, pk.name AS referenced_table, pk.col AS referenced_column,
           least(1.0, 0.5 + CASE WHEN pk.lname = cand.stem THEN 0.2 ELSE 0.1 END
                 + CASE WHEN lower(pk.col) IN (lower(cand.col), 'id') THEN 0.15 ELSE 0 END
                 + CASE WHEN pk.schema_name = cand.schema_name THEN 0.1 ELSE 0 END
                 + CASE WHEN pk.type = cand.type THEN 0.05 ELSE 0 END) AS score,
           concat_ws('; ',
               'column ' || cand.col || ' names table ' || pk.name
                   || CASE WHEN pk.lname = cand.stem THEN '' ELSE ' (plural)' END,
               CASE WHEN pk.type = cand.type THEN 'same type as its primary key ' || pk.col || ' (' || pk.type || ')'
                    ELSE 'type ' || cand.type || ' compatible with its primary key ' || pk.col || ' (' || pk.type
                         || ')' END,
               CASE WHEN pk.schema_name <> cand.schema_name THEN 'in another schema' END,
               'no foreign key declared') AS reason
    FROM cand JOIN pk ON pk.lname = cand.n AND pk.family = cand.family AND pk.id <> cand.id
    -- a column of an unchanged table is recomputed only towards the changed tables
    WHERE cand.in_scope OR pk.in_scope),
-- the candidates this run decides: all on a whole run; else those from or to a
-- changed table, and those of tables removed since
touched AS (
    SELECT schema_name, name FROM scope
    UNION ALL SELECT t.schema_name, t.name FROM insights_removed r JOIN catalog_tables t ON t.id = r.id),
saved AS (
    INSERT INTO catalog_inferred_keys (source_id, schema_name, table_name, column_name, referenced_schema,
        referenced_table, referenced_column, score, reason)
    SELECT :sid, schema_name, table_name, column_name, referenced_schema, referenced_table, referenced_column,
           score, reason FROM found
    ON CONFLICT ON CONSTRAINT uq_catalog_inferred_keys_names DO UPDATE
    SET referenced_column = EXCLUDED.referenced_column, score = EXCLUDED.score, reason = EXCLUDED.reason
    -- an unchanged candidate is not rewritten (nearly all of them, after a recrawl)
    WHERE (catalog_inferred_keys.referenced_column, catalog_inferred_keys.score, catalog_inferred_keys.reason)
          IS DISTINCT FROM (EXCLUDED.referenced_column, EXCLUDED.score, EXCLUDED.reason))
DELETE FROM catalog_inferred_keys k WHERE k.source_id = :sid
  AND (CAST(:since AS bigint) IS NULL
       OR (k.schema_name, k.table_name) IN (SELECT schema_name, name FROM touched)
       OR (k.referenced_schema, k.referenced_table) IN (SELECT schema_name, name FROM touched))
  AND NOT EXISTS (
    SELECT 1 FROM found f WHERE (f.schema_name, f.table_name, f.column_name, f.referenced_schema,
        f.referenced_table) = (k.schema_name, k.table_name, k.column_name, k.referenced_schema, k.referenced_table))
"""


def refresh_inferred(session: Session, source_id: int, since_crawl_id: int | None = None) -> None:
    """Bring the source's candidates up to date inside the caller's
    transaction, for the tables in `insights_scope` (see REFRESH)."""
    session.execute(text(REFRESH), {"sid": source_id, "since": since_crawl_id})


_COLUMNS = (
    "id, schema_name, table_name, column_name, referenced_schema, referenced_table, referenced_column, score, "
    "reason, decision, decided_at"
)


def candidates(
    session: Session,
    source_id: int,
    *,
    decision: str | None = None,
    after: tuple[float, int] | None = None,
    limit: int = 100,
) -> list[dict]:
    """Candidates, best score first (keyset on score, id)."""
    where = ["source_id = :sid"]
    params: dict = {"sid": source_id, "limit": limit}
    if decision == "undecided":
        where.append("decision IS NULL")
    elif decision is not None:
        where.append("decision = :decision")
        params["decision"] = decision
    if after is not None:
        where.append("(score < :score OR (score = :score AND id > :id))")
        params["score"], params["id"] = after
    rows = session.execute(
        text(
            f"SELECT {_COLUMNS} FROM catalog_inferred_keys WHERE {' AND '.join(where)} ORDER BY score DESC, id "
            "LIMIT :limit"
        ),
        params,
    )
    return [dict(r._mapping) for r in rows]


def decide(session: Session, source_id: int, candidate_id: int, decision: str) -> dict | None:
    """Record the owner's decision inside the caller's transaction; None when no such candidate."""
    row = session.execute(
        text(
            "UPDATE catalog_inferred_keys SET decision = :decision, decided_at = now() "
            f"WHERE source_id = :sid AND id = :id RETURNING {_COLUMNS}"
        ),
        {"sid": source_id, "id": candidate_id, "decision": decision},
    ).first()
    return dict(row._mapping) if row else None
