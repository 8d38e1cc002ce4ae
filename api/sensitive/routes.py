"""Sensitive-column suggestions: list (per source, per table), confirm (the
column gets the tag `sensitive`), dismiss."""

from __future__ import annotations

from ..catalog_reads.statistics_schemas import SuggestionListArgs, SuggestionPageSchema, SuggestionSchema
from ..extensions import Blueprint
from ..ownership import CURATOR, owned_source
from .views import decide, suggestion_page

blp = Blueprint(
    "sensitive",
    __name__,
    url_prefix="/api/v1",
    description="Columns suggested sensitive from their names, types, comments and statistics; a curator "
    "confirms (as the tag `sensitive`) or dismisses each",
)


@blp.get("/sources/<int:source_id>/sensitive-columns")
@blp.login_required
@blp.arguments(SuggestionListArgs, location="query")
@blp.response(200, SuggestionPageSchema)
@blp.alt_response(404, description="No such source of yours")
def source_sensitive_columns(args, source_id):
    """A source's sensitive-column suggestions by id (one status, one table with `table_id`), each with its
    score and reasons; re-evaluated after every crawl"""
    owned_source(source_id)
    return suggestion_page(args, source_id)


@blp.post("/sources/<int:source_id>/sensitive-columns/<int:suggestion_id>/confirm")
@blp.login_required
@blp.response(200, SuggestionSchema)
@blp.alt_response(404, description="No such source of yours, or no such suggestion")
@blp.alt_response(409, description="The column is no longer in the catalog")
@blp.needs_role("curator")
def confirm_sensitive_column(source_id, suggestion_id):
    """Confirm a suggestion: the column gets the tag `sensitive` (added to the team's tags when missing), and
    its statistics' values are forgotten and never read again"""
    return decide(owned_source(source_id, CURATOR), suggestion_id, confirm=True)


@blp.post("/sources/<int:source_id>/sensitive-columns/<int:suggestion_id>/dismiss")
@blp.login_required
@blp.response(200, SuggestionSchema)
@blp.alt_response(404, description="No such source of yours, or no such suggestion")
@blp.needs_role("curator")
def dismiss_sensitive_column(source_id, suggestion_id):
    """Dismiss a suggestion: it stays dismissed while the column keeps its score"""
    return decide(owned_source(source_id, CURATOR), suggestion_id, confirm=False)
