"""Inferred relationships: a column that looks like a key of another table
(`<name>_id` or `<name>id` for a table `<name>`, or its plural: `s`, `es`,
`y` → `ies`) whose type is compatible with that table's one-column primary
key, where no declared foreign key covers the column.

One statement recomputes a source's candidates after a crawl: an upsert
keyed by names (schema, table, column, referenced schema and table), so the
owner's accept/reject decision survives recrawls, and a delete of every
candidate the catalog no longer supports (its column or the referenced key
gone, or a foreign key declared since)."""

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


REFRESH = f"""
WITH live AS (
    SELECT id, schema_name, name, definition FROM catalog_tables
    WHERE source_id = :sid AND removed_at IS NULL AND kind IN ('table', 'partitioned_table')),
pk AS MATERIALIZED (
    SELECT t.id, t.schema_name, t.name, lower(t.name) AS lname, c.name AS col, c.type,
           {_family("c.type")} AS family
    FROM live t JOIN catalog_columns c ON c.table_id = t.id AND c.name = t.definition->'primary_key'->'columns'->>0
    WHERE jsonb_typeof(t.definition->'primary_key') = 'object'
      AND jsonb_array_length(t.definition->'primary_key'->'columns') = 1),
key_like AS (
    SELECT t.id, t.schema_name, t.name, c.name AS col, c.type, {_family("c.type")} AS family,
           substring(lower(c.name) FROM '^(.+?)_?id$') AS stem
    FROM live t JOIN catalog_columns c ON c.table_id = t.id
    WHERE lower(c.name) ~ '^.{{2,}}id$'
      AND NOT EXISTS (SELECT 1 FROM catalog_foreign_keys fk WHERE fk.table_id = t.id AND fk.columns ? c.name)),
-- each key-like column once per name it may point at, so the join with the keys is one equality
cand AS MATERIALIZED (
    SELECT k.*, v.n FROM key_like k
    CROSS JOIN LATERAL (SELECT DISTINCT n FROM unnest(ARRAY[k.stem, k.stem || 's', k.stem || 'es',
                        regexp_replace(k.stem, 'y$', 'ies')]) AS n) v),
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
    FROM cand JOIN pk ON pk.lname = cand.n AND pk.family = cand.family AND pk.id <> cand.id),
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
DELETE FROM catalog_inferred_keys k WHERE k.source_id = :sid AND NOT EXISTS (
    SELECT 1 FROM found f WHERE (f.schema_name, f.table_name, f.column_name, f.referenced_schema,
        f.referenced_table) = (k.schema_name, k.table_name, k.column_name, k.referenced_schema, k.referenced_table))
"""


def refresh_inferred(session: Session, source_id: int) -> None:
    """Recompute the source's candidates inside the caller's transaction."""
    session.execute(text(REFRESH), {"sid": source_id})


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
