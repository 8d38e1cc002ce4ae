"""A curator's decision on a sensitive-column suggestion from the table
page; the API's sensitive views decide (the same 404 and 409)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import redirect

from ..ownership import CURATOR, owned_source
from ..sensitive.views import decide
from . import blp
from .session import page


@blp.post("/sources/<int:source_id>/sensitive-columns/<int:suggestion_id>/<any(confirm, dismiss):decision>")
@page
def decide_sensitive(source_id: int, suggestion_id: int, decision: str):
    row = decide(owned_source(source_id, CURATOR), suggestion_id, confirm=decision == "confirm")
    query = urlencode({"schema": row["schema_name"], "name": row["table_name"]})
    return redirect(f"/sources/{source_id}/table?{query}#statistics", 303)
