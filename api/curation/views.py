"""Curation answers built once, for the routes and the UI: an object's view
with its address, a refusal as a 4xx naming the field, pages of lists."""

from __future__ import annotations

from urllib.parse import quote

from flask_smorest import abort

from catalog import curation
from catalog.curation import CurationError, NotFound, Target
from catalog.db import Session
from catalog.models import Source

from ..pagination import decode_cursor, encode_cursor, next_link_headers


def curation_url(source_id: int, target: Target) -> str:
    """Where an object's curation is read and changed."""
    if target.kind == "source":
        return f"/api/v1/sources/{source_id}/curation"
    if target.kind == "schema":
        return f"/api/v1/sources/{source_id}/schemas/{quote(target.schema_name, safe='')}/curation"
    if target.kind == "table":
        return f"/api/v1/tables/{target.table_id}/curation"
    return f"/api/v1/tables/{target.table_id}/columns/{quote(target.column_name, safe='')}/curation"


def refused(e: CurationError):
    """NotFound: 404; bad input: 422. Either names the field."""
    if isinstance(e, NotFound):
        abort(404, message=str(e), errors={"path": {e.field: [str(e)]}})
    abort(422, message=str(e), errors={"json": {e.field: [str(e)]}})


def curation_view(source: Source, target: Target, changed: list[str] | None = None) -> dict:
    """The object's curation with its database comment and what it is."""
    try:
        found = curation.presence(Session(), source.id, target)
        body = curation.object_curation(Session(), source.id, target)
    except CurationError as e:
        refused(e)
        raise AssertionError("abort raises") from e
    body.update(
        kind=target.kind,
        source_id=source.id,
        schema=found.schema_name,
        table_id=target.table_id or None,
        table=found.table_name,
        column=target.column_name or None,
    )
    if changed is not None:
        body["changed"] = changed
    return body


def curate(source: Source, target: Target, changes: dict, user_id: int) -> dict:
    """Apply a PATCH, commit, and answer the object's curation."""
    try:
        changed = curation.curate(Session(), source, target, changes, user_id)
    except CurationError as e:
        Session.rollback()
        refused(e)
        raise AssertionError("abort raises") from e
    Session.commit()
    return curation_view(source, target, changed)


def history_page(source: Source, target: Target, args: dict) -> tuple[dict, int, dict]:
    scope = f"curation-history:{source.id}:{target.kind}:{target.table_id}:{target.schema_name}:{target.column_name}"
    after = decode_cursor(scope, args["cursor"], 1)
    limit = args["limit"]
    try:
        rows = curation.history(Session(), source.id, target, after[0] if after else None, limit + 1)
    except CurationError as e:
        refused(e)
        raise AssertionError("abort raises") from e
    next_cursor = encode_cursor(scope, [rows[limit - 1]["id"]]) if len(rows) > limit else None
    return {"changes": rows[:limit], "next_cursor": next_cursor}, 200, next_link_headers(next_cursor)


def object_url(item: dict) -> str:
    if item["kind"] == "source":
        return curation_url(item["source_id"], Target.source())
    if item["kind"] == "schema":
        return curation_url(item["source_id"], Target.schema(item["schema"]))
    if item["kind"] == "table":
        return curation_url(item["source_id"], Target.table(item["table_id"]))
    return curation_url(item["source_id"], Target.column(item["table_id"], item["column"]))


def objects_page(scope: str, args: dict, fetch) -> tuple[dict, int, dict]:
    """A page of curated objects (fetch(after_id, limit)), keyset by curation id."""
    after = decode_cursor(scope, args["cursor"], 1)
    limit = args["limit"]
    rows = fetch(after[0] if after else None, limit + 1)
    next_cursor = encode_cursor(scope, [rows[limit - 1]["id"]]) if len(rows) > limit else None
    items = [{**r, "url": object_url(r)} for r in rows[:limit]]
    return {"objects": items, "next_cursor": next_cursor}, 200, next_link_headers(next_cursor)
