"""A starter query as the API answers it, for the diagrams routes and the
web UI's table page alike."""

from __future__ import annotations

from catalog.starter_query import sql_dialect, starter_query

from .graph import key_graph


def starter_query_view(source, args) -> dict | None:
    """The starter query as the API answers it (None: no such table)."""
    center = (args["schema"], args["table"])
    joined = [(t["schema"], t["table"]) for t in args["join"]]
    columns: dict = {}
    for c in args["columns"]:
        columns.setdefault((c["schema"], c["table"]), []).append(c["column"])
        key = (c["schema"], c["table"])
        if key != center and key not in joined:
            joined.append(key)
    sq = starter_query(key_graph(source), sql_dialect(source.engine, source.settings), center, joined, columns)
    if sq is None:
        return None
    return {
        "sql": sq.sql,
        "engine": source.engine,
        "tables": [{"schema": s, "table": t} for s, t in sq.tables],
        "joins": [
            {
                "schema": j.table[0],
                "table": j.table[1],
                "alias": j.alias,
                "foreign_key": j.edge.name,
                "via_schema": j.via[0],
                "via_table": j.via[1],
            }
            for j in sq.joins
        ],
        "unreachable": [{"schema": s, "table": t} for s, t in sq.unreachable],
    }
