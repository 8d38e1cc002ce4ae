"""What changed, crawl by crawl."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import abort

from catalog.changes import change_events, table_id
from catalog.db import Session
from catalog.insights.hazards import HAZARDS

from ..catalog_reads.routes import _raw_path_segments
from ..extensions import Blueprint
from ..inputs import BoundedAwareDateTime
from ..ownership import owned_source
from ..pagination import PageArgs, decode_cursor, encode_cursor, next_link_headers
from ..queue import crawl_url
from ..tables import table_history_url, table_id_url
from ..timestamps import Timestamp

blp = Blueprint("changes", __name__, url_prefix="/api/v1", description="Schema change history")


class ChangesArgs(PageArgs):
    since = BoundedAwareDateTime(
        default_timezone=None,
        metadata={"description": "Only changes seen at or after this time (ISO 8601 with a timezone)."},
    )
    hazard = ma.fields.String(
        validate=ma.validate.OneOf(HAZARDS),
        metadata={"description": "Only changes with this hazard label: breaking, risky or safe."},
    )


class ChangeSchema(ma.Schema):
    id = ma.fields.Integer()
    event = ma.fields.String(
        metadata={
            "description": "source_crawled (a first crawl's baseline), table_added, table_changed, table_removed, "
            "or enum_added, enum_changed, enum_removed (a PostgreSQL enum type: `schema` is its schema, `table` "
            "null, details {type, values, values_added, values_removed}), or sequence_, trigger_ and routine_ "
            "added, changed, removed (`schema` is the object's schema, `table` a trigger's table, else null; "
            "details {kind, name, changes: {field: {from, to}}, a changed body as body: {changed: true}})"
        }
    )
    schema = ma.fields.String(attribute="schema_name", allow_none=True)
    table = ma.fields.String(attribute="table_name", allow_none=True)
    details = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "For table_changed: columns_added/removed/altered, primary_key, foreign_keys_added/"
            "removed, indexes_added/removed, constraints_added/removed, comment, kind; definition and "
            "depends_on (a view's SQL and dependencies), partition, partition_of, bounds (each {from, to})."
        },
    )
    hazard = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "breaking (table or column removed, type changed or narrowed, NOT NULL added, a rename "
            "as seen), risky (index, constraint or key dropped, primary key changed, type widened, default "
            "changed) or safe (table, nullable column or index added, comment changed); null for a baseline. "
            "Sequences, triggers, routines: breaking (routine removed, return type changed), risky (trigger or "
            "sequence removed, other changes), safe (added, comment changed)"
        },
    )
    hazard_reasons = ma.fields.List(
        ma.fields.String(), allow_none=True, metadata={"description": "Why, worst first: 'breaking: column x removed'"}
    )
    table_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The table's catalog id; null for a baseline"}
    )
    url = ma.fields.Function(
        lambda e: table_id_url(e["table_id"]) if e.get("table_id") is not None else None,
        allow_none=True,
        metadata={
            "description": "The table by id, `/api/v1/tables/{table_id}` (404 once the table has been removed); "
            "null for a baseline"
        },
    )
    history_url = ma.fields.Function(
        lambda e: table_history_url(e["table_id"]) if e.get("table_id") is not None else None,
        allow_none=True,
        metadata={"description": "The table's history by id, `/api/v1/tables/{table_id}/history`, also once removed"},
    )
    crawl_id = ma.fields.Integer()
    crawl_url = ma.fields.Function(lambda e: crawl_url(e["crawl_id"]))
    occurred_at = Timestamp()


class ChangePageSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    next_cursor = ma.fields.String(allow_none=True)


def _page(args, scope: str, **filters):
    before = decode_cursor(scope, args["cursor"], 1)
    rows = change_events(Session(), before_id=before[0] if before else None, limit=args["limit"] + 1, **filters)
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    return {"changes": rows, "next_cursor": next_cursor}, next_link_headers(next_cursor)


@blp.get("/sources/<int:source_id>/changes")
@blp.login_required
@blp.arguments(ChangesArgs, location="query")
@blp.response(200, ChangePageSchema)
@blp.alt_response(404, description="No such source of yours")
def source_changes(args, source_id):
    """What changed in a source, newest first"""
    owned_source(source_id)
    return _page(
        args,
        f"changes:{source_id}:{args.get('since')}:{args.get('hazard')}",
        source_id=source_id,
        since=args.get("since"),
        hazard=args.get("hazard"),
    )


@blp.get("/sources/<int:source_id>/tables/<schema>/<table>/history")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, ChangePageSchema)
@blp.alt_response(404, description="No such source of yours, or no such table")
def table_history(args, source_id, schema, table):
    """One table's change history, newest first; also for removed tables"""
    return history_page(args, source_id, _raw_path_segments(f"/sources/{source_id}/tables/")[:-1])


def history_page(args, source_id, segments):
    owned_source(source_id)
    if len(segments) != 2 or any("\x00" in s for s in segments):
        abort(404, message="expected {schema}/{table}/history, with '/' inside a name sent as %2F")
    tid = table_id(Session(), source_id, *segments)
    if tid is None:
        abort(404, message=f"table {segments[0]}.{segments[1]} has never been in the catalog of source {source_id}")
        raise AssertionError("abort raises")
    return history_by_id(args, source_id, tid)


def history_by_id(args, source_id: int, tid: int):
    """A page of one table's history (its source already checked as the caller's)."""
    return _page(args, f"history:{tid}", source_id=source_id, table_id=tid)
