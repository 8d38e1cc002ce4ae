"""The whole-schema diagram page: a first view of clusters (or schemas), one
schema's clusters, or one cluster's tables drawn, from the same function as
the API's `schema-map` route (api/diagrams/schema_map.py), with a list of
the boxes for readers without the picture."""

from __future__ import annotations

from flask import abort, render_template, request
from markupsafe import Markup, escape

from catalog.exports.svg import DiagramUnavailable

from ..diagrams.graph import table_page
from ..diagrams.schema_map import NotInMap, diagram_page, schema_diagram
from ..ownership import owned_source
from . import blp
from .session import page


def _arguments() -> tuple[str | None, int | None]:
    schema = request.args.get("schema")
    raw = request.args.get("cluster")
    if schema is not None and (not schema or len(schema) > 255 or "\x00" in schema):
        abort(400, description="The schema argument must be a schema name (1 to 255 characters).")
    if raw is None:
        return schema, None
    if schema is not None:
        abort(400, description="Ask for a schema or a cluster, not both (the cluster argument names its own schema).")
    if not raw.isdigit() or len(raw) > 9:
        abort(400, description="The cluster argument must be a cluster's number (0 or more).")
    return None, int(raw)


@blp.get("/sources/<int:source_id>/diagram")
@page
def schema_diagram_page(source_id: int):
    source = owned_source(source_id)
    schema, cluster = _arguments()
    problem = None
    try:
        view = schema_diagram(source, schema, cluster)
    except NotInMap as e:
        abort(404, description=f"The {e.field} argument: {e}.")
    except LookupError:
        abort(404, description=f"{source.name} has not been crawled yet: there is no diagram to draw.")
    except DiagramUnavailable as e:
        view, problem = schema_diagram(source, schema, cluster, svg=False), str(e)
    shown = view["clusters"][0] if view["level"] == "tables" else None
    name = (
        f"Tables of {shown['name']}"
        if shown
        else f"Diagram of {source.name}" + (f", schema {schema}" if schema else "")
    )
    svg = view.get("svg")
    if svg:  # the drawing's accessible name (Graphviz gives it none of ours)
        svg = svg.replace("<svg ", f'<svg aria-label="{escape(name)}" ', 1)
    return render_template(
        "schema_diagram.html",
        source=source,
        view=view,
        shown=shown,
        svg=Markup(svg) if svg else None,  # noqa: S704 Graphviz output of escaped labels
        problem=problem,
        diagram_page=diagram_page,
        table_page=table_page,
    )
