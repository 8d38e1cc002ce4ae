"""Tidy the catalog after a crawl: merge the search indexes' pending lists,
and refresh the planner's statistics after a large change."""

from __future__ import annotations

from sqlalchemy import Connection, text

# The tables search reads; their trigram indexes' pending lists are merged after a crawl.
SEARCHED_TABLES = ("catalog_tables", "catalog_columns", "catalog_column_names")
# A crawl that added, changed or removed at least this many tables refreshes the
# catalog's planner statistics when it ends.
ANALYZE_AFTER_TABLES = 1000
# What is analyzed then: the searched tables, and the key edges the insights
# and the reads join (never analyzed, a 100,000-table source's first lint
# planned a rescan per key and ran for minutes).
ANALYZED_TABLES = (*SEARCHED_TABLES, "catalog_foreign_keys", "catalog_table_activity", "catalog_column_lineage")


def tidy_catalog(conn: Connection, moved: int) -> None:
    """After a crawl that moved `moved` tables, merge the trigram indexes'
    pending lists (GIN defers inserts to a list every search must scan: at
    100,000 new tables it doubled search latency), and ANALYZE after a large
    change so reads get good plans at once rather than whenever autovacuum
    comes round. Runs after the crawl committed, on its own connection."""
    conn.execute(
        text(
            "SELECT gin_clean_pending_list(i.indexrelid::regclass) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE am.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(SEARCHED_TABLES)},
    )
    if moved >= ANALYZE_AFTER_TABLES:
        conn.execute(text(f"ANALYZE {', '.join(ANALYZED_TABLES)}"))
    conn.commit()
