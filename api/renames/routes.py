"""Probable renames (engines without stable ids): list, confirm, reject."""

from __future__ import annotations

from ..extensions import Blueprint
from ..ownership import CURATOR, owned_source
from .schemas import RenameArgs, RenamePageSchema, RenameSchema
from .views import decide, rename_page

blp = Blueprint(
    "renames",
    __name__,
    url_prefix="/api/v1",
    description="Probable renames a curator confirms (the table keeps its identity) or rejects",
)


@blp.get("/sources/<int:source_id>/renames")
@blp.login_required
@blp.arguments(RenameArgs, location="query")
@blp.response(200, RenamePageSchema)
@blp.alt_response(404, description="No such source of yours")
def source_renames(args, source_id):
    """A source's probable renames (one table removed and one added with the same definition), oldest first"""
    owned_source(source_id)
    return rename_page(args, source_id)


@blp.post("/sources/<int:source_id>/renames/<int:candidate_id>/confirm")
@blp.login_required
@blp.response(200, RenameSchema)
@blp.alt_response(404, description="No such source of yours, or no such probable rename")
@blp.alt_response(409, description="Already confirmed or rejected, or no longer applies (a table came back or went)")
@blp.needs_role("curator")
def confirm_rename(source_id, candidate_id):
    """Confirm a probable rename: the removed table takes the added one's name and definition, keeping its id,
    history and everything keyed by it; the added one is merged into it; a table_renamed event is recorded"""
    owned_source(source_id, CURATOR)
    return decide(source_id, candidate_id, confirm=True)


@blp.post("/sources/<int:source_id>/renames/<int:candidate_id>/reject")
@blp.login_required
@blp.response(200, RenameSchema)
@blp.alt_response(404, description="No such source of yours, or no such probable rename")
@blp.alt_response(409, description="Already confirmed or rejected")
@blp.needs_role("curator")
def reject_rename(source_id, candidate_id):
    """Reject a probable rename: the two tables stay apart"""
    owned_source(source_id, CURATOR)
    return decide(source_id, candidate_id, confirm=False)
