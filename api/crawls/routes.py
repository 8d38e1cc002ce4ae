"""Crawl jobs: start, list, read and cancel."""

from flask_smorest import abort

from catalog.db import Session, transaction
from catalog.jobs import cancel_job, create_job
from catalog.sources import source_crawls

from ..extensions import Blueprint
from ..ownership import ADMIN, owned_job, owned_source
from ..pagination import PageArgs, decode_cursor, encode_cursor, next_link_headers
from ..queue import enqueue_plan
from .schemas import CrawlConflictSchema, CrawlPageSchema, CrawlSchema, CrawlStartSchema
from .views import crawl_url, crawl_view

blp = Blueprint("crawls", __name__, url_prefix="/api/v1", description="Crawl jobs and their status")


@blp.post("/sources/<int:source_id>/crawls")
@blp.login_required
@blp.arguments(CrawlStartSchema, required=False)
@blp.response(202, CrawlSchema)
@blp.alt_response(404, description="No such source of yours")
@blp.alt_response(409, schema=CrawlConflictSchema, description="A crawl of this source is already queued or running")
@blp.needs_role("admin")
def start_crawl(args, source_id):
    """Queue a crawl of a source now"""
    owned_source(source_id, ADMIN)
    with transaction() as session:
        job, created = create_job(session, source_id, "api", args.get("allow_mass_removal", False))
    if not created:
        abort(
            409,
            message="a crawl of this source is already queued or running",
            crawl=CrawlSchema().dump(crawl_view(job)),
            headers={"Location": crawl_url(job.id)},
        )
    enqueue_plan(job.id)
    Session.refresh(job)
    return crawl_view(job), {"Location": crawl_url(job.id)}


@blp.get("/sources/<int:source_id>/crawls")
@blp.login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, CrawlPageSchema)
@blp.alt_response(404, description="No such source of yours")
def list_crawls(args, source_id):
    """A source's crawls, newest first"""
    owned_source(source_id)
    before = decode_cursor(f"crawls:{source_id}", args["cursor"], 1)
    rows = source_crawls(Session(), source_id, before[0] if before else None, args["limit"] + 1)
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(f"crawls:{source_id}", [rows[-1].id]) if more else None
    return {"crawls": [crawl_view(r) for r in rows], "next_cursor": next_cursor}, next_link_headers(next_cursor)


@blp.get("/crawls/<int:job_id>")
@blp.login_required
@blp.response(200, CrawlSchema)
@blp.alt_response(404, description="No such crawl of yours")
def crawl(job_id):
    """A crawl's state, progress, counts and, when it failed, why"""
    return crawl_view(owned_job(job_id))


@blp.post("/crawls/<int:job_id>/cancel")
@blp.login_required
@blp.response(200, CrawlSchema)
@blp.alt_response(404, description="No such crawl of yours")
@blp.alt_response(409, schema=CrawlConflictSchema, description="The crawl has already ended (its state is in `crawl`)")
@blp.needs_role("admin")
def cancel_crawl(job_id):
    """Cancel a queued or running crawl

    No further batch of it runs or stages anything, what it staged is dropped,
    and the catalog stays exactly as the source's last good crawl left it.
    """
    owned_job(job_id, ADMIN)
    with transaction() as session:
        cancelled = cancel_job(session, job_id)
    job = owned_job(job_id, ADMIN)
    Session.refresh(job)
    if not cancelled:
        abort(
            409,
            message=f"crawl {job_id} has already ended: {job.state}",
            crawl=CrawlSchema().dump(crawl_view(job)),
            headers={"Location": crawl_url(job.id)},
        )
    return crawl_view(job), {"Location": crawl_url(job.id)}
