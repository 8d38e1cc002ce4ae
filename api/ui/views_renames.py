"""Probable renames: the tables a crawl saw go and come with the same
definition on an engine without stable ids (MariaDB, SQLite), which a
curator confirms (the table keeps its history and curation under the new
name) or rejects. The API's rename views decide; this page shows them."""

from __future__ import annotations

from flask import redirect, render_template, request

from catalog import renames
from catalog.db import Session

from ..ownership import CURATOR, owned_source, role_in
from ..renames.views import decide
from . import blp
from .session import page


@blp.get("/sources/<int:source_id>/renames")
@page
def renames_page(source_id: int):
    source = owned_source(source_id)
    status = request.args.get("status") if request.args.get("status") in renames.STATUSES else "pending"
    rows = renames.candidates(Session(), source_id, status, limit=200)
    return render_template(
        "renames.html",
        source=source,
        rows=rows,
        status=status,
        statuses=renames.STATUSES,
        may_decide=role_in(source.team_id) in ("curator", "admin"),
        done=request.args.get("done"),
    )


@blp.post("/sources/<int:source_id>/renames/<int:candidate_id>/<any(confirm, reject):decision>")
@page
def decide_rename(source_id: int, candidate_id: int, decision: str):
    owned_source(source_id, CURATOR)
    row = decide(source_id, candidate_id, confirm=decision == "confirm")
    return redirect(f"/sources/{source_id}/renames?done={row['status']}", 303)
