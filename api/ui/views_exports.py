"""A source's exports in the browser: every format the export API serves
(api/catalog_reads/views.py EXPORT_TYPES), each with what it is for, for
the whole source or one schema, downloaded as a file. The downloads stream
the API's own export (`export_response`)."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import NotFound

from catalog import overview
from catalog.db import Session

from ..catalog_reads.views import EXPORT_TYPES, export_response
from ..ownership import owned_source
from . import blp
from .session import page


def _chosen_schema(source_id: int) -> tuple[list[dict], str | None]:
    """The source's schemas and the one asked for (`schema`; None: all of
    them); a schema the catalog does not hold is a 404."""
    schemas = overview.schemas(Session(), source_id)
    only = request.args.get("schema") or None
    if only is not None and only not in {s["schema"] for s in schemas}:
        raise NotFound(f"schema {only} is not in this source's catalog")
    return schemas, only


@blp.get("/sources/<int:source_id>/export")
@page
def exports(source_id: int):
    source = owned_source(source_id)
    schemas, only = _chosen_schema(source_id)
    return render_template("exports.html", source=source, schemas=schemas, only=only, formats=EXPORT_TYPES)


@blp.get("/sources/<int:source_id>/export/<any(" + ",".join(EXPORT_TYPES) + "):fmt>")
@page
def export_download(source_id: int, fmt: str):
    source = owned_source(source_id)
    _, only = _chosen_schema(source_id)
    return export_response(source, fmt, only)
