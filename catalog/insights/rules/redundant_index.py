"""redundant_index: a non-unique index whose columns are a prefix of another
index's (same method, neither partial): the longer index serves its reads.
The fix drops it."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("redundant_index", "info", "a non-unique index whose columns are a prefix of another index's")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, x.name, {OBJ} || '.' || x.name, "
        "'index ' || x.name || ' (' || array_to_string(x.cols, ', ') || ') is a prefix of ' || y.name || "
        "' (' || array_to_string(y.cols, ', ') || ')', "
        f"{d.drop_index('x.name')} "
        "FROM lint_indexes x JOIN lint_indexes y ON y.table_id = x.table_id AND y.kind = 'index' "
        "AND y.predicate IS NULL AND y.method IS NOT DISTINCT FROM x.method "
        "AND cardinality(x.cols) < cardinality(y.cols) AND y.cols[1:cardinality(x.cols)] = x.cols "
        "JOIN catalog_tables t ON t.id = x.table_id "
        "WHERE x.kind = 'index' AND NOT x.uniq AND x.predicate IS NULL"
    ]
