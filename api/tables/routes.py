"""Tables by catalog id: one URL per table whatever characters its schema and
name hold (newlines, '/', '%', 'history'...), and its change history. Search
hits, table documents (schema pages, exports) and change events give it."""

from __future__ import annotations

from flask_smorest import abort

from catalog.db import Session
from catalog.lineage import live_table_lineage
from catalog.models import Source
from catalog.reads import live_table_key, table_detail

from ..catalog_reads import lineage_schemas  # noqa: F401 - declares ViewLineageSchema, which TableSchema names
from ..catalog_reads.freshness import conditional_json, curated_tag
from ..catalog_reads.lineage_schemas import LineageSchema
from ..catalog_reads.schemas import TableSchema
from ..changes.schemas import ChangePageSchema
from ..changes.views import history_by_id
from ..extensions import Blueprint
from ..ownership import owned_table, role_in
from ..pagination import PageArgs

blp = Blueprint("tables", __name__, url_prefix="/api/v1", description="Tables by catalog id")

MAX_ID = 2**63 - 1


@blp.get("/tables/<int:table_id>")
@blp.login_required
@blp.response(200, TableSchema)
@blp.alt_response(304, description="Not modified since the ETag / date you sent")
@blp.alt_response(404, description="No such live table in a source of yours")
def table_by_id(table_id):
    """One table in full, by its catalog id (the `table_id` of search hits): the same document as
    `/sources/{id}/tables/{schema}/{table}`, with referenced_by, triggers, activity and enum values"""
    row = live_table_key(Session(), table_id) if table_id <= MAX_ID else None
    source = Session.get(Source, row[0]) if row is not None else None
    if row is None or source is None or role_in(source.team_id) is None:
        abort(404, message=f"table {table_id} not found")
        raise AssertionError("abort raises")
    body = table_detail(Session(), source.id, row[1], row[2])
    if body is None:  # removed by a crawl that committed just now
        abort(404, message=f"table {table_id} not found")
    return conditional_json(lambda: body, curated_tag(source, None, "by-id", table_id), source.last_success_at)


@blp.get("/tables/<int:table_id>/history")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, ChangePageSchema)
@blp.alt_response(404, description="No such table, ever, in a source of yours")
def table_history_by_id(args, table_id):
    """One table's change history by its catalog id, newest first; also once it has been removed"""
    return history_by_id(args, owned_table(table_id).id, table_id)


@blp.get("/tables/<int:table_id>/lineage")
@blp.login_required
@blp.response(200, LineageSchema)
@blp.alt_response(404, description="No such live table in a source of yours")
def table_lineage(table_id):
    """A table's or view's column lineage by catalog id: for a view, each output column's source columns
    (`found`: `catalog` from PostgreSQL's pg_depend, `parsed` from the view's SQL) and every column it reads,
    or `status: unresolved` with the reason; for any table, `read_by`: the views reading its columns"""
    owned_table(table_id)
    body = live_table_lineage(Session(), table_id) if table_id <= MAX_ID else None
    if body is None:
        abort(404, message=f"table {table_id} not found")
    return body
