"""The web side of a source's whole-schema diagram: the map of clusters
(catalog/schema_map.py) and its drawings, each computed once per crawl
(catalog/diagram_cache.py), as the API route and the UI's page answer them.

What a request shows: a cluster's tables (`cluster`), one schema's clusters
(`schema`), or the first view: every cluster when the source has one schema
or few clusters, else one box per schema."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from catalog.db import Session
from catalog.diagram_cache import cached_part
from catalog.exports.dot import to_dot
from catalog.exports.svg import render_svg
from catalog.models import Source
from catalog.schema_map import SchemaMap, by_schema, load, within
from catalog.schema_map_draw import cluster_neighbourhood, map_dot

from .graph import group_page, key_graph, table_page

# The first view draws every cluster when there are at most this many, else one box per schema.
FIRST_VIEW_CLUSTERS = 40


class NotInMap(LookupError):
    """The `field` asked for (schema or cluster) is not in the source's map."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def diagram_page(source_id: int, **args) -> str:
    """The web UI's page of the source's diagram (query arguments: a schema may hold any character)."""
    query = urlencode({k: v for k, v in args.items() if v is not None})
    return f"/sources/{source_id}/diagram" + (f"?{query}" if query else "")


def schema_map(source: Source) -> tuple[SchemaMap, bool]:
    """The source's map and whether it came from the cache (LookupError before a crawl)."""
    body, hit = cached_part(Session(), source.id, "map", lambda: json.dumps(load(Session(), source.id).as_json()))
    return SchemaMap.from_json(json.loads(body)), hit


def _view(source: Source, m: SchemaMap, schema: str | None, cluster: int | None) -> dict:
    """What the request shows: its level, the map drawn, and the drawing's cache part."""
    if cluster is not None:
        if not 0 <= cluster < len(m.clusters):
            raise NotInMap("cluster", f"cluster {cluster} is not in the diagram of source {source.id}")
        c = m.clusters[cluster]
        return {"level": "tables", "map": SchemaMap([c], [], len(c.tables)), "part": f"svg:cluster:{cluster}"}
    if schema is not None:
        if schema not in m.schemas():
            raise NotInMap("schema", f"schema {schema} is not in the catalog of source {source.id}")
        return {"level": "clusters", "map": within(m, schema), "part": f"svg:schema:{schema}"}
    if len(m.schemas()) > 1 and len(m.clusters) > FIRST_VIEW_CLUSTERS:
        return {"level": "schemas", "map": by_schema(m), "part": "svg:first"}
    return {"level": "clusters", "map": m, "part": "svg:first"}


def _draw(source: Source, level: str, m: SchemaMap) -> str:
    if level == "tables":
        n = cluster_neighbourhood(key_graph(source), m.clusters[0])
        return render_svg(to_dot(n, lambda k: table_page(source.id, k), lambda k: group_page(source.id, k)))
    if level == "schemas":
        return render_svg(map_dot(m, lambda c: diagram_page(source.id, schema=c.schema)))
    return render_svg(map_dot(m, lambda c: diagram_page(source.id, cluster=c.id)))


def schema_diagram(source: Source, schema: str | None, cluster: int | None, svg: bool = True) -> dict:
    """The view asked for: level, clusters (JSON-ready), edges, the SVG (when
    `svg`) and whether the map and the drawing came from the cache. Raises
    NotInMap, LookupError (not crawled yet) and DiagramUnavailable."""
    m, map_hit = schema_map(source)
    view = _view(source, m, schema, cluster)
    shown: SchemaMap = view["map"]
    body = shown.as_json()
    if view["level"] == "schemas":
        for c in body["clusters"]:
            c["tables"] = []  # a schema's tables are its clusters' (open the schema)
            c["id"] = None
    answer = {
        "level": view["level"],
        "schema": schema,
        "cluster": cluster,
        "table_count": m.tables,
        "cluster_count": len(m.clusters),
        "clusters": body["clusters"],
        "edges": _edges(shown, view["level"] == "schemas"),
        "cached": map_hit,
    }
    if svg:
        drawing, hit = cached_part(Session(), source.id, view["part"], lambda: _draw(source, view["level"], shown))
        answer["svg"] = drawing
        answer["cached"] = map_hit and hit
    return answer


def _edges(m: SchemaMap, schemas: bool) -> list[dict]:
    """Edges between the boxes shown: cluster ids (none between schema boxes) and their schemas."""
    by_id = {c.id: c for c in m.clusters}
    return [
        {
            "source": None if schemas else e.source,
            "target": None if schemas else e.target,
            "source_schema": by_id[e.source].schema,
            "target_schema": by_id[e.target].schema,
            "keys": e.keys,
            "inferred": e.inferred,
            "reads": e.reads,
        }
        for e in m.edges
    ]
