"""Keyset pagination written once: opaque signed cursors, `limit` bounds,
`next_cursor` in the body and a `Link: rel="next"` header."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeSerializer

MAX_LIMIT = 1000


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page (1 to 1000)."},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "Opaque cursor from the previous page's next_cursor."},
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="metacrawl-cursor")


def encode_cursor(scope: str, key: list) -> str:
    """`scope` ties a cursor to the list it came from, so one list's cursor is
    refused by another."""
    return _serializer().dumps([scope, key])


def decode_cursor(scope: str, cursor: str | None, arity: int) -> list | None:
    if cursor is None:
        return None
    try:
        got_scope, key = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        got_scope, key = None, None
    if got_scope != scope or not isinstance(key, list) or len(key) != arity:
        abort(
            400,
            message="cursor is invalid or expired: start again without it",
            errors={"query": {"cursor": ["invalid cursor"]}},
        )
    return key


def next_link_headers(next_cursor: str | None) -> dict:
    if not next_cursor:
        return {}
    args = request.args.to_dict()
    args["cursor"] = next_cursor
    from urllib.parse import urlencode

    return {"Link": f'<{request.base_url}?{urlencode(args)}>; rel="next"'}
