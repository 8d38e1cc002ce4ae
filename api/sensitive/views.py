"""Sensitive-column suggestions of a source: the list, and a curator's decision."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog import sensitive
from catalog.curation.objects import CurationError
from catalog.db import Session, transaction
from catalog.models import Source

from ..pagination import decode_cursor, encode_cursor, next_link_headers


def suggestion_page(args, source_id: int):
    scope = f"sensitive:{source_id}:{args['status']}:{args['table_id']}"
    after = decode_cursor(scope, args["cursor"], 1)
    rows = sensitive.suggestions(
        Session(), source_id, args["status"], after[0] if after else None, args["limit"] + 1, args["table_id"]
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    return {"suggestions": rows, "next_cursor": next_cursor}, next_link_headers(next_cursor)


def decide(source: Source, suggestion_id: int, confirm: bool) -> dict:
    """Confirm (tag the column `sensitive`) or dismiss a suggestion as the
    current user; 404 when the source has no such suggestion."""
    try:
        with transaction() as session:
            if confirm:
                sensitive.confirm(session, source, suggestion_id, current_user.id)
            else:
                sensitive.dismiss(session, source, suggestion_id, current_user.id)
    except sensitive.SuggestionMissing:
        abort(404, message=f"no sensitive-column suggestion {suggestion_id} in source {source.id}")
    except CurationError as e:  # the column is gone since the suggestion was made
        abort(409, message=str(e))
    row = sensitive.suggestion(Session(), source.id, suggestion_id)
    if row is None:
        abort(404, message=f"no sensitive-column suggestion {suggestion_id} in source {source.id}")
        raise AssertionError("abort raises")
    return row
