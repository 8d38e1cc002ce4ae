"""ER diagrams of a table's neighbourhood and starter queries along foreign keys."""

from __future__ import annotations

from flask import Response
from flask_smorest import abort

from catalog.exports.svg import DiagramUnavailable

from ..extensions import Blueprint
from ..ownership import owned_source
from .graph import diagram
from .schema_map import NotInMap, schema_diagram
from .schemas import DiagramArgs, SchemaMapArgs, SchemaMapSchema, StarterQueryArgs, StarterQuerySchema
from .views import starter_query_view

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
@blp.also_as("image/svg+xml")
@blp.also_as("text/plain")
@blp.also_as("text/vnd.graphviz")
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


@blp.post("/sources/<int:source_id>/starter-query")
@blp.login_required
@blp.arguments(StarterQueryArgs)
@blp.response(200, StarterQuerySchema)
@blp.alt_response(404, description="No such source of yours, or no such table in its catalog")
def starter_query(args, source_id):
    """A SELECT of chosen columns, joined along the shortest foreign-key paths, quoted for the engine"""
    source = owned_source(source_id)
    body = starter_query_view(source, args)
    if body is None:
        abort(404, message=f"table {args['schema']}.{args['table']} is not in the catalog of source {source_id}")
    return body


@blp.get("/sources/<int:source_id>/schema-map")
@blp.login_required
@blp.arguments(SchemaMapArgs, location="query")
@blp.response(
    200,
    SchemaMapSchema,
    description="The whole-schema diagram: tables grouped by schema, a large schema's by foreign-key communities "
    "(at most 40 tables a cluster), as clusters and weighted edges with the SVG, or the SVG alone (image/svg+xml). "
    "Computed once per crawl.",
)
@blp.also_as("image/svg+xml")
@blp.alt_response(404, description="No such source of yours, no such schema or cluster, or not crawled yet")
@blp.alt_response(503, description="Graphviz is not available to draw SVG")
def schema_map(args, source_id):
    """A source's whole-schema diagram: a first view of clusters, one schema's clusters, or one cluster's tables"""
    source = owned_source(source_id)
    try:
        body = schema_diagram(source, args.get("schema"), args.get("cluster"))
    except NotInMap as e:
        abort(404, message=str(e), errors={"query": {e.field: [str(e)]}})
    except LookupError as e:
        abort(404, message=f"source {source_id}: {e}")
    except DiagramUnavailable as e:
        abort(503, message=str(e))
    if args["format"] == "svg":
        return Response(body["svg"], mimetype=MIMETYPES["svg"], headers={"Cache-Control": "private, no-cache"})
    return body
