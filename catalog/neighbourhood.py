"""A table's neighbourhood: the tables linked to it by foreign keys, to a
depth of 1 or 2, capped so a hub table still draws something readable.

It reads the center's definition, then per level the definitions and
inbound keys of that level's tables only (catalog/keygraph.py): a
neighbourhood never loads the whole schema. Neighbours past the caps are
not dropped silently: they are counted in groups ("+ 285 more tables
referencing orders").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .keygraph import Edge, Key, KeyGraph

# At most this many tables in one drawing, center included.
MAX_NODES = {1: 25, 2: 40}
# At most this many neighbours drawn around one table, per level.
PER_TABLE = {1: 16, 2: 5}
# Columns shown in a box: key columns always, then others up to this many.
MAX_COLUMNS = 12


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

    @property
    def hidden(self) -> int:
        return sum(g.count for g in self.groups)


def _node(key: Key, depth: int, d: dict | None, key_columns: set[str]) -> Node:
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


def neighbourhood(graph: KeyGraph, center: Key, depth: int = 1) -> Neighbourhood | None:
    """The neighbourhood of `center`, or None when it is not in the catalog."""
    depth = 2 if depth >= 2 else 1
    if graph.definitions([center])[center] is None:
        return None
    max_nodes = MAX_NODES[depth]
    depths: dict[Key, int] = {center: 0}
    groups: list[Group] = []
    frontier = [center]
    for level in (1, 2)[:depth]:
        out = graph.outbound(frontier)
        inn = graph.inbound(frontier)
        nxt: list[Key] = []
        for table in frontier:
            for direction, others in (
                ("out", [e.target for e in out.get(table, [])]),
                ("in", sorted({e.source for e in inn.get(table, [])})),
            ):
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
    referenced: dict[Key, set[str]] = {}
    for e in edges:
        referenced.setdefault(e.target, set()).update(e.ref_columns)
    nodes = {k: _node(k, d, definitions[k], referenced.get(k, set())) for k, d in depths.items()}
    return Neighbourhood(center, depth, nodes, edges, groups)
