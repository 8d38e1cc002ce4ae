"""Curation: descriptions, tags and owners of sources, schemas, tables
(views) and columns, their audit lists, a source's orphaned curation, and
everything carrying a tag. Viewers read; curators change."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog import curation
from catalog.curation import Target
from catalog.db import Session
from catalog.sources import user_source_ids
from catalog.teams import is_tag

from ..extensions import Blueprint
from ..ownership import CURATOR, VIEWER, owned_source, owned_table
from ..pagination import PageArgs
from .schemas import CuratedPageSchema, CurationPatchSchema, CurationSchema, HistoryPageSchema
from .views import curate, curation_view, history_page, objects_page

blp = Blueprint("curation", __name__, url_prefix="/api/v1", description="Descriptions, tags and owners")

SOURCE_404 = "No such source of yours"
SCHEMA_404 = "No such source of yours, or no such schema (no live tables, nothing curated)"
TABLE_404 = "No such table (live or removed) in a source of yours"
COLUMN_404 = "No such table in a source of yours, or no such column in its definition (nor curated)"
BAD_INPUT = "A field at fault, named: tags (format, not in the team's list), owners, description (too long)"


def _register(name: str, rule: str, what: str, not_found: str, resolve) -> None:
    """GET and PATCH of `rule` + /curation, and GET of /curation/history, for
    one kind of object: resolve(need, **path) gives its source (the current
    user reaching it with `need`) and target."""

    def read(**path):
        return curation_view(*resolve(VIEWER, **path))

    def change(data, **path):
        source, target = resolve(CURATOR, **path)
        return curate(source, target, data, current_user.id)

    def history(args, **path):
        source, target = resolve(VIEWER, **path)
        return history_page(source, target, args)

    read.__doc__ = f"{what}: its description, tags and owners, with the database comment"
    change.__doc__ = f"Change {what.lower()}'s description, tags or owners (only the fields sent)"
    history.__doc__ = f"{what}: who changed its curation, when, before and after; newest first"
    for fn, suffix in ((read, ""), (change, "_patch"), (history, "_history")):
        fn.__name__ = f"{name}_curation{suffix}"
    missing = blp.alt_response(404, description=not_found)
    blp.get(f"{rule}/curation")(blp.login_required(blp.response(200, CurationSchema)(missing(read))))
    patch = blp.needs_role("curator")(change)
    patch = blp.alt_response(422, description=BAD_INPUT)(missing(patch))
    patch = blp.arguments(CurationPatchSchema)(blp.response(200, CurationSchema)(patch))
    blp.patch(f"{rule}/curation")(blp.login_required(patch))
    listed = blp.arguments(PageArgs, location="query")(blp.response(200, HistoryPageSchema)(missing(history)))
    blp.get(f"{rule}/curation/history")(blp.login_required(listed))


_register(
    "source",
    "/sources/<int:source_id>",
    "A source",
    SOURCE_404,
    lambda need, source_id: (owned_source(source_id, need), Target.source()),
)
_register(
    "schema",
    "/sources/<int:source_id>/schemas/<path:schema>",
    "A schema (a '/' in its name sent as is or as %2F; a change needs live tables in it)",
    SCHEMA_404,
    lambda need, source_id, schema: (owned_source(source_id, need), Target.schema(schema)),
)
_register(
    "table",
    "/tables/<int:table_id>",
    "A table or view by catalog id (`orphaned` once removed)",
    TABLE_404,
    lambda need, table_id: (owned_table(table_id, need), Target.table(table_id)),
)
_register(
    "column",
    "/tables/<int:table_id>/columns/<path:column>",
    "A column (`orphaned` while absent from the table's definition; a change needs it present)",
    COLUMN_404,
    lambda need, table_id, column: (owned_table(table_id, need), Target.column(table_id, column)),
)


@blp.get("/sources/<int:source_id>/curation/orphaned")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, CuratedPageSchema)
@blp.alt_response(404, description=SOURCE_404)
def orphaned_curation(args, source_id):
    """A source's curation whose object is gone (a table removed, a column absent, a schema emptied): it
    waits, and shows again when the object returns"""
    owned_source(source_id, VIEWER)
    return objects_page(
        f"orphaned:{source_id}", args, lambda after, limit: curation.orphaned(Session(), source_id, after, limit)
    )


# --- a tag -----------------------------------------------------------------------


@blp.get("/tags/<tag>")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, CuratedPageSchema)
@blp.alt_response(422, description="The tag is not lowercase-words")
def tagged(args, tag):
    """Everything carrying a tag (sources, schemas, tables, views, columns) across your teams' sources, in
    the order it was first curated; orphaned objects say so"""
    if not is_tag(tag):
        abort(422, message="a tag is lowercase-words", errors={"path": {"tag": ["a-z, 0-9 and single hyphens"]}})
    source_ids = user_source_ids(Session(), current_user.id)
    return objects_page(
        f"tag:{current_user.id}:{tag}",
        args,
        lambda after, limit: curation.tagged(Session(), source_ids, tag, after, limit),
    )
