"""A source's foreign-key graph: which table references which.

A table's own (outbound) keys are in its definition: one indexed row. Who
references a table (inbound) comes from the catalog's edge table
`catalog_foreign_keys` (written by a crawl's apply), through its index on the
referenced table: a neighbourhood asks for the few tables it draws, in one
indexed query per level, never for the whole graph, and nothing has to be
built after a crawl.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

Key = tuple[str, str]  # (schema, table)

# The keys of the source's live tables that reference (:schemas[i], :names[i]),
# on the index of catalog_foreign_keys by referenced table (as reads.referenced_by).
INBOUND_SQL = """
    SELECT r.schema_name, r.name, f.name AS fk_name, f.columns, f.referenced_schema AS ref_schema,
           f.referenced_table AS ref_table, f.referenced_columns AS ref_columns
    FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
    JOIN catalog_foreign_keys f ON f.source_id = :sid AND f.referenced_schema = b.s AND f.referenced_table = b.n
    JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    ORDER BY r.schema_name, r.name, f.ordinal"""

# Definitions of a few tables, by (schema, name), on the source's unique index.
DEFINITIONS_SQL = """
    SELECT t.schema_name, t.name, t.kind, t.comment, t.row_estimate,
           t.definition->'columns' AS columns, t.definition->'primary_key' AS primary_key,
           t.definition->'foreign_keys' AS foreign_keys, t.definition->'depends_on' AS depends_on
    FROM catalog_tables t JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
      ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n
    WHERE t.removed_at IS NULL"""


@dataclass(frozen=True)
class Edge:
    """A foreign key: (schema, table).columns references (ref_schema, ref_table).ref_columns."""

    schema: str
    table: str
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]

    @property
    def source(self) -> Key:
        return (self.schema, self.table)

    @property
    def target(self) -> Key:
        return (self.ref_schema, self.ref_table)

    @classmethod
    def from_fk(cls, key: Key, fk: dict) -> Edge:
        return cls(
            key[0],
            key[1],
            fk.get("name") or "",
            tuple(fk.get("columns") or ()),
            fk["referenced_schema"],
            fk["referenced_table"],
            tuple(fk.get("referenced_columns") or ()),
        )


def _edge_from_row(r) -> Edge:
    return Edge(
        r.schema_name,
        r.name,
        r.fk_name or "",
        tuple(r.columns or ()),
        r.ref_schema,
        r.ref_table,
        tuple(r.ref_columns or ()),
    )


class KeyGraph:
    """The foreign keys of one source (see module doc), read from the catalog
    as they are needed; definitions are remembered for the graph's life (one
    request)."""

    def __init__(self, session: Session, source_id: int):
        self.session = session
        self.source_id = source_id
        self._definitions: dict[Key, dict | None] = {}

    # -- definitions and outbound keys: the tables' own rows --------------------------

    def definitions(self, keys: Iterable[Key]) -> dict[Key, dict | None]:
        """kind, comment, columns, primary key and foreign keys of these tables
        (None for a table that is not in the catalog), one indexed query."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self._definitions]
        if wanted:
            rows = self.session.execute(
                text(DEFINITIONS_SQL),
                {"sid": self.source_id, "schemas": [k[0] for k in wanted], "names": [k[1] for k in wanted]},
            )
            for k in wanted:
                self._definitions[k] = None
            for r in rows:
                self._definitions[(r.schema_name, r.name)] = {
                    "kind": r.kind,
                    "comment": r.comment,
                    "row_estimate": r.row_estimate,
                    "columns": r.columns or [],
                    "primary_key": r.primary_key,
                    "foreign_keys": r.foreign_keys or [],
                    "depends_on": r.depends_on or [],
                }
        return {k: self._definitions[k] for k in keys}

    def outbound(self, keys: Iterable[Key]) -> dict[Key, list[Edge]]:
        out: dict[Key, list[Edge]] = {}
        for key, d in self.definitions(list(keys)).items():
            out[key] = [Edge.from_fk(key, fk) for fk in (d or {}).get("foreign_keys", [])]
        return out

    # -- inbound keys: the catalog's edge table ----------------------------------------

    def inbound(self, keys: Iterable[Key]) -> dict[Key, list[Edge]]:
        """The keys of the source's live tables that reference each of these
        tables (a self-reference included), one indexed query."""
        keys = list(dict.fromkeys(keys))
        found: dict[Key, list[Edge]] = {k: [] for k in keys}
        if keys:
            rows = self.session.execute(
                text(INBOUND_SQL),
                {"sid": self.source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
            )
            for r in rows:
                e = _edge_from_row(r)
                found[e.target].append(e)
        return found

    # -- paths ------------------------------------------------------------------------

    def shortest_paths(
        self, start: Key, targets: Iterable[Key], max_depth: int = 4, max_visited: int = 5000
    ) -> dict[Key, list[Edge]]:
        """For each target reachable from `start` along foreign keys (either
        direction), the edges of one shortest path, from `start` outwards.
        Breadth first, one level at a time, stopping when every target is
        found or after `max_depth` levels / `max_visited` tables."""
        wanted = {t for t in targets if t != start}
        parent: dict[Key, tuple[Key, Edge] | None] = {start: None}
        frontier = [start]
        depth = 0
        while frontier and depth < max_depth and not wanted <= parent.keys() and len(parent) < max_visited:
            depth += 1
            out = self.outbound(frontier)
            inn = self.inbound(frontier)
            nxt: list[Key] = []
            for node in frontier:
                steps = [(e.target, e) for e in out.get(node, [])] + [(e.source, e) for e in inn.get(node, [])]
                for other, edge in steps:
                    if other not in parent:
                        parent[other] = (node, edge)
                        nxt.append(other)
            frontier = nxt
        paths: dict[Key, list[Edge]] = {}
        for t in wanted:
            if t not in parent:
                continue
            path: list[Edge] = []
            at = t
            while parent[at] is not None:
                prev, edge = parent[at]  # type: ignore[misc]
                path.append(edge)
                at = prev
            paths[t] = list(reversed(path))
        return paths
