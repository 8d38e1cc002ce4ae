"""no_relations (across tables): a table with no foreign key that no
foreign key references: an island, often a missing key. Scoped, it runs
over the tables whose finding the changes since the last run can have moved
(`lint_relations`). No fix."""

from __future__ import annotations

from .common import OBJ, TABLE_KINDS, Dialect, Rule

RULE = Rule("no_relations", "info", "a table with no foreign key, referenced by none")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head()
        + f"t.schema_name, t.name, NULL, {OBJ}, 'table has no foreign key and no foreign key references it', "
        + (
            "NULL FROM lint_relations s JOIN catalog_tables t ON t.id = s.id "
            if d.scoped
            else "NULL FROM catalog_tables t "
        )
        + f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {TABLE_KINDS} "
        "AND NOT EXISTS (SELECT 1 FROM catalog_foreign_keys f WHERE f.table_id = t.id) "
        "AND NOT EXISTS (SELECT 1 FROM catalog_foreign_keys f WHERE f.source_id = :sid "
        "AND f.referenced_schema = t.schema_name AND f.referenced_table = t.name)"
    ]
