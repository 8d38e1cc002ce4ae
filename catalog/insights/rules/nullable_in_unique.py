"""nullable_in_unique: a unique constraint or index (not the primary key)
with nullable columns: NULLs never collide, so rows that look duplicated
pass. A unique constraint and the index behind it (same name) are one
finding. The fix (PostgreSQL) sets the columns NOT NULL."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("nullable_in_unique", "warning", "a nullable column in a unique constraint or index (NULLs never collide)")


def _fix(d: Dialect) -> str:
    if not d.pg:
        return "NULL"
    col_name = d.q("col->>'name'")
    return (
        f"string_agg('ALTER TABLE ' || {d.qt} || ' ALTER COLUMN ' || {col_name} || "
        "' SET NOT NULL;', ' ' ORDER BY (col->>'ordinal')::int)"
    )


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, u.name, {OBJ} || '.' || u.name, "
        "'unique ' || u.what || ' ' || u.name || ' has nullable columns: ' || "
        "string_agg(col->>'name', ', ' ORDER BY (col->>'ordinal')::int), "
        + _fix(d)
        # a unique constraint and the index behind it (same name) are one finding
        + " FROM (SELECT DISTINCT ON (table_id, name) table_id, name, kind AS what, cols FROM lint_indexes "
        "WHERE uniq AND NOT is_pk ORDER BY table_id, name, kind DESC) u "
        "JOIN catalog_tables t ON t.id = u.table_id "
        "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
        "WHERE (col->>'nullable')::boolean AND col->>'name' = ANY(u.cols) "
        "GROUP BY t.id, t.schema_name, t.name, u.name, u.what"
    ]
