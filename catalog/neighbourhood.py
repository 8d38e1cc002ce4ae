"""A table's neighbourhood: the tables linked to it by foreign keys, to a
depth of 1 or 2, capped so a hub table still draws something readable.

It reads the center's definition, then per level the definitions and
inbound keys of that level's tables only (catalog/keygraph.py): a
neighbourhood never loads the whole schema. Neighbours past the caps are
not dropped silently: they are counted in groups ("+ 285 more tables
referencing orders").

Besides the declared keys it draws the owner's accepted inferred keys
(catalog_inferred_keys, decision `accepted`: drawn dashed) and what views
read (a view's `depends_on`, and the views reading a table found through
the lineage edges' index: drawn dotted, labelled "reads"); both bring their
tables into the drawing like a foreign key does, within the same caps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from .keygraph import Edge, Key, KeyGraph

# At most this many tables in one drawing, center included.
MAX_NODES = {1: 25, 2: 40}
# At most this many neighbours drawn around one table, per level.
PER_TABLE = {1: 16, 2: 5}
# Columns shown in a box: key columns always, then others up to this many.
MAX_COLUMNS = 12

# The owner's accepted inferred keys from or to these tables.
INFERRED_SQL = """
    SELECT k.schema_name, k.table_name, k.column_name, k.referenced_schema, k.referenced_table, k.referenced_column
    FROM catalog_inferred_keys k JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
      ON (k.schema_name = b.s AND k.table_name = b.n) OR (k.referenced_schema = b.s AND k.referenced_table = b.n)
    WHERE k.source_id = :sid AND k.decision = 'accepted'
    ORDER BY k.schema_name, k.table_name, k.column_name"""

# When the source's inferred keys were last decided (a diagram drawn before is stale).
DECIDED_SQL = "SELECT max(decided_at) FROM catalog_inferred_keys WHERE source_id = :sid"

# The live views that read these tables, on the lineage edges' index by source table.
READERS_SQL = """
    SELECT DISTINCT v.schema_name, v.name, l.source_schema, l.source_table
    FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
    JOIN catalog_column_lineage l ON l.source_id = :sid AND l.source_schema = b.s AND l.source_table = b.n
    JOIN catalog_tables v ON v.id = l.view_id AND v.removed_at IS NULL
    ORDER BY 1, 2, 3, 4"""


@dataclass
class Node:
    schema: str
    name: str
    depth: int
    kind: str | None = None  # None: referenced, but not in the catalog (an excluded schema)
    comment: str | None = None
    row_estimate: int | None = None
    columns: list[dict] = field(default_factory=list)  # shown columns: name, type, nullable, pk, fk
    hidden_columns: int = 0
    primary_key: list[str] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.schema, self.name)

    @property
    def missing(self) -> bool:
        return self.kind is None


@dataclass
class Group:
    """Neighbours of `anchor` not drawn: `count` tables that reference it
    (direction "in") or that it references ("out")."""

    anchor: Key
    direction: str
    count: int
    sample: list[Key] = field(default_factory=list)


@dataclass
class Neighbourhood:
    center: Key
    depth: int
    nodes: dict[Key, Node]
    edges: list[Edge]
    groups: list[Group]
    inferred: list[Edge] = field(default_factory=list)  # accepted inferred keys: drawn dashed
    reads: list[tuple[Key, Key]] = field(default_factory=list)  # (view, what it reads): drawn dotted

    @property
    def hidden(self) -> int:
        return sum(g.count for g in self.groups)


def node_of(key: Key, depth: int, d: dict | None, key_columns: set[str]) -> Node:
    node = Node(key[0], key[1], depth)
    if d is None:
        return node
    node.kind, node.comment, node.row_estimate = d["kind"], d["comment"], d["row_estimate"]
    node.primary_key = list((d.get("primary_key") or {}).get("columns") or [])
    fk_columns = {c for fk in d.get("foreign_keys", []) for c in fk.get("columns") or []}
    keep = set(node.primary_key) | fk_columns | key_columns
    columns = d.get("columns", [])
    shown = [c for c in columns if c["name"] in keep]
    for c in columns:
        if len(shown) >= MAX_COLUMNS:
            break
        if c["name"] not in keep:
            shown.append(c)
    order = {c["name"]: i for i, c in enumerate(columns)}
    shown.sort(key=lambda c: order[c["name"]])
    node.columns = [
        {
            "name": c["name"],
            "type": c.get("type"),
            "nullable": c.get("nullable"),
            "pk": c["name"] in node.primary_key,
            "fk": c["name"] in fk_columns,
        }
        for c in shown
    ]
    node.hidden_columns = len(columns) - len(shown)
    return node


def decisions_stamp(session, source_id: int) -> str:
    """Moves whenever an inferred key of the source is accepted or rejected."""
    return str(session.execute(text(DECIDED_SQL), {"sid": source_id}).scalar())


def accepted_inferred(graph: KeyGraph, keys: list[Key]) -> list[Edge]:
    if not keys:
        return []
    rows = graph.session.execute(
        text(INFERRED_SQL),
        {"sid": graph.source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
    )
    return [Edge(s, t, f"inferred_{c}_{rt}", (c,), rs, rt, (rc,)) for s, t, c, rs, rt, rc in rows]


def _readers(graph: KeyGraph, keys: list[Key]) -> list[tuple[Key, Key]]:
    """(view, table) for the views reading these tables (column lineage)."""
    if not keys:
        return []
    rows = graph.session.execute(
        text(READERS_SQL),
        {"sid": graph.source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
    )
    return [((vs, vn), (s, n)) for vs, vn, s, n in rows]


def reads_of(key: Key, d: dict | None) -> list[Key]:
    return [(x["schema"], x["table"]) for x in (d or {}).get("depends_on") or [] if x.get("schema") and x.get("table")]


def neighbourhood(graph: KeyGraph, center: Key, depth: int = 1) -> Neighbourhood | None:
    """The neighbourhood of `center`, or None when it is not in the catalog."""
    depth = 2 if depth >= 2 else 1
    if graph.definitions([center])[center] is None:
        return None
    max_nodes = MAX_NODES[depth]
    depths: dict[Key, int] = {center: 0}
    groups: list[Group] = []
    frontier = [center]
    inferred: set[Edge] = set()
    reads: set[tuple[Key, Key]] = set()
    for level in (1, 2)[:depth]:
        out = graph.outbound(frontier)
        inn = graph.inbound(frontier)
        defs = graph.definitions(frontier)
        guessed = accepted_inferred(graph, frontier)
        readers = _readers(graph, frontier)
        inferred.update(guessed)
        reads.update(readers)
        nxt: list[Key] = []
        for table in frontier:
            outs = [e.target for e in out.get(table, [])] + [e.target for e in guessed if e.source == table]
            outs += reads_of(table, defs[table])
            ins = {e.source for e in inn.get(table, [])} | {e.source for e in guessed if e.target == table}
            ins |= {v for v, t in readers if t == table}
            for direction, others in (("out", outs), ("in", sorted(ins))):
                new = [o for o in dict.fromkeys(others) if o not in depths]
                room = min(PER_TABLE[level], max_nodes - len(depths))
                for o in new[: max(room, 0)]:
                    depths[o] = level
                    nxt.append(o)
                rest = new[max(room, 0) :]
                if rest:
                    groups.append(Group(table, direction, len(rest), rest[:5]))
        frontier = nxt
    definitions = graph.definitions(list(depths))
    edges = []
    for key in depths:
        for fk in (definitions[key] or {}).get("foreign_keys", []):
            e = Edge.from_fk(key, fk)
            if e.target in depths:
                edges.append(e)
        reads.update((key, t) for t in reads_of(key, definitions[key]))
    referenced: dict[Key, set[str]] = {}
    drawn_inferred = sorted(
        (e for e in inferred if e.source in depths and e.target in depths), key=lambda e: (e.source, e.columns)
    )
    for e in edges + drawn_inferred:
        referenced.setdefault(e.target, set()).update(e.ref_columns)
    key_columns: dict[Key, set[str]] = {}
    for e in drawn_inferred:
        key_columns.setdefault(e.source, set()).update(e.columns)
    nodes = {
        k: node_of(k, d, definitions[k], referenced.get(k, set()) | key_columns.get(k, set()))
        for k, d in depths.items()
    }
    drawn_reads = sorted((v, t) for v, t in reads if v in depths and t in depths and v != t)
    return Neighbourhood(center, depth, nodes, edges, groups, drawn_inferred, drawn_reads)
