"""duplicate_index: an index with the same columns, method and predicate as
another index of its table: it costs every write and serves no read the
other does not. Of identical indexes all but the best are reported (unique
ones and those backing a constraint are better, then the first by name).
The fix drops it, unless it backs a constraint."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule("duplicate_index", "warning", "an index with the same columns, method and predicate as another")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, x.name, {OBJ} || '.' || x.name, "
        "'index ' || x.name || ' duplicates ' || y.name, "
        f"CASE WHEN x.backs_constraint THEN NULL ELSE {d.drop_index('x.name')} END "
        "FROM lint_indexes x JOIN lint_indexes y ON y.table_id = x.table_id AND y.kind = 'index' "
        "AND y.cols = x.cols AND y.predicate IS NOT DISTINCT FROM x.predicate "
        "AND y.method IS NOT DISTINCT FROM x.method AND y.name <> x.name "
        "JOIN catalog_tables t ON t.id = x.table_id WHERE x.kind = 'index' "
        # of identical indexes, all but the best are reported: unique ones and
        # those backing a constraint are better, then the first by name
        "AND ROW(x.uniq, x.backs_constraint, y.name) < ROW(y.uniq, y.backs_constraint, x.name)"
    ]
