"""What changed, crawl by crawl."""

from __future__ import annotations

from ..extensions import Blueprint
from ..ownership import owned_source
from ..pagination import PageArgs
from ..paths import raw_path_segments
from .schemas import ChangePageSchema, ChangesArgs
from .views import change_page, history_page

blp = Blueprint("changes", __name__, url_prefix="/api/v1", description="Schema change history")


@blp.get("/sources/<int:source_id>/changes")
@blp.login_required
@blp.arguments(ChangesArgs, location="query")
@blp.response(200, ChangePageSchema)
@blp.alt_response(404, description="No such source of yours")
def source_changes(args, source_id):
    """What changed in a source, newest first"""
    owned_source(source_id)
    return change_page(
        args,
        f"changes:{source_id}:{args.get('since')}:{args.get('hazard')}",
        source_id=source_id,
        since=args.get("since"),
        hazard=args.get("hazard"),
    )


@blp.get("/sources/<int:source_id>/tables/<schema>/<table>/history")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, ChangePageSchema)
@blp.alt_response(404, description="No such source of yours, or no such table")
def table_history(args, source_id, schema, table):
    """One table's change history, newest first; also for removed tables"""
    return history_page(args, source_id, raw_path_segments(f"/sources/{source_id}/tables/")[:-1])
