"""too_many_columns: a table with more than TOO_MANY_COLUMNS columns, often
several things in one. No fix."""

from __future__ import annotations

from .common import OBJ, SCOPED, TABLE_KINDS, Dialect, Rule

TOO_MANY_COLUMNS = 100

RULE = Rule("too_many_columns", "info", f"a table with more than {TOO_MANY_COLUMNS} columns")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, "
        "'table has ' || jsonb_array_length(t.definition->'columns') || ' columns', NULL "
        f"FROM {SCOPED} WHERE t.kind IN {TABLE_KINDS} "
        f"AND jsonb_array_length(t.definition->'columns') > {TOO_MANY_COLUMNS}"
    ]
