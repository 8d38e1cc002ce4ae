"""fk_without_index_busy_parent: an fk_without_index finding whose
referenced (parent) table had at least BUSY_WRITES rows written between the
last two crawls: each delete or key update there scans the child, so this
is the unindexed foreign key that costs now, listed as an error beside the
lint finding. A runtime rule (it reads usage, after every crawl, over the
whole source), run after the lint; the fix is fk_without_index's."""

from __future__ import annotations

from .common import Dialect, Rule

RULE = Rule(
    "fk_without_index_busy_parent",
    "error",
    "a foreign key without an index whose parent table is written to: each delete there scans the child",
)

BUSY_WRITES = 1_000


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head("k.table_id") + "k.schema_name, k.table_name, k.object_name, k.object, "
        "k.message || '; its parent ' || p.schema_name || '.' || p.name || ' had ' || a.delta_rows_written || "
        "' rows written since ' || to_char(a.since_read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC', k.fix "
        "FROM catalog_findings k "
        "JOIN catalog_foreign_keys f ON f.table_id = k.table_id AND f.name = k.object_name "
        "JOIN catalog_tables p ON p.source_id = :sid AND p.schema_name = f.referenced_schema "
        " AND p.name = f.referenced_table AND p.removed_at IS NULL "
        "JOIN catalog_table_activity a ON a.table_id = p.id "
        f"WHERE k.source_id = :sid AND k.rule = 'fk_without_index' AND a.delta_rows_written >= {BUSY_WRITES}"
    ]
