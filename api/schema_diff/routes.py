"""Two of your sources' schemas compared, streamed from the catalog."""

from __future__ import annotations

import json

from flask import Response, stream_with_context

from catalog.db import engine
from catalog.schema_diff import stream_diff

from ..extensions import Blueprint
from ..ownership import owned_source
from .schemas import DiffArgs, DiffSchema

blp = Blueprint("diff", __name__, url_prefix="/api/v1", description="Schema diff between two sources")


@blp.get("/sources/<int:source_id>/diff")
@blp.login_required
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffSchema, description="The differing tables in (schema, name) order, streamed")
@blp.doc(
    responses={
        "200": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Diff"}},
                "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/TableDiff"}},
            }
        }
    }
)
@blp.alt_response(404, description="No such source of yours (either id)")
def diff(args, source_id):
    """Compare a source's schema with another source's: tables and columns only in one, and every
    difference in type, nullability, default, primary key, foreign keys, indexes and constraints"""
    source = owned_source(source_id)
    against = owned_source(args["against"])
    schema, against_schema = args.get("schema"), args.get("against_schema")
    if schema is not None and against_schema is None:
        against_schema = schema
    fmt = args["format"]

    def generate():
        summary: dict[str, int] = {}
        with engine().connect() as conn:
            entries = stream_diff(
                conn, source.id, against.id, schema=schema, against_schema=against_schema, summary=summary
            )
            if fmt == "ndjson":
                for entry in entries:
                    yield json.dumps(entry) + "\n"
                return
            head = {
                "source_id": source.id,
                "against_id": against.id,
                "schema": schema,
                "against_schema": against_schema,
            }
            yield json.dumps(head)[:-1] + ', "tables": ['
            for i, entry in enumerate(entries):
                yield ("," if i else "") + json.dumps(entry)
            yield '], "summary": ' + json.dumps(summary) + "}\n"

    mimetype = "application/json" if fmt == "json" else "application/x-ndjson"
    return Response(
        stream_with_context(generate()),
        mimetype=mimetype,
        headers={"Content-Disposition": f'inline; filename="source-{source.id}-diff-{against.id}.{fmt}"'},
    )
