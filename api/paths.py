"""Reading a request's path as it was sent, for names that hold a '/'."""

from __future__ import annotations

from urllib.parse import quote, unquote

from flask import request


def raw_path_segments(prefix: str) -> list[str]:
    """The path after `prefix`, split on '/' *before* percent-decoding, so a
    table named `a/b` (sent as a%2Fb) stays one segment."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or quote(request.path)
    raw = raw.split("?", 1)[0]
    at = raw.find(prefix)
    return [unquote(s) for s in raw[at + len(prefix) :].split("/")] if at >= 0 else []
