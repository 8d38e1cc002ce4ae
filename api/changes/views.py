"""Pages of the change feed, for the changes and tables routes (a source's
changes, a table's history by names or by id) and the web UI alike."""

from __future__ import annotations

from flask_smorest import abort

from catalog.changes import change_events, table_id
from catalog.db import Session

from ..ownership import owned_source
from ..pagination import decode_cursor, encode_cursor, next_link_headers


def change_page(args, scope: str, **filters):
    before = decode_cursor(scope, args["cursor"], 1)
    rows = change_events(Session(), before_id=before[0] if before else None, limit=args["limit"] + 1, **filters)
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    return {"changes": rows, "next_cursor": next_cursor}, next_link_headers(next_cursor)


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
    return change_page(args, f"history:{tid}", source_id=source_id, table_id=tid)
