"""column_type_inconsistent (across tables): the same column name
(lower-cased) with different types in the source's tables (not views): one
finding per name, on no table, listing each type with its count and first
tables. Scoped, it runs over the names whose (name, type) pairs changed
since the last run (`lint_names`). No fix: which type is right is the
owner's call."""

from __future__ import annotations

from .common import TABLE_KINDS, Dialect, Rule, listed

RULE = Rule("column_type_inconsistent", "info", "the same column name with different types across tables")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head("NULL") + "NULL, NULL, v.name, v.name, "
        "'column name ' || v.name || ' has ' || count(*) || ' types: ' || "
        "string_agg(v.type || ' (' || v.n || ' table' || CASE WHEN v.n > 1 THEN 's' ELSE '' END || ': ' || "
        "v.tables || ')', '; ' ORDER BY v.n DESC, v.type), NULL "
        "FROM (SELECT lower(c.name) AS name, c.type, count(*) AS n, "
        + listed("t.schema_name || '.' || t.name", "t.schema_name, t.name", at_most=3)
        + " AS tables FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
        f"WHERE c.source_id = :sid AND t.kind IN {TABLE_KINDS} "
        # names with one type everywhere (nearly all) are dropped before any table is joined
        "AND lower(c.name) IN (SELECT lower(c.name) FROM catalog_columns c WHERE c.source_id = :sid "
        + ("AND lower(c.name) IN (SELECT name FROM lint_names) " if d.scoped else "")
        + "GROUP BY lower(c.name) HAVING min(c.type) <> max(c.type)) "
        "GROUP BY lower(c.name), c.type) v GROUP BY v.name HAVING count(*) > 1"
    ]
