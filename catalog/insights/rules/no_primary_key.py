"""no_primary_key: a table (not a view) whose definition has no primary key.
Its rows cannot be told apart, replicated or referenced reliably. No fix is
written: which columns identify a row is the owner's call."""

from __future__ import annotations

from .common import OBJ, SCOPED, TABLE_KINDS, Dialect, Rule

RULE = Rule("no_primary_key", "warning", "a table without a primary key")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, 'table has no primary key', NULL "
        f"FROM {SCOPED} WHERE t.kind IN {TABLE_KINDS} "
        "AND jsonb_typeof(t.definition->'primary_key') IS DISTINCT FROM 'object'"
    ]
