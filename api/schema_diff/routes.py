"""Two of your sources' schemas compared, streamed from the catalog."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import abort

from catalog.models import Source
from catalog.schema_diff import as_of_refused

from ..extensions import Blueprint
from ..ownership import owned_job, owned_source
from .schemas import DiffArgs, DiffNdjsonArgs, DiffSchema, TableDiffSchema
from .views import diff_response

blp = Blueprint(
    "diff", __name__, url_prefix="/api/v1", description="Schema diff between two sources, or a source and its past"
)


def _past_crawl(source: Source, crawl_id: int) -> int:
    """`as_of` checked: a successful crawl of this source from when its
    history was kept (422 naming as_of otherwise); someone else's is a 404."""
    job = owned_job(crawl_id)
    problem = as_of_refused(source.id, source.history_from_crawl_id, job.id, job.source_id, job.state)
    if problem:
        abort(422, message=problem, errors={"query": {"as_of": [problem]}})
    return job.id


@blp.get("/sources/<int:source_id>/diff")
@blp.login_required
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffSchema, description="The differing tables in (schema, name) order, streamed")
@blp.also_as("application/x-ndjson", TableDiffSchema)
@blp.alt_response(404, description="No such source or crawl of yours")
def diff_source(args, source_id):
    """Compare a source's schema with another source's (`against`), or with its own schema as an earlier
    crawl left it (`as_of`): tables and columns only in one, and every difference in type, nullability,
    default, primary key, foreign keys, indexes and constraints. With `as_of`, `source` is now and
    `against` the past: a table added since is only_in_source, one dropped since only_in_against.
    Generated clients read the JSON (`Diff`) here, and NDJSON from /diff/ndjson"""
    return _diff(args, source_id, args["format"])


@blp.get("/sources/<int:source_id>/diff/ndjson")
@blp.login_required
@blp.arguments(DiffNdjsonArgs, location="query")
@blp.response(200, description="The differing tables in (schema, name) order, a TableDiff per line, streamed")
@blp.also_as("application/x-ndjson", TableDiffSchema)
@blp.also_as("text/plain")
@blp.alt_response(404, description="No such source or crawl of yours")
def diff_source_ndjson(args, source_id):
    """The same diff as /diff?format=ndjson (a table per line), which a generated client reads as text:
    application/x-ndjson, or the same lines as text/plain when Accept prefers it"""
    text = request.accept_mimetypes.best_match(("application/x-ndjson", "text/plain")) == "text/plain"
    return _diff(args, source_id, "ndjson", "text/plain" if text else None)


def _diff(args: dict, source_id: int, fmt: str, mimetype: str | None = None) -> Response:
    source = owned_source(source_id)
    as_of = _past_crawl(source, args["as_of"]) if args.get("as_of") is not None else None
    against = source if as_of is not None else owned_source(args["against"])
    return diff_response(source, against, as_of, args.get("schema"), args.get("against_schema"), fmt, mimetype)
