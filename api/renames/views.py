"""Probable renames of a source: the list, and a curator's decision."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog import renames
from catalog.db import Session, transaction

from ..pagination import decode_cursor, encode_cursor, next_link_headers


def rename_page(args, source_id: int):
    status = None if args["status"] == "all" else args["status"]
    scope = f"renames:{source_id}:{args['status']}"
    after = decode_cursor(scope, args["cursor"], 1)
    rows = renames.candidates(
        Session(), source_id, status, after_id=after[0] if after else None, limit=args["limit"] + 1
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    return {"renames": rows, "next_cursor": next_cursor}, next_link_headers(next_cursor)


def decide(source_id: int, candidate_id: int, confirm: bool) -> dict:
    """Confirm or reject a pending candidate as the current user: 404 when
    the source has no such candidate, 409 when it is decided already or no
    longer applies."""
    try:
        with transaction() as session:
            if confirm:
                row = renames.confirm(session, source_id, candidate_id, current_user.id)
            else:
                row = renames.reject(session, source_id, candidate_id, current_user.id)
    except renames.RenameConflict as exc:
        abort(409, message=str(exc))
        raise AssertionError("abort raises") from exc
    if row is None:
        abort(404, message=f"no probable rename {candidate_id} in source {source_id}")
        raise AssertionError("abort raises")
    return row
