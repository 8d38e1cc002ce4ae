"""json_not_jsonb (PostgreSQL only): a json (or json[]) column, where jsonb
is smaller to query, indexable and compares by value. The fix converts the
column's type."""

from __future__ import annotations

from .common import OBJ, SCOPED, TABLE_KINDS, Dialect, Rule

RULE = Rule("json_not_jsonb", "info", "a json column on PostgreSQL, where jsonb exists")


def statements(d: Dialect) -> list[str]:
    if not d.pg:
        return []
    return [
        RULE.head() + f"t.schema_name, t.name, c.name, {OBJ} || '.' || c.name, "
        "'column ' || c.name || ' is ' || c.type || '; jsonb is smaller to query, "
        "indexable and compares by value', "
        f"'ALTER TABLE ' || {d.qt} || ' ALTER COLUMN ' || {d.q('c.name')} || ' TYPE ' || "
        f"replace(c.type, 'json', 'jsonb') || ' USING ' || {d.q('c.name')} || '::' || "
        "replace(c.type, 'json', 'jsonb') || ';' "
        f"FROM {SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
        f"WHERE t.kind IN {TABLE_KINDS} AND c.type IN ('json', 'json[]')"
    ]
