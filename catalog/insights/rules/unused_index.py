"""unused_index: an index no crawl has counted a scan of for
METACRAWL_UNUSED_INDEX_DAYS (`:unused_days`) days, that backs no primary
key, unique or exclusion constraint and is not unique itself (dropping it
would change what the table accepts). It costs every write and serves no
read. Since when an index has had no scan is tracked across crawls
(catalog_index_usage.idle_since, catalog/usage/apply.py). A runtime rule:
it reads usage, so it runs after every crawl over the whole source. The fix
drops the index (PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

from .common import OBJ, Dialect, Rule

RULE = Rule(
    "unused_index",
    "warning",
    "an index without a scan across METACRAWL_UNUSED_INDEX_DAYS of crawls, backing no constraint (it costs writes)",
)


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, u.index_name, {OBJ} || '.' || u.index_name, "
        "'index ' || u.index_name || ' has had no scan since ' || "
        "to_char(u.idle_since AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' (' || "
        "coalesce(u.scans::text, 'unknown') || ' since the counters'' reset)', "
        f"{d.drop_index('u.index_name')} "
        "FROM catalog_tables t JOIN catalog_index_usage u ON u.table_id = t.id "
        "JOIN LATERAL (SELECT i FROM jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) i "
        "              WHERE i->>'name' = u.index_name LIMIT 1) x ON true "
        "WHERE t.source_id = :sid AND t.removed_at IS NULL "
        "AND u.idle_since <= now() - make_interval(days => CAST(:unused_days AS int)) "
        "AND NOT coalesce((x.i->>'unique')::boolean, false) "
        "AND u.index_name IS DISTINCT FROM t.definition->'primary_key'->>'name' "
        # an exclusion (or unique) constraint's index carries its name
        "AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(t.definition->'constraints', '[]')) k "
        "                WHERE k->>'name' = u.index_name)"
    ]
