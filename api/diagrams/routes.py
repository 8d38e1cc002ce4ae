"""ER diagrams of a table's neighbourhood and starter queries along foreign keys."""

from __future__ import annotations

from flask import Response
from flask_smorest import abort

from catalog.exports.svg import DiagramUnavailable
from catalog.starter_query import starter_query

from ..extensions import Blueprint
from ..ownership import owned_source
from .graph import diagram, key_graph
from .schemas import DiagramArgs, StarterQueryArgs, StarterQuerySchema

blp = Blueprint("diagrams", __name__, url_prefix="/api/v1", description="ER diagrams and starter queries")

MIMETYPES = {"svg": "image/svg+xml", "mermaid": "text/plain", "dot": "text/vnd.graphviz"}


@blp.get("/sources/<int:source_id>/diagram")
@blp.login_required
@blp.arguments(DiagramArgs, location="query")
@blp.response(
    200,
    description="The diagram: SVG (image/svg+xml), Mermaid erDiagram (text/plain) or Graphviz DOT (text/vnd.graphviz). "
    "Tables past the caps are grouped and counted; each box links to its table's page.",
)
@blp.doc(
    responses={
        "200": {"content": {mimetype: {"schema": {"type": "string"}} for mimetype in sorted(set(MIMETYPES.values()))}}
    }
)
@blp.alt_response(404, description="No such source of yours, or no such table in its catalog")
@blp.alt_response(503, description="Graphviz is not available to draw SVG (ask for mermaid or dot)")
def table_diagram(args, source_id):
    """The ER diagram of a table's neighbourhood (tables linked by foreign keys)"""
    source = owned_source(source_id)
    key = (args["schema"], args["table"])
    try:
        body = diagram(source, key, args["depth"], args["format"])
    except DiagramUnavailable as e:
        abort(503, message=str(e))
    if body is None:
        abort(404, message=f"table {key[0]}.{key[1]} is not in the catalog of source {source_id}")
    return Response(body, mimetype=MIMETYPES[args["format"]], headers={"Cache-Control": "private, no-cache"})


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
    sq = starter_query(key_graph(source), source.engine, center, joined, columns)
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


@blp.post("/sources/<int:source_id>/starter-query")
@blp.login_required
@blp.arguments(StarterQueryArgs)
@blp.response(200, StarterQuerySchema)
@blp.alt_response(404, description="No such source of yours, or no such table in its catalog")
def starter(args, source_id):
    """A SELECT of chosen columns, joined along the shortest foreign-key paths, quoted for the engine"""
    source = owned_source(source_id)
    body = starter_query_view(source, args)
    if body is None:
        abort(404, message=f"table {args['schema']}.{args['table']} is not in the catalog of source {source_id}")
    return body
