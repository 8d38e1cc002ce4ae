"""fk_type_mismatch (across tables): a foreign key column whose type differs
from the referenced column's, so every join casts and the key may not hold
what the referenced column can. Runs over `lint_fk_tables`: the tables in
scope and those whose keys reference one of them (or a table removed since
the last run). The fix (PostgreSQL) gives the column the referenced type."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("fk_type_mismatch", "warning", "a foreign key column whose type differs from the referenced column's")


def statements(d: Dialect) -> list[str]:
    fix = f"'ALTER TABLE ' || {d.qt} || ' ALTER COLUMN ' || {d.q('c.col')} || ' TYPE ' || rc.type || ';'"
    return [
        RULE.head() + f"t.schema_name, t.name, c.col, {OBJ} || '.' || c.col, "
        "'column ' || c.col || ' is ' || cc.type || ' but references ' || r.schema_name || '.' || r.name || "
        "'.' || (f.referenced_columns->>(c.n::int - 1)) || ', which is ' || rc.type || "
        "' (foreign key ' || f.name || ')', "
        + (fix if d.pg else "NULL")
        + " FROM lint_fk_tables s JOIN catalog_foreign_keys f ON f.table_id = s.id "
        "JOIN catalog_tables t ON t.id = f.table_id "
        "CROSS JOIN LATERAL jsonb_array_elements_text(f.columns) WITH ORDINALITY c(col, n) "
        "JOIN catalog_tables r ON r.source_id = f.source_id AND r.removed_at IS NULL "
        "AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table "
        "JOIN catalog_columns cc ON cc.table_id = t.id AND cc.name = c.col "
        "JOIN catalog_columns rc ON rc.table_id = r.id AND rc.name = f.referenced_columns->>(c.n::int - 1) "
        "WHERE cc.type <> rc.type"
    ]
