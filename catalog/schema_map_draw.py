"""The schema map drawn with Graphviz: a view of clusters as boxes (name,
table count, most-referenced tables; edges as thick as the keys between two
clusters are many), laid out by `neato` so boxes spread in two dimensions
rather than in one long rank; and one cluster's tables, drawn as a table's
neighbourhood is (catalog/exports/dot.py: boxes with their key columns,
declared keys solid, accepted inferred keys dashed, view reads dotted)."""

from __future__ import annotations

import math
from collections.abc import Callable

from .exports.dot import FONT, _h, _q, _url
from .keygraph import Edge, Key, KeyGraph
from .neighbourhood import Neighbourhood, accepted_inferred, node_of, reads_of
from .schema_map import Cluster, SchemaMap

# The layout of a view of clusters: boxes may not overlap; straight edges (curving them round the boxes
# took 14 s at 200 clusters, straight 0.2 s).
MAP_LAYOUT = "neato"


def _box(c: Cluster, what: str) -> str:
    rows = [
        f'<TR><TD BGCOLOR="#3b6e99" ALIGN="LEFT"><FONT COLOR="white"><B>{_h(c.name)}</B></FONT></TD></TR>',
        f'<TR><TD ALIGN="LEFT">{len(c.tables):,} {what}</TD></TR>',
    ]
    for name, count in c.top:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT COLOR="#555555">{_h(name)} ← {count:,}</FONT></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' + "".join(rows) + "</TABLE>>"


def map_dot(m: SchemaMap, link: Callable[[Cluster], str], what: str = "tables") -> str:
    """The clusters of `m` as boxes, each a link (`link`) to what opening it shows."""
    lines = [
        "graph schema_map {",
        f'  graph [layout={MAP_LAYOUT}, overlap=false, sep="+12", splines=false, fontname="{FONT}", '
        'bgcolor="white", outputorder=edgesfirst];',
        f'  node [shape=plaintext, fontname="{FONT}", fontsize=11];',
        f'  edge [fontname="{FONT}", fontsize=9, color="#4a5561"];',
    ]
    for c in m.clusters:
        tip = f"{c.name}: {len(c.tables):,} {what}"
        lines.append(f'  c{c.id} [label={_box(c, what)}, URL={_url(link(c))}, target="_top", tooltip={_q(tip)}];')
    for e in m.edges:
        parts = [f"{n:,} {label}" for n, label in ((e.keys, "keys"), (e.inferred, "inferred"), (e.reads, "reads")) if n]
        width = 1 + math.log2(e.weight)
        style = "dashed" if not e.keys and e.inferred else ("dotted" if not e.keys and not e.inferred else "solid")
        lines.append(
            f"  c{e.source} -- c{e.target} [penwidth={width:.1f}, style={style}, label={_q(str(e.weight))}, "
            f"tooltip={_q(', '.join(parts))}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def cluster_neighbourhood(graph: KeyGraph, cluster: Cluster) -> Neighbourhood:
    """A cluster's tables as a neighbourhood (no table outside it; the
    most-referenced one as its center): the keys, accepted inferred keys
    and view reads among them."""
    keys = list(cluster.tables)
    inside = set(keys)
    definitions = graph.definitions(keys)
    edges = []
    reads: list[tuple[Key, Key]] = []
    for key in keys:
        for fk in (definitions[key] or {}).get("foreign_keys", []):
            e = Edge.from_fk(key, fk)
            if e.target in inside:
                edges.append(e)
        reads += [(key, t) for t in reads_of(key, definitions[key]) if t in inside and t != key]
    inferred = [e for e in accepted_inferred(graph, keys) if e.source in inside and e.target in inside]
    inferred = sorted(set(inferred), key=lambda e: (e.source, e.columns))
    referenced: dict[Key, set[str]] = {}
    for e in edges + inferred:
        referenced.setdefault(e.target, set()).update(e.ref_columns)
        referenced.setdefault(e.source, set()).update(e.columns)
    nodes = {k: node_of(k, 1, definitions[k], referenced.get(k, set())) for k in keys}
    top = {name for name, _count in cluster.top[:1]}
    center = next((k for k in keys if k[1] in top), keys[0])
    return Neighbourhood(center, 1, nodes, edges, [], inferred, sorted(set(reads)))
